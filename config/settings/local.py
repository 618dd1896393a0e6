"""Local development: the embedded default served by `make run` (Procfile, platform/run.sh)."""

import logging
import os
import warnings
from collections.abc import Callable

from .base import *  # noqa: F403
from .base import (
    CELERY_ACCEPT_CONTENT,
    CELERY_BEAT_SCHEDULE,
    LOGGING,
    STRIPE_API_BASE,
    STRIPE_PUBLISHABLE_KEY,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    VAR_DIR,
    env,
)

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Where `make run` serves (platform/run.sh exports both); links in e-mails point there.
EXPERTDESK_HOST = env.str("EXPERTDESK_HOST", default="127.0.0.1")
EXPERTDESK_PORT = env.int("EXPERTDESK_PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://{EXPERTDESK_HOST}:{EXPERTDESK_PORT}")

# Billing works with nothing configured: without Stripe keys in the environment the SDK talks
# to the localstripe server that `make run` starts on 127.0.0.1 (platform/run_localstripe.py),
# with test keys it accepts and the secret it signs its webhooks with. Keys in the environment
# win, and then STRIPE_API_BASE is whatever the environment says (empty: Stripe itself).
LOCALSTRIPE_PORT = env.int("LOCALSTRIPE_PORT", default=8420)
LOCALSTRIPE_URL = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
if not STRIPE_SECRET_KEY:
    STRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - localstripe accepts any key
    STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY or "pk_test_localstripe"
    STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET or "whsec_localstripe_only"  # noqa: S105
    STRIPE_API_BASE = STRIPE_API_BASE or LOCALSTRIPE_URL

# Webhook receivers under development listen on this machine or the LAN; production forces
# this off (config/settings/production.py).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=True)
# The same for a single sign-on provider tried out on this machine (docs/sso.md).
SSO_ALLOW_INSECURE_ISSUERS = env.bool("SSO_ALLOW_INSECURE_ISSUERS", default=True)

# E-mails are written to var/mail/ (one file per batch) rather than printed: a printed body is
# 30 lines in the middle of the log, and the worker logs its stdout at WARNING.
# EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend brings the console back.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery warns on every start that the worker runs as root. Its risk is a broker message that
# unpickles into code as root: here messages are JSON only (Celery refuses to start as root
# with pickle accepted, so this can't hide that case), they come from a folder under var/ that
# only this user can write, and the project's development machines and CI run everything as
# root, with no other user to drop to. Production runs as an unprivileged user
# (platform/Dockerfile) and keeps the warning; so does a local worker not run as root.
if "pickle" not in CELERY_ACCEPT_CONTENT and hasattr(os, "geteuid") and os.geteuid() == 0:
    warnings.filterwarnings("ignore", message="You're running the worker with superuser")

# A quiet log: the every-minute beat tasks' "Sending due task", "received" and "succeeded"
# lines (a dozen a minute) go; every other task's lines, and any task's failure, stay.
_PERIODIC_TASKS = {str(entry["task"]) for entry in CELERY_BEAT_SCHEDULE.values()}


def _periodic_task_chatter_dropped() -> Callable[[logging.LogRecord], bool]:
    def keep(record: logging.LogRecord) -> bool:
        # Celery passes the task's context as the record's one argument (name, id, runtime…).
        context = record.args if isinstance(record.args, dict) else {}
        return record.levelno > logging.INFO or context.get("name") not in _PERIODIC_TASKS

    return keep


LOGGING = {
    **LOGGING,
    "filters": {
        **LOGGING["filters"],
        "periodic_task_chatter": {"()": _periodic_task_chatter_dropped},
    },
    "loggers": {
        **LOGGING["loggers"],
        # Django's own console handler (with DEBUG on) would print each of its records a second
        # time beside the root handler's copy; its mail_admins has no ADMINS to write to here.
        "django": {"handlers": [], "level": "INFO"},
        "celery.beat": {"level": "WARNING"},
        # The SDK logs each expected 404 (a plan looked up before it is created) at INFO.
        "stripe": {"level": "WARNING"},
        "celery.app.trace": {"filters": ["periodic_task_chatter"]},
        "celery.worker.strategy": {"filters": ["periodic_task_chatter"]},
    },
}
