"""voiceagent settings: one module, every value read from the environment (12-factor)."""

import os
from datetime import timedelta
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


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-mode-only-never-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
VERSION = env_str("APP_VERSION", "0.1.0")

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
    "reports.apps.ReportsConfig",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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

# Database: DATABASE_URL (PostgreSQL in production and tests); SQLite file in embedded mode.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DB_CONNECT_TIMEOUT", 3
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # WAL and a busy timeout let the web process, the worker and the simulator share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, Celery broker and channel layer in production; absent in embedded mode.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions read from Redis, written through to the database: no query per request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live updates (dashboard issue): redis-py 8 reads with a 5 s socket timeout by default, and the
# channel layer's receive is a BZPOPMIN blocking up to 5 s, so every idle WebSocket consumer died
# with "Timeout reading from ..." every few seconds. The channel layer's reads wait as long as
# the blocking command does.
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": None}]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-in"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", "var/static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security: safe by default, strict in production (DEBUG off).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
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
}
SPECTACULAR_SETTINGS = {
    "TITLE": "voiceagent API",
    "DESCRIPTION": "Campaigns, leads, call ingestion, analytics, dashboard, exports and health "
    "of the outbound Voice-AI real-estate calling agent.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# OpenAPI (analytics issue): each route documented once (not its trailing-slash twin), one enum
# component per choice set (no name collisions), Swagger UI without the public validator badge.
SPECTACULAR_SETTINGS |= {
    "PREPROCESSING_HOOKS": ["voiceagent.web.openapi.drop_trailing_slash_twins"],
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
    },
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Celery: Redis in production; kombu's filesystem transport (no server) in embedded mode.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
else:
    # Above the longest export's run time, so a running export is never delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 3600)
    }
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
CELERY_BEAT_SCHEDULE = {}

# Exports.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 10_000)
EXPORT_TTL = timedelta(seconds=env_int("EXPORT_TTL_SECONDS", 24 * 3600))
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
CELERY_BEAT_SCHEDULE["exports-expire"] = {
    "task": "exports.expire_export_jobs",
    "schedule": timedelta(minutes=10),
}
CELERY_BEAT_SCHEDULE["exports-reap-stale"] = {
    "task": "exports.reap_stale_export_jobs",
    "schedule": timedelta(minutes=1),
}
# OpenAPI: the export choice sets get names of their own, apart from other "status" fields.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ExportKindEnum": "exports.models.ExportKind",
        "ExportFormatEnum": "exports.models.ExportFormat",
        "ExportStatusEnum": "exports.models.ExportStatus",
    }
)
# Export files go to an S3-compatible bucket when one is configured (install django-storages[s3]
# then); to MEDIA_ROOT otherwise. Either way they are read back only through the storage API.
if env_str("STORAGE_S3_BUCKET"):
    STORAGES["default"] = {
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

# Email: SMTP whenever EMAIL_HOST is set (DEBUG or not); the console backend only when it is not
# (as under `make run`), so nothing is sent by accident and nothing is lost silently.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "voiceagent <noreply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# Scheduled email reports: beat looks for due reports every REPORT_QUEUE_INTERVAL_SECONDS; a
# delivery claimed by a worker that died is sent again after REPORT_SEND_STALE_AFTER_SECONDS,
# a failing one is retried on the next look until REPORT_SEND_MAX_ATTEMPTS.
REPORT_QUEUE_INTERVAL_SECONDS = env_int("REPORT_QUEUE_INTERVAL_SECONDS", 300)
REPORT_SEND_STALE_AFTER = timedelta(seconds=env_int("REPORT_SEND_STALE_AFTER_SECONDS", 30 * 60))
REPORT_SEND_MAX_ATTEMPTS = env_int("REPORT_SEND_MAX_ATTEMPTS", 5)
CELERY_BEAT_SCHEDULE["reports-queue-due"] = {
    "task": "reports.queue_due_reports",
    "schedule": float(REPORT_QUEUE_INTERVAL_SECONDS),
    "options": {"expires": REPORT_QUEUE_INTERVAL_SECONDS},
}

# Ingestion and external services.
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

# Monitoring.
METRICS_TOKEN = env_str("METRICS_TOKEN")
PROMETHEUS_EXPORT_MIGRATIONS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Monitoring (issue 6): multiprocess metrics, health-check budgets, background checks.
# The multiprocess directory is read by prometheus_client from the environment at import; the
# scrape view reads this setting (same value) to merge every process's files.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
# The Celery worker serves its own /health/metrics on this port (0 = off, e.g. when it shares the
# web's multiprocess directory, as in `make run`).
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDR = env_str("WORKER_METRICS_ADDR", "0.0.0.0")
# Every /health/* answer comes within this many seconds, whatever a dependency does.
HEALTH_CHECK_DEADLINE_SECONDS = float(env_str("HEALTH_CHECK_DEADLINE_SECONDS", "2.5"))
EXTERNAL_CHECK_TIMEOUT_SECONDS = float(env_str("EXTERNAL_CHECK_TIMEOUT_SECONDS", "2"))
EXTERNAL_CHECK_INTERVAL_SECONDS = env_int("EXTERNAL_CHECK_INTERVAL_SECONDS", 60)
SCHEDULER_HEARTBEAT_INTERVAL_SECONDS = env_int("SCHEDULER_HEARTBEAT_INTERVAL_SECONDS", 60)
# campaign_status / campaign_info keep a completed campaign this long, then drop its series.
METRICS_COMPLETED_CAMPAIGN_DAYS = env_int("METRICS_COMPLETED_CAMPAIGN_DAYS", 7)
CELERY_BEAT_SCHEDULE["monitoring-scheduler-heartbeat"] = {
    "task": "monitoring.tasks.record_scheduler_heartbeat",
    "schedule": float(SCHEDULER_HEARTBEAT_INTERVAL_SECONDS),
    "options": {"expires": SCHEDULER_HEARTBEAT_INTERVAL_SECONDS},
}
CELERY_BEAT_SCHEDULE["monitoring-refresh-component-statuses"] = {
    "task": "monitoring.tasks.refresh_component_statuses",
    "schedule": float(EXTERNAL_CHECK_INTERVAL_SECONDS),
    "options": {"expires": EXTERNAL_CHECK_INTERVAL_SECONDS},
}
# django-health-check logs every failed probe with a traceback; monitoring.checks logs one line.
LOGGING["loggers"]["health_check"] = {"level": "ERROR"}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem pidbox (the worker ping of /health/detailed) writes to ./control otherwise.
    CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"] = str(_queue_dir / "control")

# Lead import (CSV/XLSX into a campaign): larger uploads are refused, large ones run on Celery.
LEAD_IMPORT_MAX_BYTES = env_int("LEAD_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
LEAD_IMPORT_SYNC_MAX_BYTES = env_int("LEAD_IMPORT_SYNC_MAX_BYTES", 10 * 1024 * 1024)
LEAD_IMPORT_SYNC_MAX_XLSX_BYTES = env_int("LEAD_IMPORT_SYNC_MAX_XLSX_BYTES", 2 * 1024 * 1024)
LEAD_IMPORT_MAX_ERRORS = env_int("LEAD_IMPORT_MAX_ERRORS", 1000)
LEAD_IMPORT_MAX_ATTEMPTS = env_int("LEAD_IMPORT_MAX_ATTEMPTS", 3)

# Hardening (issue 10): Content-Security-Policy, login lockout, API rate limits.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "voiceagent.web.security.ContentSecurityPolicyMiddleware",
)
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
AUTHENTICATION_BACKENDS = ["voiceagent.web.throttling.ThrottledModelBackend"]
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["voiceagent.web.throttling.UserOrScopeRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "user": env_str("API_USER_RATE", "1200/min"),
    # Generous: the calling agent posts bursts of batches; the bench and simulator stay far below.
    "ingest": env_str("INGEST_RATE", "6000/min"),
}
MIDDLEWARE.insert(
    MIDDLEWARE.index("voiceagent.web.security.ContentSecurityPolicyMiddleware") + 1,
    "voiceagent.web.security.RejectControlCharactersMiddleware",
)
# JSON bodies of the API (not ingestion, not file uploads): refused above this size with 413.
API_MAX_JSON_BYTES = env_int("API_MAX_JSON_BYTES", 2 * 1024 * 1024)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "voiceagent.web.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
