"""/readyz: 200 with each check's status when the database, the broker and the champion
artifacts are there; 503 (never a 500) when any is not."""

from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_ready(client, make_org, install_champion):
    install_champion(make_org())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "broker": {"status": "ok"},
            "models": {"status": "ok", "champions": 1},
        },
    }


def test_ready_without_any_champion(client):
    assert client.get("/readyz").json()["checks"]["models"] == {"status": "ok", "champions": 0}


def test_a_broker_that_is_down_is_not_ready(client, broker_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["database"] == {"status": "ok"}
    # The error names its kind, never the broker's URL (it may carry a password).
    assert "127.0.0.1" not in response.content.decode()


def test_a_missing_champion_artifact_is_not_ready(client, make_org, tmp_path):
    from ml.models import ModelVersion

    ModelVersion.objects.create(
        organization=make_org(),
        version=1,
        status=ModelVersion.Status.CHAMPION,
        artifact_path=str(tmp_path / "gone"),
        artifact_checksum="0" * 64,
        promoted_at=timezone.now(),
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["models"] == {
        "status": "fail",
        "champions": 1,
        "unavailable": 1,
    }


def test_a_changed_champion_artifact_is_not_ready(client, make_org, install_champion):
    version = install_champion(make_org())
    version.artifact_checksum = "f" * 64
    version.save(update_fields=["artifact_checksum"])
    assert client.get("/readyz").status_code == 503


def test_a_database_error_is_a_503(client, monkeypatch):
    from django.db.utils import OperationalError

    from observability import readiness

    class BrokenCursor:
        def __enter__(self):
            raise OperationalError("server closed the connection")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(readiness.connection, "cursor", lambda: BrokenCursor())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "fail",
        "error": "OperationalError",
    }


def test_healthz_stays_a_liveness_check(client, broker_down):
    assert client.get("/healthz").status_code == 200
