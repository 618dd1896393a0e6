"""Tests: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

import os
import tempfile
from pathlib import Path

# The serverless broker's folder must be private to this test run (a `make run` worker on the
# same checkout must not steal test tasks) and shared with workers that tests start.
os.environ.setdefault("EXPERTDESK_CELERY_DIR", tempfile.mkdtemp(prefix="expertdesk-celery-"))

from .base import *  # noqa: E402, F403
from .base import DATABASES, STORAGES, VAR_DIR, env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# Media and model artifacts as base.py decides (the local disk, unless a test starts a
# process configured for object storage: tests/ml/test_artifact_store.py).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ML_ARTIFACT_DIR = Path(tempfile.mkdtemp(prefix="expertdesk-models-"))
# The ONNX export + int8 quantization costs seconds per model load; the engine's own tests
# cover that path, the Django-side tests serve torch fp32 to stay fast.
ML_SERVE_QUANTIZATION = "none"
# Workers that tests start must not spend their first seconds loading every champion of the
# test database; tests/ml/test_preload.py turns it on where it is the subject.
ML_PRELOAD_CHAMPIONS = False
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="expertdesk-media-"))
# The single sign-on tests' OpenID Connect provider listens on http://127.0.0.1.
SSO_ALLOW_INSECURE_ISSUERS = True

# Services schedule tasks with on_commit + delay(); in tests they run in-process unless a
# test starts a real worker (tests/test_celery_roundtrip.py flips this off for its producer).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="expertdesk-static-"))

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a Celery worker process started by a test sees the data.
    # One file per test run (inherited by workers that tests start through the environment),
    # so two runs on one checkout never share a database.
    os.environ.setdefault("EXPERTDESK_TEST_DB", str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3"))
    DATABASES["default"]["TEST"] = {"NAME": os.environ["EXPERTDESK_TEST_DB"]}
