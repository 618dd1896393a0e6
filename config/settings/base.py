"""Settings shared by every environment; everything that differs comes from the environment.

With no DATABASE_URL the project runs on SQLite under var/, and with no REDIS_URL Celery uses
kombu's filesystem transport under var/celery, so `make run` needs no server at all.
"""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("EXPERTDESK_VAR_DIR", default=str(BASE_DIR / "var")))
# SQLite, the serverless broker and model artifacts live here; a fresh clone has no var/ yet.
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

SECRET_KEY = env.str(
    "SECRET_KEY", default="insecure-local-development-key-never-used-in-production"
)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on: each organization's OpenID Connect provider (docs/sso.md).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    "api",
    "billing",
    "solutions",
    "ml",
    "webhooks",
    "reports",
    # Tickets by e-mail (docs/email.md); anymail for a provider's inbound webhook.
    "anymail",
    "inbound",
    # /metrics and /readyz (docs/operations.md).
    "observability",
]

MIDDLEWARE = [
    # First, so that its latency covers every other middleware (docs/operations.md).
    "observability.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.OrganizationMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
                "solutions.context_processors.expert_nav",
                "billing.context_processors.billing_banner",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the Celery worker share the file.
    # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers queue on the
    # busy timeout; with SQLite's default (DEFERRED) a reader that later writes fails at once
    # with "database is locked" when another writer got there first.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served at the site's root by WhiteNoise: /favicon.ico, which browsers fetch for pages that
# name no icon (the admin, a JSON response) and which would otherwise be a 404 in the log.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Object storage (S3 API) for media and model artifacts, so that web and worker containers
# scale out without a shared volume (docs/operations.md, "Model artifacts and media in object
# storage"). Unset: both stay on the local disk, MEDIA_ROOT and ML_ARTIFACT_DIR. Credentials
# come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        # MinIO, Ceph, moto, …: any S3-compatible endpoint; empty means AWS itself.
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        # Private objects only: attachments are downloaded through the app's permission check.
        "default_acl": None,
        "querystring_auth": True,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_options, "location": "media"},
    }
    # Read by ml.artifact_store: each process fetches, verifies and caches under ML_ARTIFACT_DIR.
    STORAGES["ml_artifacts"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_options, "location": "models"},
    }

# Content-Security-Policy on every response (django-csp): scripts, styles, frames and
# connections only from our own origin, so that markup someone smuggles into a page can't run
# or call out. Pages therefore have no inline <script>, no on*= handler and no style=""
# attribute: behaviour lives in static/js/ (README.md, "Content-Security-Policy").
# The billing page adds Stripe's origins, Swagger UI its own needs (see their views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the SVG icons in Pico's CSS and the MFA QR code.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

SITE_NAME = "Expertdesk"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"

# django-allauth: email is the login, there is no username.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Expertdesk] "
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Single sign-on (docs/sso.md): the adapter serves each organization's OpenID Connect app with its
# decrypted client secret and decides who may sign in, be connected or join. Nothing lists the
# providers (every organization's would show); the login page asks for the work e-mail instead.
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # the adapter connects existing users itself
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# Client secrets are encrypted at rest with a key derived from SSO_SECRET_KEY (SECRET_KEY when
# empty); old keys go in the FALLBACKS list.
SSO_SECRET_KEY = env.str("SSO_SECRET_KEY", default="")
SSO_SECRET_KEY_FALLBACKS = env.list("SSO_SECRET_KEY_FALLBACKS", default=[])
# Issuers must be https:// on a public address; development and tests may allow http:// and
# loopback/private addresses (a provider in the same network). Production forces both off.
SSO_ALLOW_INSECURE_ISSUERS = env.bool("SSO_ALLOW_INSECURE_ISSUERS", default=False)
MFA_TOTP_ISSUER = "Expertdesk"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Expertdesk <no-reply@expertdesk.local>")

INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)

# Tickets by e-mail (docs/email.md). Every organization receives at <slug>@INBOUND_EMAIL_DOMAIN
# (point the domain's MX at the SMTP server, or at a provider whose inbound webhook is
# INBOUND_ANYMAIL_ESP); owners add aliases of their own.
INBOUND_EMAIL_DOMAIN = env.str("INBOUND_EMAIL_DOMAIN", default="inbound.expertdesk.local")
INBOUND_SMTP_HOST = env.str("INBOUND_SMTP_HOST", default="127.0.0.1")
INBOUND_SMTP_PORT = env.int("INBOUND_SMTP_PORT", default=2525)
# Larger messages are refused at SMTP time (552). Five 10 MB attachments, base64-encoded,
# would not fit: a ticket takes what fits, the rest is for the web form.
INBOUND_MAX_BYTES = env.int("INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
INBOUND_SENDER_PER_HOUR = env.int("INBOUND_SENDER_PER_HOUR", default=30)
INBOUND_ORGANIZATION_PER_HOUR = env.int("INBOUND_ORGANIZATION_PER_HOUR", default=1000)
# The authserv-ids of the relays whose Authentication-Results count (empty: the topmost one).
INBOUND_AUTHSERV_IDS = env.list("INBOUND_AUTHSERV_IDS", default=[])
# The provider whose inbound webhook /email/inbound/<esp>/ serves (mailgun, postmark,
# sendgrid, amazon_ses, …: anymail's names); empty: none.
INBOUND_ANYMAIL_ESP = env.str("INBOUND_ANYMAIL_ESP", default="")
ANYMAIL: dict[str, Any] = {
    # "user:password" the provider sends as HTTP basic auth with each webhook call.
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, a broker that
# needs no server, so the embedded default still runs real background work in a worker.
# "localhost" names no server (the transport reads folders) but spares kombu's "No hostname was
# supplied" warning at every connection.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
if not REDIS_URL:
    _celery_dir = Path(env.str("EXPERTDESK_CELERY_DIR", default=str(VAR_DIR / "celery")))
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "store_processed": False,
        # Without this, broadcast/control messages land in ./control of the current directory.
        "control_folder": str(_celery_dir / "control"),
        # The folder is listed this often (kombu's default is every second). A stop request is
        # only seen between two waits for a message (Celery waits 2 s at most), so this keeps
        # a worker's shutdown, and the delay before a queued task starts, short.
        "polling_interval": 0.1,
    }
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # An exact name wins over the pattern: the sweeper runs where the ml worker isn't.
    "ml.tasks.training_runs_sweep_task": {"queue": "default"},
    "ml.tasks.model_degradation_check_task": {"queue": "default"},
    "ml.tasks.*": {"queue": "ml"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    # The API key first: its `WWW-Authenticate: Bearer` makes unauthenticated requests 401s.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting limit and no NUL characters (400s, api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
}
# DRF's JSON parser reads the stream directly, so DATA_UPLOAD_MAX_MEMORY_SIZE doesn't apply
# to API bodies; this limit does (413).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# JSON bodies nested deeper than this are a 400 (Python's decoder fails near 1,000 levels).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=64)
SPECTACULAR_SETTINGS = {
    "TITLE": "Expertdesk API",
    "DESCRIPTION": (
        "Submit tickets and read their triage and suggestions, escalate them to experts, "
        "write the knowledge base, read usage and the model; experts claim and answer with "
        "their own keys. Errors are RFC 9457 problems. Guide: docs/api.md; signed webhooks: "
        "docs/webhooks.md."
    ),
    "VERSION": "1.0.0",
    # Operations are grouped by the path's first part after /api/v1 (tickets, kb, expert, …).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served from our static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# API Idempotency-Keys are remembered this long, then purged hourly.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# A request holds its key this long at most (longer than gunicorn's 60 s timeout); a retry
# after that finds the first attempt dead and runs again (returning what it had created).
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=90)
CELERY_BEAT_SCHEDULE["api-idempotency-purge"] = {
    "task": "accounts.tasks.idempotency_records_purge_task",
    "schedule": crontab(minute=17),
}
# Experts have no plan: their own API keys (and session) share this per-minute limit.
EXPERT_API_REQUESTS_PER_MINUTE = env.int("EXPERT_API_REQUESTS_PER_MINUTE", default=60)

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Days a past_due organization keeps full access (with a banner) before it turns read-only.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)

# Model artifacts (trained triage models) live on disk, outside the database; with object
# storage configured (above) this is each process's local cache of them.
ML_ARTIFACT_DIR = Path(env.str("ML_ARTIFACT_DIR", default=str(VAR_DIR / "models")))

# /metrics (docs/operations.md): callers send `Authorization: Bearer <METRICS_TOKEN>`; with
# METRICS_ALLOW_LOOPBACK (local and test runs, forced off in production) a call from this
# machine needs none. Anyone else gets a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW_LOOPBACK = env.bool("METRICS_ALLOW_LOOPBACK", default=True)

# Seed/demo logins are allowed only where this is true (never in production settings).
DEMO_SEED_ALLOWED = True


def _debug_dropped() -> Callable[[logging.LogRecord], bool]:
    return lambda record: record.levelno > logging.DEBUG


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"debug_dropped": {"()": _debug_dropped}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # bm25s sets its logger to DEBUG when imported ("Building index from tokens" at every
        # index build); a filter survives that, a level would not.
        "bm25s": {"filters": ["debug_dropped"]},
    },
}

# Absolute links in emails (invitations, notifications).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
MFA_TOTP_TOLERANCE = 1  # accept one 30 s step of clock drift between phone and server

# Triage model: training, promotion and serving.
ML_DEVICE = env.str("ML_DEVICE", default="auto")  # auto | cpu | cuda
ML_TIME_BUDGET_S = env.int("ML_TIME_BUDGET_S", default=600)
# The demo's starter model (`make run`) must be ready within minutes on a laptop.
ML_STARTER_TIME_BUDGET_S = env.int("ML_STARTER_TIME_BUDGET_S", default=300)
ML_PROMOTION_MARGIN = env.float("ML_PROMOTION_MARGIN", default=0.0)
ML_RETRAIN_MIN_NEW_LABELS = env.int("ML_RETRAIN_MIN_NEW_LABELS", default=50)
ML_SERVING_CACHE_SIZE = env.int("ML_SERVING_CACHE_SIZE", default=4)
# Web and worker processes load the champions when they start (ml/preload.py), so the first
# ticket after a start doesn't wait seconds for the model.
ML_PRELOAD_CHAMPIONS = env.bool("ML_PRELOAD_CHAMPIONS", default=True)
# Candidates pgvector's HNSW search keeps per answer-index query (hnsw.ef_search, set on each
# PostgreSQL connection by ml.apps); 200 reaches recall@10 0.95 at 100k answers.
ML_ANSWER_HNSW_EF_SEARCH = env.int("ML_ANSWER_HNSW_EF_SEARCH", default=200)
# PostgreSQL: an organization gets its own partial HNSW index of the answer index at this many
# answers and loses it below the second mark (hysteresis); smaller ones are scanned exactly,
# which is as fast below ~1,000 rows (docs/ml.md, "Answer index at scale"). Kept by
# ml.answer_indexes after index writes that cross a mark and daily by beat.
ML_ANSWER_PARTIAL_INDEX_MIN_ROWS = env.int("ML_ANSWER_PARTIAL_INDEX_MIN_ROWS", default=1000)
ML_ANSWER_PARTIAL_INDEX_DROP_ROWS = env.int("ML_ANSWER_PARTIAL_INDEX_DROP_ROWS", default=500)
CELERY_BEAT_SCHEDULE["ml-answer-partial-indexes"] = {
    "task": "ml.tasks.answer_partial_indexes_sync_task",
    "schedule": crontab(hour=env.int("ML_ANSWER_PARTIAL_INDEX_HOUR_UTC", default=1), minute=40),
}
# Suggested answers (docs/suggestions.md): below this probability of solving the ticket a
# suggestion is a weak match, shown collapsed; below the second it is not shown at all.
SUGGESTION_WEAK_PROBABILITY = env.float("SUGGESTION_WEAK_PROBABILITY", default=0.3)
SUGGESTION_HIDDEN_PROBABILITY = env.float("SUGGESTION_HIDDEN_PROBABILITY", default=0.05)
# How the CPU serves the encoder: onnx_int8 (fastest, see docs/benchmarks.md) | onnx |
# dynamic_int8 | none (torch fp32). CUDA always serves torch.
ML_SERVE_QUANTIZATION = env.str("ML_SERVE_QUANTIZATION", default="onnx_int8")
ML_NUM_THREADS = env.int("ML_NUM_THREADS", default=2)
# `ml.engine.TrainConfig` fields set on every training run, as JSON, e.g. {"epochs": 1.0} for a
# quick experiment; empty in normal operation (the engine's defaults are the measured ones).
ML_TRAIN_OVERRIDES: dict[str, object] = env.json("ML_TRAIN_OVERRIDES", default={})
# The answer retriever is trained in the same run, after the triage model, with this share of
# the run's time budget (the triage model gets the rest); `ml.engine.RetrieverConfig` fields
# to override, as JSON, like ML_TRAIN_OVERRIDES.
ML_RETRIEVER_BUDGET_SHARE = env.float("ML_RETRIEVER_BUDGET_SHARE", default=0.25)
ML_RETRIEVER_OVERRIDES: dict[str, object] = env.json("ML_RETRIEVER_OVERRIDES", default={})
# A training run beats every ML_TRAINING_HEARTBEAT_INTERVAL_S; the sweeper (every minute)
# fails a RUNNING run silent for ML_TRAINING_HEARTBEAT_TIMEOUT_S (its worker died) and a
# QUEUED one no ml worker took within ML_TRAINING_QUEUED_TIMEOUT_S, so the organization can
# train again (docs/ml.md).
ML_TRAINING_HEARTBEAT_INTERVAL_S = env.int("ML_TRAINING_HEARTBEAT_INTERVAL_S", default=15)
ML_TRAINING_HEARTBEAT_TIMEOUT_S = env.int("ML_TRAINING_HEARTBEAT_TIMEOUT_S", default=300)
ML_TRAINING_QUEUED_TIMEOUT_S = env.int("ML_TRAINING_QUEUED_TIMEOUT_S", default=6 * 3600)
CELERY_BEAT_SCHEDULE["ml-training-runs-sweep"] = {
    "task": "ml.tasks.training_runs_sweep_task",
    "schedule": crontab(minute="*"),
}
CELERY_BEAT_SCHEDULE["ml-retrain-nightly"] = {
    "task": "ml.tasks.retrain_due_models_task",
    "schedule": crontab(hour=env.int("ML_RETRAIN_HOUR_UTC", default=2), minute=0),
    "kwargs": {"nightly": True},
}
# Model monitoring (docs/ml.md, "Monitoring"): the daily check alerts an organization's owners
# (and its model.degraded webhook) at most once a week when last week's measured accuracy on
# at least ML_MONITORING_MIN_TICKETS measured tickets fell below ML_MONITORING_MIN_ACCURACY,
# or its predicted categories (Jensen-Shannon distance to the training labels) or words (the
# rise of the out-of-vocabulary share over training) drifted past the maxima. Defaults are
# round numbers, not tuned to any data set.
ML_MONITORING_MIN_TICKETS = env.int("ML_MONITORING_MIN_TICKETS", default=20)
ML_MONITORING_MIN_ACCURACY = env.float("ML_MONITORING_MIN_ACCURACY", default=0.7)
ML_MONITORING_MAX_LABEL_DRIFT = env.float("ML_MONITORING_MAX_LABEL_DRIFT", default=0.3)
ML_MONITORING_MAX_LEXICAL_DRIFT = env.float("ML_MONITORING_MAX_LEXICAL_DRIFT", default=0.15)
# Below this category confidence a triage counts as low-confidence on the Model page.
ML_MONITORING_LOW_CONFIDENCE = env.float("ML_MONITORING_LOW_CONFIDENCE", default=0.5)
CELERY_BEAT_SCHEDULE["ml-model-monitoring"] = {
    "task": "ml.tasks.model_degradation_check_task",
    "schedule": crontab(hour=env.int("ML_MONITORING_HOUR_UTC", default=6), minute=30),
}
# The expert side: lapsed claims go back to the queue and agents hear of a near SLA within a
# minute; experts get at most one batched "new tickets" notice per 10 minutes.
CELERY_BEAT_SCHEDULE["expert-claims-expire"] = {
    "task": "solutions.tasks_experts.claims_expire_task",
    "schedule": crontab(minute="*"),
}
CELERY_BEAT_SCHEDULE["expert-sla-warnings"] = {
    "task": "solutions.tasks_experts.sla_warnings_task",
    "schedule": crontab(minute="*"),
}
# Conversation messages are told in the app at once and by one e-mail per person per run
# (solutions.services.conversations.conversation_emails_send).
CELERY_BEAT_SCHEDULE["conversation-emails"] = {
    "task": "solutions.tasks.conversations.conversation_emails_task",
    "schedule": crontab(minute="*/5"),
}
# An answer nobody accepted or followed up on within this many days is accepted and paid.
EXPERT_ANSWER_AUTO_ACCEPT_DAYS = env.int("EXPERT_ANSWER_AUTO_ACCEPT_DAYS", default=7)

# Duplicates (solutions.selectors.duplicates): open tickets at least this similar (0..1, mean
# word/character TF-IDF cosine) are shown as "similar open tickets"; an API submission this
# near-identical to an open ticket of the same requester within the window returns that ticket.
DUPLICATE_SIMILARITY_MIN = env.float("DUPLICATE_SIMILARITY_MIN", default=0.5)
DUPLICATE_IDENTICAL_MIN = env.float("DUPLICATE_IDENTICAL_MIN", default=0.9)
DUPLICATE_WINDOW_MINUTES = env.int("DUPLICATE_WINDOW_MINUTES", default=10)
DUPLICATE_LOOKBACK_DAYS = env.int("DUPLICATE_LOOKBACK_DAYS", default=30)
DUPLICATE_CANDIDATES_MAX = env.int("DUPLICATE_CANDIDATES_MAX", default=500)
# The customer may dispute an expert's answer (awaiting review or accepted) for this many days
# after it was written; platform staff decide in the admin (docs/experts.md, "Disputes").
DISPUTE_WINDOW_DAYS = env.int("DISPUTE_WINDOW_DAYS", default=7)
CELERY_BEAT_SCHEDULE["expert-answers-auto-accept"] = {
    "task": "solutions.tasks_experts.answers_auto_accept_task",
    "schedule": crontab(minute=23),
}
CELERY_BEAT_SCHEDULE["experts-notify-new-tickets"] = {
    "task": "solutions.tasks_experts.experts_notify_task",
    "schedule": crontab(minute="*/10"),
}
# Reputation routing (solutions.services.routing): an escalated ticket is first offered to
# this many best-matching experts with a record in its category, for this many minutes; then
# to every matching expert.
EXPERT_FIRST_OFFER_COUNT = env.int("EXPERT_FIRST_OFFER_COUNT", default=3)
EXPERT_FIRST_OFFER_MINUTES = env.int("EXPERT_FIRST_OFFER_MINUTES", default=15)
# The reliable tier (a plan's reliable_commission_bps): a vetted expert whose record in the
# ticket's category has at least this many answers, this SLA compliance and average rating,
# and at most this share of answers lost in disputes (solutions.selectors.reputation).
EXPERT_RELIABLE_MIN_ANSWERS = env.int("EXPERT_RELIABLE_MIN_ANSWERS", default=10)
EXPERT_RELIABLE_MIN_SLA_COMPLIANCE = env.float("EXPERT_RELIABLE_MIN_SLA_COMPLIANCE", default=0.9)
EXPERT_RELIABLE_MIN_RATING = env.float("EXPERT_RELIABLE_MIN_RATING", default=4.5)
EXPERT_RELIABLE_MAX_DISPUTE_LOSS_RATE = env.float(
    "EXPERT_RELIABLE_MAX_DISPUTE_LOSS_RATE", default=0.05
)
# Experts' earnings: held earnings are released hourly; payouts for the previous month run
# on the 1st at 04:00 UTC, after the nightly jobs, when the month's answers are all in.
EARNINGS_HOLD_DAYS = env.int("EARNINGS_HOLD_DAYS", default=7)
PAYOUT_MINIMUM_CENTS = env.int("PAYOUT_MINIMUM_CENTS", default=5000)
CELERY_BEAT_SCHEDULE["earnings-release"] = {
    "task": "billing.tasks_earnings.earnings_release_task",
    "schedule": crontab(minute=5),
}
# Credits after a dispute that could not reach Stripe at once (no customer yet, Stripe down,
# a crash between storing and sending) are sent by this sweep; sending is exactly once.
CELERY_BEAT_SCHEDULE["customer-credits-sync"] = {
    "task": "billing.tasks.ledger.customer_credits_sync_task",
    "schedule": crontab(minute="*/15"),
}
CELERY_BEAT_SCHEDULE["payouts-monthly"] = {
    "task": "billing.tasks_earnings.payouts_monthly_task",
    "schedule": crontab(day_of_month=1, hour=4, minute=0),
}
# Last month's usage goes to Stripe as invoice items on the 1st at 03:00 UTC (after the nightly
# retraining); rerunning is harmless, so a missed tick can be repaired with billing_close_period.
CELERY_BEAT_SCHEDULE["billing-close-previous-period"] = {
    "task": "billing.tasks.close_previous_period_task",
    "schedule": crontab(day_of_month="1", hour=3, minute=0),
}
# Outbound webhooks (docs/webhooks.md). Endpoint secrets are encrypted at rest with a key
# derived from WEBHOOK_SECRET_KEY (SECRET_KEY when empty); old keys go in the FALLBACKS list.
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="")
WEBHOOK_SECRET_KEY_FALLBACKS = env.list("WEBHOOK_SECRET_KEY_FALLBACKS", default=[])
# After "Roll secret", the previous secret keeps signing (next to the new one) this long, so
# receivers can switch without losing a webhook; 0 stops the old secret at once.
WEBHOOK_SECRET_ROLL_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_ROLL_OVERLAP_HOURS", default=24)
# Server-side request forgery guard: loopback and private targets are refused unless this is
# on (development and tests only; production forces it off). See webhooks/transport.py.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Retries: 30 s after the first failure, doubling, at most 1 h apart, 12 attempts in all
# (about 5 hours), then the delivery is failed and can be redelivered from its page.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=12)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
# A lost task message must not lose a webhook: overdue deliveries are re-queued every minute.
CELERY_BEAT_SCHEDULE["webhooks-requeue-due"] = {
    "task": "webhooks.tasks.webhook_deliveries_requeue_task",
    "schedule": crontab(minute="*"),
}
# The delivery log keeps finished deliveries this long; older ones are purged daily.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["webhooks-purge-old-deliveries"] = {
    "task": "webhooks.tasks.webhook_deliveries_purge_task",
    "schedule": crontab(hour=4, minute=30),
}
# Redis hands a message its worker took but never acknowledged (acks_late: the worker died
# mid-task) to another worker after this long. It must outlast the longest such task — a
# training run: its budget, then evaluation and the artifact — and the longest countdown a
# message waits inside a worker (a webhook retry, WEBHOOK_RETRY_MAX_SECONDS); otherwise a
# message still being worked on is delivered a second time. `manage.py check` refuses a value
# shorter than a training run (ml/checks.py). The filesystem broker has no such timeout.
CELERY_VISIBILITY_TIMEOUT_S = env.int(
    "CELERY_VISIBILITY_TIMEOUT_S",
    default=max(
        2 * 3600,
        2 * max(ML_TIME_BUDGET_S, ML_STARTER_TIME_BUDGET_S) + 1800,
        int(WEBHOOK_RETRY_MAX_SECONDS) + 600,
    ),
)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_S}

# Reports (docs/reports.md): the requester's one-click rating links work this many days after
# the survey is sent; pending surveys are e-mailed every minute.
SATISFACTION_LINK_MAX_AGE_DAYS = env.int("SATISFACTION_LINK_MAX_AGE_DAYS", default=30)
CELERY_BEAT_SCHEDULE["satisfaction-surveys-send"] = {
    "task": "reports.tasks.satisfaction_surveys_send_task",
    "schedule": crontab(minute="*"),
}
