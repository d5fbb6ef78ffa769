"""voiceagent settings: one module, every value read from the environment (12-factor).

Each setting is assigned once, in the section that owns it; a value that depends on the mode
(embedded with DEBUG=1, production with DATABASE_URL/REDIS_URL) is one expression that says so.
tests/voiceagent/test_settings.py keeps it that way, and checks that README's configuration
table lists every variable read here.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)


def _secret_key():
    key = env_str("SECRET_KEY")
    if not key and not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    return key or "django-insecure-embedded-mode-only-never-in-production"


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
VERSION = env_str("APP_VERSION", "0.1.0")

# --- Security: safe by default, strict in production (DEBUG off) ------------------------------
# With DEBUG on, the production-only values below are Django's own defaults.

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not DEBUG and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [] if DEBUG else [r"^health/"]
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = not DEBUG and env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# Content-Security-Policy, sent by voiceagent.web.security.ContentSecurityPolicyMiddleware.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Swagger UI, ReDoc and a few admin widgets set style attributes from their scripts.
CONTENT_SECURITY_POLICY_INLINE_STYLES = {"style-src": "'self' 'unsafe-inline'"}
CONTENT_SECURITY_POLICY_INLINE_STYLE_PATHS = ["/docs", "/redoc", "/admin/"]

# --- Authentication ---------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout: LOGIN_MAX_FAILURES failures per username and client address within the window.
AUTHENTICATION_BACKENDS = ["voiceagent.web.throttling.ThrottledModelBackend"]
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Apps, middleware, URLs, templates --------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_prometheus",
    "voiceagent.apps.VoiceagentConfig",
    "analytics.apps.AnalyticsConfig",
    "exports.apps.ExportsConfig",
    "monitoring.apps.MonitoringConfig",
    "notifications.apps.NotificationsConfig",
    "reports.apps.ReportsConfig",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "voiceagent.web.security.ContentSecurityPolicyMiddleware",
    "voiceagent.web.security.RejectControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "voiceagent.personal_data.audit.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "voiceagent.web.errors.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "voiceagent.urls"
WSGI_APPLICATION = "voiceagent.wsgi.application"
ASGI_APPLICATION = "voiceagent.asgi.application"
# Paths answer with and without a trailing slash through explicit routes, never a redirect.
APPEND_SLASH = False

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
                "voiceagent.web.context_processors.product",
            ],
        },
    },
]

# --- Database: DATABASE_URL (PostgreSQL in production and tests); SQLite file in embedded mode --

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")


def _database(url):
    """The connection of DATABASE_URL, through django-prometheus's instrumented backends."""
    database = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["ENGINE"] = "django_prometheus.db.backends.postgresql"
        database.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
        pool_size = env_int("DB_POOL_SIZE", 0)
        if pool_size:
            # Django's pool (psycopg_pool): connections kept open across requests in every
            # thread of the process, as under ASGI, where persistent connections
            # (DB_CONN_MAX_AGE) are one per thread and closed by nobody. Not both at once.
            if database["CONN_MAX_AGE"]:
                raise ImproperlyConfigured(
                    "Set DB_POOL_SIZE or DB_CONN_MAX_AGE, not both: a pooled connection "
                    "goes back to the pool at the end of each request."
                )
            database["OPTIONS"]["pool"] = {
                "min_size": 1,
                "max_size": pool_size,
                "timeout": env_int("DB_POOL_TIMEOUT", 10),
            }
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        database["ENGINE"] = "django_prometheus.db.backends.sqlite3"
        # WAL and a busy timeout let the web process, the worker and the simulator share a file.
        database["OPTIONS"] = {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return database


# Ingestion's and the pages' fixed statements run as server-side prepared statements on
# persistent connections (voiceagent/prepared.py); off behind a pooler in transaction mode that
# cannot pass them through.
DATABASE_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

# A PostgreSQL streaming replica of DATABASE_URL: analytics reads go there (voiceagent/db_routers.py);
# a test run treats it as a mirror of the test database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASES = {
    "default": _database(DATABASE_URL),
    **(
        {"replica": {**_database(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}}
        if DATABASE_REPLICA_URL
        else {}
    ),
}
DATABASE_ROUTERS = ["voiceagent.db_routers.AnalyticsReplicaRouter"]
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions and channel layer: Redis in production; absent in embedded mode ----------

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(BASE_DIR / "var" / "cache"),
    }
}
# With Redis, sessions are read from it and written through to the database: no query per
# request. Without, Django's default (the database).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
# Live updates: the channel layer's receive is a BZPOPMIN blocking up to 5 s, and redis-py reads
# with a 5 s socket timeout by default, so every idle WebSocket consumer died with "Timeout
# reading from ..." every few seconds. The layer's reads wait as long as the blocking command.
# Several Redis servers in CHANNELS_REDIS_URLS shard the layer: channels-redis spreads groups and
# channels over its `hosts` by a consistent hash (every process must list them in the same order).
CHANNELS_REDIS_URLS = env_list("CHANNELS_REDIS_URLS", REDIS_URL)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": None} for url in CHANNELS_REDIS_URLS],
            "capacity": 1000,
            "expiry": 30,
        },
    }
    if CHANNELS_REDIS_URLS
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}
# Live pages poll /dashboard/realtime this often while their socket is down (never while it is up).
LIVE_POLL_SECONDS = max(1, env_int("LIVE_POLL_SECONDS", 5))
# A web process with live sockets looks this often for follow-ups that fell due (nothing else
# announces them) and pushes their campaigns' counts.
LIVE_DUE_CHECK_SECONDS = max(1, env_int("LIVE_DUE_CHECK_SECONDS", 5))

# --- Time and language ------------------------------------------------------------------------

LANGUAGE_CODE = "en-in"
# Django ships no en_IN formats: ours (voiceagent/locale_formats, rules in voiceagent/formats.py).
FORMAT_MODULE_PATH = ["voiceagent.locale_formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# --- Celery: Redis in production; kombu's filesystem transport (no server) in embedded mode ---
# Reliability (acks_late, reject_on_worker_lost, time limits) is set here for every task.

# A host name in the filesystem URL keeps kombu from warning "No hostname was supplied".
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/")
_celery_queue_dir = BASE_DIR / "var" / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_celery_queue_dir / "queue"),
        "data_folder_out": str(_celery_queue_dir / "queue"),
        "processed_folder": str(_celery_queue_dir / "processed"),
        "store_processed": False,
        # kombu's filesystem pidbox (the worker ping of /health/detailed) writes to ./control
        # otherwise.
        "control_folder": str(_celery_queue_dir / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    # Above the longest export's run time, so a running export is never delivered twice.
    else {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 3600)}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3 * 3600 + 300)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# CELERY_BEAT_SCHEDULE is under "Periodic tasks", after the knobs it reads.

# --- Static files, media and file storage -----------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", "var/static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
# Export files go to an S3-compatible bucket when one is configured (install django-storages[s3]
# then); to MEDIA_ROOT otherwise. Either way they are read back only through the storage API.
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("STORAGE_S3_BUCKET"),
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL") or None,
            "access_key": env_str("STORAGE_S3_ACCESS_KEY") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_KEY") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
    if env_str("STORAGE_S3_BUCKET")
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST framework and OpenAPI ---------------------------------------------------------------

# JSON bodies of the API (not ingestion, not file uploads): refused above this size with 413.
API_MAX_JSON_BYTES = env_int("API_MAX_JSON_BYTES", 2 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "voiceagent.web.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "voiceagent.web.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "voiceagent.web.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["voiceagent.web.throttling.UserOrScopeRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_USER_RATE", "1200/min"),
        # Generous: the calling agent posts bursts of batches; bench and simulator stay far below.
        "ingest": env_str("INGEST_RATE", "6000/min"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "voiceagent.web.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "voiceagent API",
    "DESCRIPTION": "Campaigns, leads, call ingestion, analytics, dashboard, exports and health "
    "of the outbound Voice-AI real-estate calling agent. Every figure, the period it covers "
    "(`period`) and the lead lifecycle are defined in docs/metrics.md, shipped with the product.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Each route documented once (not its trailing-slash twin).
    "PREPROCESSING_HOOKS": ["voiceagent.web.openapi.drop_trailing_slash_twins"],
    # One enum component per choice set, so no two "status" fields collide.
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "voiceagent.models.CampaignStatus",
        "LeadStatusEnum": "voiceagent.models.LeadStatus",
        "PropertyTypeEnum": "voiceagent.models.PropertyType",
        "CallStatusEnum": "voiceagent.models.CallStatus",
        "CallOutcomeEnum": "voiceagent.models.CallOutcome",
        "EndedByEnum": "voiceagent.models.EndedBy",
        "StageEnum": "voiceagent.models.Stage",
        "SpeakerEnum": "voiceagent.models.Speaker",
        "ObjectionCategoryEnum": "voiceagent.models.ObjectionCategory",
        "ScheduledCallReasonEnum": "voiceagent.models.ScheduledCallReason",
        "ScheduledCallStatusEnum": "voiceagent.models.ScheduledCallStatus",
        "ExportKindEnum": "exports.models.ExportKind",
        "NotificationEventTypeEnum": "notifications.models.NotificationEvent",
        "AlertEventEnum": "notifications.models.ALERT_EVENTS",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
        "AlertChannelEnum": "notifications.models.AlertChannel",
        "ExportFormatEnum": "exports.models.ExportFormat",
        "ExportStatusEnum": "exports.models.ExportStatus",
    },
    # Swagger UI without the public validator badge.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-health-check logs every failed probe with a traceback; monitoring.checks logs
        # one line.
        "health_check": {"level": "ERROR"},
    },
}

# --- Monitoring: metrics, health-check budgets, background checks -----------------------------

# When set, /health/metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env_str("METRICS_TOKEN")
PROMETHEUS_EXPORT_MIGRATIONS = False
# The multiprocess directory is read by prometheus_client from the environment at import; the
# scrape view reads this setting (same value) to merge every process's files.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
# The Celery worker serves its own /health/metrics on this port (0 = off, e.g. when it shares the
# web's multiprocess directory, as in `make run`).
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDR = env_str("WORKER_METRICS_ADDR", "0.0.0.0")
# Every /health/* answer comes within this many seconds, whatever a dependency does.
HEALTH_CHECK_DEADLINE_SECONDS = env_float("HEALTH_CHECK_DEADLINE_SECONDS", 2.5)
EXTERNAL_CHECK_TIMEOUT_SECONDS = env_float("EXTERNAL_CHECK_TIMEOUT_SECONDS", 2.0)
EXTERNAL_CHECK_INTERVAL_SECONDS = env_int("EXTERNAL_CHECK_INTERVAL_SECONDS", 60)
SCHEDULER_HEARTBEAT_INTERVAL_SECONDS = env_int("SCHEDULER_HEARTBEAT_INTERVAL_SECONDS", 60)
# campaign_status / campaign_info keep a completed campaign this long, then drop its series.
METRICS_COMPLETED_CAMPAIGN_DAYS = env_int("METRICS_COMPLETED_CAMPAIGN_DAYS", 7)

# --- Exports ----------------------------------------------------------------------------------

# A GET of an export answers with the file up to these many rows (CSV about 5 s here; an XLSX is
# written whole before its first byte is sent, about 15 s for 100k rows), else with a job.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 200_000)
EXPORT_SYNC_MAX_XLSX_ROWS = env_int("EXPORT_SYNC_MAX_XLSX_ROWS", 100_000)
EXPORT_TTL = timedelta(seconds=env_int("EXPORT_TTL_SECONDS", 24 * 3600))
# An export waits this long for the replica to replay what the primary had committed when it
# began (an erasure above all), then reads on the primary instead (exports/services.py).
EXPORT_REPLICA_WAIT_SECONDS = env_int("EXPORT_REPLICA_WAIT_SECONDS", 5)
# A worker that dies mid-export leaves its job running: after this long without a progress
# heartbeat the reaper re-queues it, and after EXPORT_MAX_ATTEMPTS starts it fails it.
EXPORT_STALE_AFTER = timedelta(seconds=env_int("EXPORT_STALE_AFTER_SECONDS", 15 * 60))
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 3)
# The database lost mid-export (restart, failover): the same delivery is retried every
# EXPORT_DB_RETRY_SECONDS until it is back (EXPORT_DB_RETRIES times), not left to the reaper.
EXPORT_DB_RETRY_SECONDS = env_int("EXPORT_DB_RETRY_SECONDS", 5)
EXPORT_DB_RETRIES = env_int("EXPORT_DB_RETRIES", 120)
EXPORT_PROGRESS_EVERY = env_int("EXPORT_PROGRESS_EVERY", 5000)
EXPORT_CHUNK_SIZE = env_int("EXPORT_CHUNK_SIZE", 2000)

# --- Lead import (CSV/XLSX into a campaign): larger uploads are refused, large ones run on Celery

LEAD_IMPORT_MAX_BYTES = env_int("LEAD_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
LEAD_IMPORT_SYNC_MAX_BYTES = env_int("LEAD_IMPORT_SYNC_MAX_BYTES", 10 * 1024 * 1024)
LEAD_IMPORT_SYNC_MAX_XLSX_BYTES = env_int("LEAD_IMPORT_SYNC_MAX_XLSX_BYTES", 2 * 1024 * 1024)
LEAD_IMPORT_MAX_ERRORS = env_int("LEAD_IMPORT_MAX_ERRORS", 1000)
LEAD_IMPORT_MAX_ATTEMPTS = env_int("LEAD_IMPORT_MAX_ATTEMPTS", 3)

# --- Ingestion and external services ----------------------------------------------------------

EXOTEL_WEBHOOK_SECRET = env_str("EXOTEL_WEBHOOK_SECRET")
EXTERNAL_SERVICES = {
    "exotel": {
        "base_url": env_str("EXOTEL_BASE_URL", "https://api.exotel.com"),
        "account_sid": env_str("EXOTEL_ACCOUNT_SID"),
        "api_key": env_str("EXOTEL_API_KEY"),
        "api_token": env_str("EXOTEL_API_TOKEN"),
    },
    "deepgram": {
        "base_url": env_str("DEEPGRAM_BASE_URL", "https://api.deepgram.com"),
        "api_key": env_str("DEEPGRAM_API_KEY"),
    },
    "openai": {
        "base_url": env_str("OPENAI_BASE_URL", "https://api.openai.com"),
        "api_key": env_str("OPENAI_API_KEY"),
    },
    "elevenlabs": {
        "base_url": env_str("ELEVENLABS_BASE_URL", "https://api.elevenlabs.io"),
        "api_key": env_str("ELEVENLABS_API_KEY"),
    },
}


# --- Notifications: email, alert rules, outbound webhooks ----------------------------------

# Email: SMTP whenever EMAIL_HOST is set, DEBUG or not; the console otherwise),
# alert rules, outbound webhooks. See README "Alerts and webhooks".
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "voiceagent@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# The address links in alerts point to (the call page); no trailing slash.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EXOTEL_SMS_FROM = env_str("EXOTEL_SMS_FROM")
ALERT_RETRY_BASE_SECONDS = env_int("ALERT_RETRY_BASE_SECONDS", 30)
ALERT_RETRY_FOR_SECONDS = env_int("ALERT_RETRY_FOR_SECONDS", 6 * 3600)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_FOR_SECONDS = env_int("WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600)
WEBHOOK_TIMEOUT_SECONDS = float(env_str("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_DISABLE_AFTER_SECONDS = env_int("WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 24 * 3600)
# Webhook and Slack URLs resolving to private, loopback or link-local addresses are refused
# unless this is set (tests and `make run` post to servers on this machine).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Attempts a worker may die in before a delivery is failed (task_reject_on_worker_lost loops).
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 20)

# --- Personal data (DPDP Act): audit log, erasure, retention (README "Personal data") -----

# The salt of the hash that keeps an erased number on the do-not-call list: set it once to a
# long random secret and never change it (a changed salt forgets every erased number).
PHONE_HASH_SALT = env_str("PHONE_HASH_SALT", "voiceagent-do-not-call")
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
# Empty: transcripts and recording URLs are kept for good.
TRANSCRIPT_RETENTION_DAYS = (
    env_int("TRANSCRIPT_RETENTION_DAYS", 365)
    if env_str("TRANSCRIPT_RETENTION_DAYS", "365").strip()
    else None
)

# --- Call costs and calls needing attention ----------------------------------------------

# Call costs in INR (analytics.costs; docs/metrics.md, "Cost"). Defaults set on 2026-11-29 from
# the providers' public list prices, dollars at ₹84: Exotel outbound ₹0.60 per started minute,
# Deepgram Nova streaming $0.0059/min, GPT-4o-mini $0.15 / $0.60 per 1M input / output tokens,
# ElevenLabs $0.22 per 1K characters (Creator plan). Set your contracted prices in production.
PRICE_TELEPHONY_PER_MINUTE = Decimal(env_str("PRICE_TELEPHONY_PER_MINUTE", "0.60"))
PRICE_STT_PER_MINUTE = Decimal(env_str("PRICE_STT_PER_MINUTE", "0.50"))
PRICE_LLM_INPUT_PER_1K = Decimal(env_str("PRICE_LLM_INPUT_PER_1K", "0.0126"))
PRICE_LLM_OUTPUT_PER_1K = Decimal(env_str("PRICE_LLM_OUTPUT_PER_1K", "0.0504"))
PRICE_TTS_PER_1K_CHARS = Decimal(env_str("PRICE_TTS_PER_1K_CHARS", "18.48"))
# Calls needing attention: a turn whose STT + LLM + TTS took longer than this is slow.
SLOW_TURN_MS = env_int("SLOW_TURN_MS", 3000)

# --- Scheduled email reports ------------------------------------------------------------------

# Beat looks for due reports every REPORT_QUEUE_INTERVAL_SECONDS; a delivery claimed by a worker
# that died is sent again after REPORT_SEND_STALE_AFTER_SECONDS, a failing one is retried on the
# next look until REPORT_SEND_MAX_ATTEMPTS.
REPORT_QUEUE_INTERVAL_SECONDS = env_int("REPORT_QUEUE_INTERVAL_SECONDS", 300)
REPORT_SEND_STALE_AFTER = timedelta(seconds=env_int("REPORT_SEND_STALE_AFTER_SECONDS", 30 * 60))
REPORT_SEND_MAX_ATTEMPTS = env_int("REPORT_SEND_MAX_ATTEMPTS", 5)

# --- Periodic tasks (Celery beat) -------------------------------------------------------------

CELERY_BEAT_SCHEDULE = {
    "exports-expire": {
        "task": "exports.expire_export_jobs",
        "schedule": timedelta(minutes=10),
    },
    "exports-reap-stale": {
        "task": "exports.reap_stale_export_jobs",
        "schedule": timedelta(minutes=1),
    },
    "monitoring-scheduler-heartbeat": {
        "task": "monitoring.tasks.record_scheduler_heartbeat",
        "schedule": float(SCHEDULER_HEARTBEAT_INTERVAL_SECONDS),
        "options": {"expires": SCHEDULER_HEARTBEAT_INTERVAL_SECONDS},
    },
    "monitoring-refresh-component-statuses": {
        "task": "monitoring.tasks.refresh_component_statuses",
        "schedule": float(EXTERNAL_CHECK_INTERVAL_SECONDS),
        "options": {"expires": EXTERNAL_CHECK_INTERVAL_SECONDS},
    },
    "notifications-deliver-due": {
        "task": "notifications.deliver_due",
        "schedule": env_int("NOTIFICATION_SWEEP_SECONDS", 30),
    },
    "personal-data-prune-audit": {
        "task": "voiceagent.prune_audit_events",
        "schedule": timedelta(hours=6),
    },
    "personal-data-purge-transcripts": {
        "task": "voiceagent.purge_old_transcripts",
        "schedule": timedelta(hours=6),
    },
    "reports-queue-due": {
        "task": "reports.queue_due_reports",
        "schedule": float(REPORT_QUEUE_INTERVAL_SECONDS),
        "options": {"expires": REPORT_QUEUE_INTERVAL_SECONDS},
    },
}
