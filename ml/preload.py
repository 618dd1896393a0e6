"""Loading the champions when a process starts, so that the first ticket after a start doesn't
wait for them (about 8-11 s on a laptop: the artifact, the ONNX session, the answer retriever
and the answer index; with object storage, first the artifacts' fetch into this host's cache,
ml.artifact_store).

The web process calls `champions_preload_in_background()` from config/wsgi.py and config/asgi.py
(imported by runserver, gunicorn and ASGI servers, never by management commands or tests), and
each Celery pool process from config/celery_app.py. The models land in `ml.serving`'s
per-process caches, keyed as a ticket's triage keys them, so the first ticket finds them there
(or waits on the cache's lock for the load in progress instead of loading a second copy).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# One sentence through the whole triage path: tokenizer, encoder, heads, answer retrieval.
WARM_UP_TEXT = "My laptop can't connect to the VPN since this morning."


def champions_preload() -> int:
    """Loads the champion triage model, the answer retriever and the answer index of the
    organizations with a champion (the most recently promoted first, as many as the serving
    cache holds) by triaging one sentence for each, exactly as a ticket would; returns how many
    could triage. Never raises: a process starts whether or not a champion exists or loads (an
    artifact that fails is logged once by the cache, and its tickets go to experts as always)."""
    from accounts.models import Organization

    from . import serving
    from .models import ModelVersion

    try:
        organization_ids = list(
            ModelVersion.objects.filter(status=ModelVersion.Status.CHAMPION)
            .order_by("-promoted_at")
            .values_list("organization_id", flat=True)[: int(settings.ML_SERVING_CACHE_SIZE)]
        )
        loaded = 0
        for organization in Organization.objects.filter(pk__in=organization_ids):
            [result] = serving.triage(organization, [WARM_UP_TEXT])
            loaded += int(result.available)
        return loaded
    except Exception:
        logger.exception("Preloading the champion models failed; they load at the first ticket")
        return 0


def champions_preload_in_background() -> threading.Thread | None:
    """`champions_preload()` in a daemon thread (a server starts listening at once; the first
    request during the load waits only for what is left of it). None when
    ML_PRELOAD_CHAMPIONS is off."""
    if not settings.ML_PRELOAD_CHAMPIONS:
        return None
    thread = threading.Thread(target=_preload_logged, name="ml-champions-preload", daemon=True)
    thread.start()
    return thread


def _preload_logged() -> None:
    started = time.monotonic()
    try:
        loaded = champions_preload()
    finally:
        # This thread's own database connection; the server's threads have theirs.
        connections.close_all()
    if loaded:
        logger.info(
            "Champion models of %d organization(s) loaded in %.1f s",
            loaded,
            time.monotonic() - started,
        )
