"""The local Stripe server of `make run` (the Procfile's `stripe` process): localstripe, bound
to 127.0.0.1 like the tests' (tests/billing/conftest.py; its own CLI binds every interface),
sending its signed webhooks to this checkout's web server with the secret that local settings
verify them with. Port, keys and secret all come from config/settings/local.py.

Run by path, never imported: platform/ is not a Python package and must not become one (it
would shadow the standard library's `platform` module).
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
logger = logging.getLogger("localstripe")


def keep_store_in(path: Path) -> None:
    """localstripe keeps its objects in /tmp/localstripe.pickle, one file for every localstripe
    on the machine (the tests' write it too). Ours lives beside the database that holds the ids
    of its customers, cards and subscriptions, so a restart of `make run` finds them again and
    deleting var/ resets both together."""
    from localstripe import resources

    def load(store: dict[str, Any]) -> None:
        try:
            with path.open("rb") as saved:
                objects = pickle.load(saved)  # noqa: S301 - our own file under var/
        except FileNotFoundError:
            return
        except Exception as exc:  # an older localstripe's objects: start afresh, say so
            logger.warning("localstripe: %s unreadable (%s); starting empty", path, exc)
            return
        store.clear()
        dict.update(store, objects)  # dict's own update: no write-back per object

    def dump(store: dict[str, Any]) -> None:
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as out:
            pickle.dump(dict(store), out, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # a stop mid-write leaves the previous store, not half of one

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump
    resources.store.try_load_from_disk()


def wait_for_stop() -> None:
    """Idle until the process manager stops us: an exit would make honcho stop everything."""
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    signal.sigwait(stop)


def main() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.conf import settings
    from django.urls import reverse

    local_url = getattr(settings, "LOCALSTRIPE_URL", None)
    if local_url is None or settings.STRIPE_API_BASE.rstrip("/") != local_url:
        logger.info("Stripe is configured in the environment: no local Stripe server.")
        wait_for_stop()
        return

    from aiohttp import web
    from localstripe.server import app
    from localstripe.webhooks import register_webhook

    keep_store_in(Path(settings.VAR_DIR) / "localstripe.pickle")
    webhook_url = settings.SITE_URL.rstrip("/") + reverse("stripe_webhook")
    # localstripe forgets its webhooks when it stops: registered at every start.
    register_webhook("expertdesk", webhook_url, settings.STRIPE_WEBHOOK_SECRET, None)
    logger.info("localstripe at %s, sending webhooks to %s", local_url, webhook_url)
    # No access log (the page's Stripe.js calls would fill it); localstripe still logs each
    # webhook delivery. A short shutdown_timeout: an open keep-alive connection from the
    # browser must not hold up Ctrl-C.
    web.run_app(
        app,
        host="127.0.0.1",
        port=urlsplit(local_url).port,
        access_log=None,
        print=None,
        shutdown_timeout=1.0,
    )


if __name__ == "__main__":
    main()
