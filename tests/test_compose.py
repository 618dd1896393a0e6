"""platform/compose.yaml scales out: `docker compose up --scale web=3 --scale worker=2` needs
app containers that share no volume (uploads and models are in the bucket), carry no fixed
container_name and publish no host port of their own. Docker can't run here, so this reads the
file as Compose does (YAML, anchors merged) and checks those properties, and that
platform/env.example names every variable the file requires."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

PLATFORM = Path(__file__).resolve().parent.parent / "platform"
APP_SERVICES = {"migrate", "web", "worker", "ml-worker", "beat"}


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((PLATFORM / "compose.yaml").read_text()))


def test_app_services_share_no_volume_and_can_scale():
    services = _compose()["services"]
    assert APP_SERVICES <= set(services)
    for name in APP_SERVICES:
        service = services[name]
        assert not service.get("volumes"), name
        assert "container_name" not in service, name
        assert "/app/var/metrics" in service.get("tmpfs", []), name  # private, per container
        assert service["environment"]["AWS_STORAGE_BUCKET_NAME"].startswith(
            "${AWS_STORAGE_BUCKET_NAME:?"
        ), name
    assert "ports" not in services["web"] and "ports" not in services["worker"]
    # The one published port is the proxy's, which resolves every web replica by name.
    assert services["proxy"]["ports"] == ["${WEB_PORT:-8000}:8000"]
    assert "dynamic a" in _compose()["configs"]["caddyfile"]["content"]


def test_env_example_sets_what_compose_requires_and_the_metrics_settings():
    text = (PLATFORM / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    example = (PLATFORM / "env.example").read_text()
    assigned = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert required and required <= assigned
    assert {
        "AWS_S3_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "METRICS_TOKEN",
        "PROMETHEUS_MULTIPROC_DIR",
        "CELERY_METRICS_PORT",
    } <= assigned
