"""The checks of /readyz: can this process serve tickets right now?

Each check returns (ok, detail) and never raises. The details are fixed words and exception
class names, never an exception's text (a broker URL in an error carries its password).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection

from .collectors import BROKER_TIMEOUT_S

logger = logging.getLogger(__name__)

Check = tuple[bool, dict[str, Any]]

# Checksums already verified in this process, by (version id, checksum, the artifact
# directory's mtime; 0 for an artifact found in object storage): a probe every few seconds
# must not hash hundreds of MB, or ask the storage about every champion, each time.
_verified: set[tuple[int, str, int]] = set()
_verified_lock = threading.Lock()


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("Readiness: database unavailable (%s)", type(exc).__name__)
        return False, {"error": type(exc).__name__}
    return True, {}


def broker_check() -> Check:
    from config.celery_app import app

    try:
        with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_S) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_S)
    except Exception as exc:
        logger.warning("Readiness: broker unavailable (%s)", type(exc).__name__)
        return False, {"error": type(exc).__name__}
    return True, {}


def _artifact_verified(version: Any, *, verify_checksum: bool) -> bool:
    from ml.artifact_store import artifact_local_copy, artifact_stored
    from ml.pipeline import checksum

    path = artifact_local_copy(version)
    if path is None:
        # In object storage and not fetched by this process yet: ready when it is stored
        # complete; the fetch at first use verifies the checksum before anything loads it.
        key = (int(version.pk), str(version.artifact_checksum), 0)
        with _verified_lock:
            if key in _verified:
                return True
        if not artifact_stored(version):
            return False
        with _verified_lock:
            _verified.add(key)
        return True
    if not path.exists():
        return False
    if not verify_checksum:
        return True
    key = (int(version.pk), str(version.artifact_checksum), path.stat().st_mtime_ns)
    with _verified_lock:
        if key in _verified:
            return True
    if not version.artifact_checksum or checksum(path) != version.artifact_checksum:
        return False
    with _verified_lock:
        _verified.add(key)
    return True


def models_check() -> Check:
    """Every champion's artifact exists (here, or in object storage), and the ones this process
    keeps loaded (the most recently promoted, as many as ML_SERVING_CACHE_SIZE: what ml.preload
    loads at start) match the checksum ml.serving verifies before loading them; one in object
    storage that this process hasn't fetched yet counts as present when its manifest is there.
    Loading the models themselves takes seconds per model and is ml.preload's job; a probe must
    answer in well under a second.
    No champion at all is ready: a fresh installation serves tickets (to experts)."""
    from ml.models import ModelVersion

    try:
        champions = list(
            ModelVersion.objects.filter(status=ModelVersion.Status.CHAMPION)
            .order_by("-promoted_at", "-pk")
            .select_related("organization")
        )
        hot = int(settings.ML_SERVING_CACHE_SIZE)
        broken = [
            version.organization.slug
            for i, version in enumerate(champions)
            if not _artifact_verified(version, verify_checksum=i < hot)
        ]
    except Exception as exc:
        logger.warning("Readiness: champion check failed (%s)", type(exc).__name__)
        return False, {"error": type(exc).__name__}
    if broken:
        logger.warning("Readiness: champion artifacts missing or changed: %s", broken)
        return False, {"champions": len(champions), "unavailable": len(broken)}
    return True, {"champions": len(champions)}


def readiness() -> tuple[bool, dict[str, Any]]:
    checks = {
        "database": database_check,
        "broker": broker_check,
        "models": models_check,
    }
    body: dict[str, Any] = {}
    ready = True
    for name, check in checks.items():
        ok, detail = check()
        ready = ready and ok
        body[name] = {"status": "ok" if ok else "fail", **detail}
    return ready, {"status": "ok" if ready else "fail", "checks": body}
