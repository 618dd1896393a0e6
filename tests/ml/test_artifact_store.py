"""Model artifacts and media in S3-compatible object storage, against a real S3 API server:
moto's server mode, listening on 127.0.0.1 in this process (the HTTP requests are real, from
boto3 here and from the subprocesses that play other hosts). One host trains and publishes; a
second process with its own empty ML_ARTIFACT_DIR fetches, verifies and serves the same
champion. A corrupted object is refused by checksum; concurrent fetches all end with one good
copy; without the "ml_artifacts" storage everything stays on the local disk as before."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from accounts.models import Role
from ml import artifact_store, pipeline, serving
from ml.engine.artifact import MANIFEST, ArtifactError
from ml.models import ModelVersion, TrainingRun
from observability import readiness
from observability.readiness import models_check
from solutions.models import Ticket
from tests.conftest import _database_url

from .test_services import _import, _train

REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "expertdesk-test", "AWS_SECRET_ACCESS_KEY": "expertdesk-test"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    """A fresh bucket per test on the module's server."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    name = f"expertdesk-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name, s3_endpoint, client)


def _s3(bucket: Bucket, location: str) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket.name,
            "endpoint_url": bucket.endpoint,
            "region_name": REGION,
            "access_key": KEYS["AWS_ACCESS_KEY_ID"],
            "secret_key": KEYS["AWS_SECRET_ACCESS_KEY"],
            "default_acl": None,
            "location": location,
        },
    }


@pytest.fixture
def object_storage(settings, bucket: Bucket, tmp_path: Path) -> Iterator[Bucket]:
    """This process as host A: media and model artifacts in the bucket (as base.py configures
    them from AWS_STORAGE_BUCKET_NAME), its own local artifact cache."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": _s3(bucket, "media"),
        artifact_store.STORAGE_ALIAS: _s3(bucket, "models"),
    }
    settings.ML_ARTIFACT_DIR = tmp_path / "host-a"
    serving.reset_caches()
    yield bucket
    serving.reset_caches()


def _host_env(bucket: Bucket) -> dict[str, str]:
    """Another host: same database, same bucket (configured through the environment, as in
    production), and a fresh ML_ARTIFACT_DIR (config/settings/test.py makes one per process)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "AWS_STORAGE_BUCKET_NAME": bucket.name,
        "AWS_S3_ENDPOINT_URL": bucket.endpoint,
        "AWS_S3_REGION_NAME": REGION,
        **KEYS,
    }


OTHER_HOST = """
import json, sys
import django
django.setup()
from django.conf import settings
from accounts.models import Organization
from ml import serving
cache = settings.ML_ARTIFACT_DIR
before = sorted(p.name for p in cache.iterdir())
[result] = serving.triage(Organization.objects.get(pk=int(sys.argv[1])), [sys.argv[2]])
print(json.dumps({
    "cache": str(cache),
    "before": before,
    "fetched": sorted(p.relative_to(cache).as_posix() for p in cache.glob("org-*/*")),
    "available": result.available,
    "reason": result.reason,
    "category": result.category,
    "confidence": result.category_confidence,
    "model_version": result.model_version,
}))
"""


def _triage_on_another_host(bucket: Bucket, organization_id: int, text: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_HOST, str(organization_id), text],
        env=_host_env(bucket),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _stored_champion(organization: Any, source: Path) -> ModelVersion:
    """`source` (a saved artifact) saved and published as the organization's champion v1, as
    training does."""
    path = artifact_store.artifact_dir(organization.pk, "v1")
    shutil.copytree(source, path)
    checksum = pipeline.checksum(path)
    return ModelVersion.objects.create(
        organization=organization,
        version=1,
        status=ModelVersion.Status.CHAMPION,
        artifact_path=artifact_store.artifact_publish(path),
        artifact_checksum=checksum,
        promoted_at=timezone.now(),
        label_sets={"category": ["access", "hardware", "network", "software"]},
    )


def test_trained_on_one_host_served_by_another_with_an_empty_cache(
    transactional_db, object_storage, make_org, django_capture_on_commit_callbacks
):
    org = make_org()
    _import(org)
    run = _train(org, django_capture_on_commit_callbacks)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    version = run.model_version
    prefix = f"models/org-{org.pk}/v1/"
    assert version.artifact_path == f"storage://ml_artifacts/org-{org.pk}/v1"
    stored = object_storage.keys(prefix)
    local = artifact_store.artifact_dir(org.pk, "v1")
    assert stored == sorted(
        prefix + p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()
    )
    assert prefix + MANIFEST in stored and len(stored) > 3
    assert object_storage.keys(f"models/org-{org.pk}/retriever-v1/")

    text = "the vpn and wifi router dropped again, urgent outage"
    [here] = serving.triage(org, [text])
    assert here.available and here.category == "network"

    there = _triage_on_another_host(object_storage, org.pk, text)
    assert there["cache"] != str(artifact_store.artifact_dir(org.pk, "v1").parent.parent)
    assert there["before"] == [] and f"org-{org.pk}/v1" in there["fetched"]
    assert there["available"] is True and there["model_version"] == version.version
    assert there["category"] == here.category
    assert there["confidence"] == pytest.approx(here.category_confidence, abs=1e-6)


def test_a_corrupted_object_is_refused_by_checksum_and_the_ticket_goes_to_experts(
    object_storage,
    settings,
    tmp_path,
    make_org,
    make_user,
    add_member,
    login,
    tiny_artifact,
    caplog,
):
    org = make_org()
    version = _stored_champion(org, tiny_artifact)
    key = f"models/org-{org.pk}/v1/heads.npz"
    body = object_storage.client.get_object(Bucket=object_storage.name, Key=key)["Body"].read()
    object_storage.client.put_object(
        Bucket=object_storage.name, Key=key, Body=body[:-10] + b"corrupted!"
    )
    # A host that has never seen the model: an empty cache, nothing in memory.
    settings.ML_ARTIFACT_DIR = tmp_path / "host-b"
    serving.reset_caches()

    with pytest.raises(ArtifactError, match="does not match its checksum"):
        artifact_store.artifact_resolve(version)
    assert not (tmp_path / "host-b" / f"org-{org.pk}" / "v1").exists()  # nothing half-installed

    agent = make_user()
    add_member(org, agent, Role.AGENT)
    with caplog.at_level(logging.ERROR, logger="ml.serving"):
        first = login(agent).post(
            reverse("ticket_submit"),
            {"title": "VPN router keeps dropping", "body": "the vpn and wifi router drop"},
        )
        [second] = serving.triage(org, ["printer out of toner"])
    assert first.status_code == 302
    ticket = Ticket.objects.get(organization=org)
    assert ticket.triage_unavailable_reason == "artifact_error"
    assert ticket.status == Ticket.Status.NEEDS_EXPERT
    assert second.available is False and second.reason == "artifact_error"
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


def test_a_missing_object_is_unavailable_and_readiness_says_so(
    object_storage, settings, tmp_path, make_org, tiny_artifact
):
    org = make_org()
    version = _stored_champion(org, tiny_artifact)
    settings.ML_ARTIFACT_DIR = tmp_path / "host-b"
    ok, _ = models_check()
    assert ok  # stored complete, not fetched here yet: ready, the fetch verifies it

    object_storage.client.delete_object(
        Bucket=object_storage.name, Key=f"models/org-{org.pk}/v1/{MANIFEST}"
    )
    readiness._verified.clear()  # a fresh process: nothing checked yet
    with pytest.raises(ArtifactError, match="can't fetch"):
        artifact_store.artifact_resolve(version)
    [result] = serving.triage(org, ["vpn down"])
    assert result.available is False and result.reason == "artifact_error"
    ok, detail = models_check()
    assert not ok and detail["unavailable"] == 1


def test_concurrent_fetches_end_with_one_verified_copy(
    object_storage, settings, tmp_path, make_org, tiny_artifact
):
    org = make_org()
    version = _stored_champion(org, tiny_artifact)
    settings.ML_ARTIFACT_DIR = tmp_path / "host-b"
    target = tmp_path / "host-b" / f"org-{org.pk}" / "v1"
    # A stale copy from an earlier, different artifact under the same name must be replaced.
    target.mkdir(parents=True)
    (target / MANIFEST).write_text('{"files": {}}')

    barrier = threading.Barrier(6)
    results: list[Path | BaseException] = []

    def fetch(resolve: bool) -> None:
        barrier.wait()
        try:
            if resolve:  # threads of one process: its lock lets one download
                results.append(artifact_store.artifact_resolve(version))
            else:  # what separate processes do: no shared lock, the rename decides
                store = artifact_store._storage(artifact_store.STORAGE_ALIAS)
                key = f"org-{org.pk}/v1"
                results.append(artifact_store._fetch(store, key, target, version.artifact_checksum))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=fetch, args=(i % 2 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [target] * 6
    assert pipeline.checksum(target) == version.artifact_checksum
    # No temporary or stale directories left beside it.
    assert [p.name for p in target.parent.iterdir()] == ["v1"]
    assert serving.load_champion(version) is not None


RACER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
from ml import artifact_store
from ml.models import ModelVersion
cache, path, checksum, go = sys.argv[1:5]
settings.ML_ARTIFACT_DIR = Path(cache)  # the container's cache, shared by its processes
version = ModelVersion(version=1, artifact_path=path, artifact_checksum=checksum)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.01)
print(json.dumps({"path": str(artifact_store.artifact_resolve(version))}))
"""


def test_two_processes_fetching_into_one_cache_both_get_the_verified_copy(
    object_storage, tmp_path, make_org, tiny_artifact
):
    org = make_org()
    version = _stored_champion(org, tiny_artifact)
    cache, go = tmp_path / "container", tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(cache), version.artifact_path]
            + [version.artifact_checksum, str(go)],
            env=_host_env(object_storage),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # Released together once both are past Django's start-up: they fetch at the same time.
    assert [racer.stdout.readline().strip() for racer in racers if racer.stdout] == ["ready"] * 2
    go.touch()
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [r.returncode for r in racers] == [0, 0], [err[-2000:] for _, err in outputs]
    target = cache / f"org-{org.pk}" / "v1"
    assert [json.loads(out.splitlines()[-1])["path"] for out, _ in outputs] == [str(target)] * 2
    assert pipeline.checksum(target) == version.artifact_checksum
    assert [p.name for p in target.parent.iterdir()] == ["v1"]


def test_without_object_storage_artifacts_stay_on_the_local_disk(
    settings, bucket, tmp_path, make_org, tiny_artifact
):
    assert artifact_store.STORAGE_ALIAS not in settings.STORAGES
    settings.ML_ARTIFACT_DIR = tmp_path / "models"
    org = make_org()
    path = artifact_store.artifact_dir(org.pk, "v1")
    shutil.copytree(tiny_artifact, path)
    assert artifact_store.artifact_publish(path) == str(path)
    version = ModelVersion(
        organization=org,
        version=1,
        artifact_path=str(path),
        artifact_checksum=pipeline.checksum(path),
    )
    assert artifact_store.artifact_resolve(version) == path
    assert artifact_store.artifact_local_copy(version) == path
    assert bucket.keys() == []
    (path / "heads.npz").write_bytes(b"not the model")
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        artifact_store.artifact_resolve(version)


def test_an_attachment_is_stored_in_the_bucket_and_downloaded_back(
    object_storage, make_org, make_user, add_member, login, settings, tmp_path
):
    org = make_org()
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    settings.MEDIA_ROOT = tmp_path / "media-must-stay-empty"
    client = login(agent)
    response = client.post(
        reverse("ticket_submit"),
        {
            "title": "VPN router keeps dropping",
            "body": "the vpn and wifi router drop",
            "attachments": [SimpleUploadedFile("screen.png", PNG)],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(organization=org)
    attachment = ticket.attachments.get()
    [key] = object_storage.keys(f"media/attachments/org-{org.pk}/")
    assert key == f"media/{attachment.file.name}"
    stored = object_storage.client.get_object(Bucket=object_storage.name, Key=key)["Body"].read()
    assert stored == PNG
    download = client.get(reverse("ticket_attachment", args=[ticket.number, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert not (tmp_path / "media-must-stay-empty").exists()
