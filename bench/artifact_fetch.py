"""What a process pays on first use of a model kept in object storage: publishing an artifact,
fetching it into an empty cache (download + SHA-256 of the directory + atomic rename) and
resolving it once it is cached (the SHA-256 only), against a real S3 API server (moto's server
mode on 127.0.0.1, so no network latency: a remote bucket adds its round trips per object).

    .venv/bin/python bench/artifact_fetch.py [--artifact DIR] [--repeat 5]

Without --artifact it trains a cold-start triage model on 120 synthetic tickets (the size of a
frozen-encoder model; a fine-tuned one also carries the encoder's weights). The last stdout
line is JSON: size_mb, files, publish_s, cold_fetch_s (median), warm_resolve_ms (median).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the project root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import boto3  # noqa: E402
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import override_settings  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from ml import artifact_store, pipeline  # noqa: E402
from ml.models import ModelVersion  # noqa: E402


def _artifact(path: str | None, into: Path) -> Path:
    if path:
        return Path(path)
    from tests.ml.engine_data import tiny_model_save

    return tiny_model_save(into / "trained")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifact", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    work = Path(tempfile.mkdtemp(prefix="artifact-fetch-"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
        Bucket="bench"
    )
    storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "bench",
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": "bench",
            "secret_key": "bench",
            "location": "models",
        },
    }
    source = _artifact(args.artifact, work)
    files = [p for p in source.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    try:
        with override_settings(
            STORAGES={**settings.STORAGES, "ml_artifacts": storage},
            ML_ARTIFACT_DIR=work / "host-a",
        ):
            local = artifact_store.artifact_dir(1, "v1")
            shutil.copytree(source, local)
            checksum = pipeline.checksum(local)
            started = time.perf_counter()
            stored_path = artifact_store.artifact_publish(local)
            publish_s = time.perf_counter() - started
        version = ModelVersion(version=1, artifact_path=stored_path, artifact_checksum=checksum)
        cold, warm = [], []
        for i in range(args.repeat):
            with override_settings(
                STORAGES={**settings.STORAGES, "ml_artifacts": storage},
                ML_ARTIFACT_DIR=work / f"host-{i}",
            ):
                started = time.perf_counter()
                artifact_store.artifact_resolve(version)
                cold.append(time.perf_counter() - started)
                started = time.perf_counter()
                artifact_store.artifact_resolve(version)
                warm.append(time.perf_counter() - started)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "size_mb": round(size_mb, 2),
                "files": len(files),
                "publish_s": round(publish_s, 3),
                "cold_fetch_s": round(statistics.median(cold), 3),
                "warm_resolve_ms": round(statistics.median(warm) * 1000, 1),
                "repeat": args.repeat,
            }
        )
    )


if __name__ == "__main__":
    main()
