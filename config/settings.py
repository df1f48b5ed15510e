"""Brisk settings: one module, driven by the environment (see README "Configuration").

With no environment at all Brisk runs on the embedded default: a SQLite file under
var/, the local-memory cache and the in-memory channel layer. DATABASE_URL and
REDIS_URL switch to PostgreSQL (with Django's connection pool) and Redis.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from apps.core.converters import ID_PATH_SCHEMA
from config.env import envbool, envint, envlist, envrate, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", True)
_DEV_SECRET = "brisk-development-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is required when DEBUG=0")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.jobs",
    "apps.projects",
    "apps.interviews",
    "apps.workshops",
    "apps.livechat",
]

SILK_ENABLED = envbool("SILK_ENABLED", DEBUG)
SILK_SAMPLE_PERCENT = envint("SILK_SAMPLE_PERCENT", 100 if DEBUG else 5, minimum=0, maximum=100)

MIDDLEWARE = [
    # First: forwarded headers are dropped unless a trusted proxy sent them (TRUSTED_PROXIES).
    "apps.core.proxies.TrustedProxyMiddleware",
    # Under /v1/joblib/ (the zndraw-joblib surface) every error is RFC 9457 problem details.
    "apps.jobs.compat.middleware.ProblemDetailsMiddleware",
    # Under /api/ every answer is JSON, even Django's own 404 and 500 pages (and with DEBUG on).
    "apps.core.exceptions.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (apps.core.csp; the policy is below).
    "apps.core.csp.BriskCSPMiddleware",
    "apps.core.profiling.ProfilingMiddleware",
    "apps.core.middleware.RejectMalformedInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if SILK_ENABLED:
    INSTALLED_APPS.append("silk")
    # After authentication, so silk can tell staff from everyone else.
    MIDDLEWARE.append("apps.core.profiling.SampledSilkMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates first: templates/rest_framework/api.html adapts the browsable API to the CSP.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DB_STATEMENT_TIMEOUT_MS = envint("DB_STATEMENT_TIMEOUT_MS", 60000, minimum=0)
DB_POOL_MIN_SIZE = envint("DB_POOL_MIN_SIZE", 1, minimum=0)
DB_POOL_MAX_SIZE = envint("DB_POOL_MAX_SIZE", 10, minimum=1)
DATABASE_URL = envstr("DATABASE_URL", "")

if DATABASE_URL:
    _db = environ.Env.db_url_config(DATABASE_URL)
    if _db["ENGINE"] in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        _db["ENGINE"] = "django.db.backends.postgresql"
        _db.setdefault("OPTIONS", {})
        _db["OPTIONS"].update(
            {
                # Under ASGI every request may run on a different thread: the pool, not
                # CONN_MAX_AGE, is what keeps connections warm (Django refuses both).
                "pool": {"min_size": DB_POOL_MIN_SIZE, "max_size": DB_POOL_MAX_SIZE, "timeout": 10},
                "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
                "application_name": envstr("DB_APPLICATION_NAME", "brisk"),
                # issue 9 measured these (README "Benchmarks"); both off by default
                "server_side_binding": envbool("DB_SERVER_SIDE_BINDING", False),
                "prepare_threshold": envint("DB_PREPARE_THRESHOLD", -1, minimum=-1),
            }
        )
        if _db["OPTIONS"]["prepare_threshold"] == -1:
            _db["OPTIONS"]["prepare_threshold"] = None  # psycopg's "never prepare" (Django's default)
        _db["CONN_MAX_AGE"] = 0
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "brisk.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and channel layer -----------------------------------------
REDIS_URL = envstr("REDIS_URL", "")
CHANNEL_LAYER_PREFIX = envstr("CHANNEL_LAYER_PREFIX", "brisk")
# Redis connections of the channel layer per server process (callers wait when all are busy).
CHANNEL_LAYER_MAX_CONNECTIONS = envint("CHANNEL_LAYER_MAX_CONNECTIONS", 50, minimum=4)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "brisk"),
            "OPTIONS": {
                # A dead Redis must fail fast: callers fall back to the database.
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis with a read timeout longer than its blocking read and a bounded,
            # waiting pool (apps.core.channel_layer says why both matter).
            "BACKEND": "apps.core.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL}],
                "prefix": CHANNEL_LAYER_PREFIX,
                "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS,
                # A process's hub receives every group's events on one channel: room for bursts.
                "capacity": 10000,
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep-stale-workers": {"task": "apps.jobs.tasks.sweep_stale_workers", "schedule": 30.0},
    # claims not acknowledged within JOBS_CLAIM_LEASE_S go back to the queue; stuck internal tasks fail
    "jobs-release-lapsed-claims": {"task": "apps.jobs.tasks.release_lapsed_claims", "schedule": 5.0},
    "projects-archive-done-tasks": {"task": "apps.projects.tasks.archive_done_tasks", "schedule": 3600.0},
    "accounts-sweep-expired-tokens": {"task": "apps.accounts.tasks.sweep_expired_tokens", "schedule": 3600.0},
    "core-sweep-idempotency-keys": {"task": "apps.core.tasks.sweep_idempotency_keys", "schedule": 3600.0},
    "livechat-sweep": {"task": "apps.livechat.tasks.sweep_sessions", "schedule": 60.0},
    "livechat-retry-deliveries": {"task": "apps.livechat.tasks.retry_failed_deliveries", "schedule": 30.0},
    "livechat-retry-media-downloads": {"task": "apps.livechat.tasks.retry_media_downloads", "schedule": 60.0},
    # sla.alert once per waiting session past LIVECHAT_SLA_QUEUE_S (the sweep sends them too)
    "livechat-sla-alerts": {"task": "apps.livechat.tasks.send_sla_alerts", "schedule": 15.0},
    # round_robin: a safety round (a missed trigger, an expired presence); manual mode: no work
    "livechat-assign": {"task": "apps.livechat.tasks.assign_waiting_sessions", "schedule": 30.0},
}

# --- Live chat (apps.livechat; README "Live chat") ---------------------------
LIVECHAT_CHANNEL_SECRET = envstr("LIVECHAT_CHANNEL_SECRET", "")
LINE_CHANNEL_ACCESS_TOKEN = envstr("LINE_CHANNEL_ACCESS_TOKEN", "")  # empty: store and log, send nothing
LINE_API_BASE_URL = envstr("LINE_API_BASE_URL", "https://api.line.me")
# the blob host (message content downloads): MessagingApiBlob's own default, overridable for tests
LINE_API_DATA_BASE_URL = envstr("LINE_API_DATA_BASE_URL", "https://api-data.line.me")
# agents' image uploads (JPEG/PNG, LINE's image message rule); LINE fetches them from
# LIVECHAT_PUBLIC_MEDIA_URL + the storage name (https, serving MEDIA_ROOT); unset: stored, not sent
LIVECHAT_MEDIA_MAX_BYTES = envint("LIVECHAT_MEDIA_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
LIVECHAT_PUBLIC_MEDIA_URL = envstr("LIVECHAT_PUBLIC_MEDIA_URL", "")
LIVECHAT_HANDOFF_KEYWORDS = envlist("LIVECHAT_HANDOFF_KEYWORDS", ["agent", "human", "operator"])
LIVECHAT_TIME_ZONE = envstr("LIVECHAT_TIME_ZONE", "Asia/Tokyo")
LIVECHAT_ASSIGNMENT = envstr("LIVECHAT_ASSIGNMENT", "manual")
LIVECHAT_AGENT_CAPACITY = envint("LIVECHAT_AGENT_CAPACITY", 5, minimum=1)
LIVECHAT_IDLE_CLOSE_S = envint("LIVECHAT_IDLE_CLOSE_S", 1800, minimum=1)
LIVECHAT_QUEUE_TIMEOUT_S = envint("LIVECHAT_QUEUE_TIMEOUT_S", 600, minimum=1)
LIVECHAT_KPI_TTL = envint("LIVECHAT_KPI_TTL", 10, minimum=1)
LIVECHAT_SLA_QUEUE_S = envint("LIVECHAT_SLA_QUEUE_S", 300, minimum=1)
LIVECHAT_SLA_FIRST_RESPONSE_S = envint("LIVECHAT_SLA_FIRST_RESPONSE_S", 120, minimum=1)
LIVECHAT_SLA_RESOLUTION_S = envint("LIVECHAT_SLA_RESOLUTION_S", 1800, minimum=1)
LIVECHAT_REPLY_TOKEN_TTL_S = envint("LIVECHAT_REPLY_TOKEN_TTL_S", 50, minimum=1)

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# DRF's login (mounted at /api-auth/) takes any active user; the admin's takes staff only.
LOGIN_URL = "/api-auth/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# API tokens (apps.accounts.tokens): seconds a new token lives, 30 days by default.
AUTH_TOKEN_TTL = envint("AUTH_TOKEN_TTL", 30 * 24 * 3600, minimum=60)
# Live tokens per user (each login makes one): a new login beyond it retires the oldest.
AUTH_TOKENS_PER_USER = envint("AUTH_TOKENS_PER_USER", 100, minimum=1)
# Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
# (apps.core.proxies); from anyone else those headers are dropped. Empty: trust no one.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])

# --- Interviews (apps.interviews) -------------------------------------------
# The coach keys users store are Fernet-encrypted with a key derived from this secret.
INTERVIEWS_KEY_SECRET = envstr("INTERVIEWS_KEY_SECRET", SECRET_KEY)
# "builtin" (deterministic, no network) or "openai" (an OpenAI-compatible server, the user's key).
INTERVIEWS_COACH = envstr("INTERVIEWS_COACH", "builtin")
INTERVIEWS_MODEL = envstr("INTERVIEWS_MODEL", "gpt-4o-mini")
OPENAI_BASE_URL = envstr("OPENAI_BASE_URL", "https://api.openai.com/v1")
INTERVIEWS_COACH_TIMEOUT = envint("INTERVIEWS_COACH_TIMEOUT", 30, minimum=1)

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson with DRF's bytes (apps/core/renderers.py); the browsable API stays
    "DEFAULT_RENDERER_CLASSES": [
        "apps.core.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.EnvelopePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # query budgets in descriptions, every standard error answer documented (apps.core.schema)
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.BriskAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.exception_handler",
    "DEFAULT_METADATA_CLASS": "apps.core.metadata.BriskMetadata",
    "DEFAULT_THROTTLE_RATES": {
        # login attempts per client address, and per username whatever the address
        "auth_token": envrate("AUTH_TOKEN_THROTTLE_RATE", "30/min"),
        "auth_username": envrate("AUTH_USERNAME_THROTTLE_RATE", "10/min"),
        # Creates, per user, shared by all workers through Redis (apps.core.throttling); the
        # defaults are far above what a real client sends: they stop runaway scripts.
        "jobs_task_submit": envrate("JOBS_TASK_SUBMIT_THROTTLE_RATE", "6000/min"),
        "jobs_worker_register": envrate("JOBS_WORKER_REGISTER_THROTTLE_RATE", "600/min"),
        "projects_create": envrate("PROJECTS_CREATE_THROTTLE_RATE", "600/min"),
        "projects_task_create": envrate("PROJECTS_TASK_CREATE_THROTTLE_RATE", "6000/min"),
        "interviews_create": envrate("INTERVIEWS_CREATE_THROTTLE_RATE", "600/min"),
        "interviews_submit": envrate("INTERVIEWS_SUBMIT_THROTTLE_RATE", "6000/min"),
        "projects_comment_create": envrate("PROJECTS_COMMENT_CREATE_THROTTLE_RATE", "6000/min"),
    },
    # Only views that declare `create_throttle_scope` are counted (and only their writes).
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.throttling.CreateRateThrottle"],
    # The client address is REMOTE_ADDR, which apps.core.proxies sets from X-Forwarded-For
    # only when the peer is a trusted proxy: DRF must not read X-Forwarded-For itself.
    "NUM_PROXIES": 0,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Brisk API",
    "DESCRIPTION": (
        "Brisk's API: a worker job queue (`/api/jobs/`, and `/v1/joblib/` for the zndraw-joblib worker "
        "client), an LLM-evaluation workshop (`/api/workshops/`), a project and task tracker with live "
        "boards (`/api/projects/`), a LINE live-chat desk (`/api/livechat/`) and an interview coach "
        "(`/api/interviews/`). "
        "Authenticate with `POST /api/auth/token/` and send `Authorization: Token <key>`; "
        "`POST /api/auth/logout/` revokes the key. Errors are `{detail, code}` or field errors."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies as validated: a field the serializer requires (row_version, role) stays required
    "COMPONENT_SPLIT_PATCH": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {"id": ID_PATH_SCHEMA},  # <id:...> is an integer id (apps/core/converters.py)
    # workshops: one name per choice set its several fields share
    "ENUM_NAME_OVERRIDES": {
        "WorkshopPhaseEnum": "apps.workshops.models.Phase",
        "WorkshopStatusEnum": "apps.workshops.models.Workshop.Status",
        "ChatSessionStatusEnum": "apps.livechat.models.ChatSession.Status",
        "WorkshopRoleEnum": "apps.workshops.models.PARTICIPANT_ROLES",
        "WorkshopRaterRoleEnum": "apps.workshops.models.RATER_ROLES",
        "RoleEnum": [("admin", "Admin"), ("editor", "Editor"), ("viewer", "Viewer")],  # projects' member roles
        "WorkspaceRoleEnum": "apps.projects.models.ApplicationMember.Role",  # workspace member roles
    },
}

# --- Limits -----------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# A body within the limit (apps.core.middleware.RequestBodyLimit) always stays in memory:
# Django's spooled body file never rolls over to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = max(DATA_UPLOAD_MAX_MEMORY_SIZE, 2621440)
# Routes that take a larger body than DATA_UPLOAD_MAX_MEMORY_SIZE (apps.core.middleware): path
# regex -> the setting holding the route's file limit (plus UPLOAD_BODY_OVERHEAD for the multipart framing)
UPLOAD_BODY_LIMITS = {r"^/api/livechat/conversations/[0-9]+/media/$": "LIVECHAT_MEDIA_MAX_BYTES"}
UPLOAD_BODY_OVERHEAD = 64 * 1024
JSON_MAX_DEPTH = envint("JSON_MAX_DEPTH", 32, minimum=2)
WEBSOCKET_MAX_MESSAGE_BYTES = envint("WEBSOCKET_MAX_MESSAGE_BYTES", 64 * 1024, minimum=1024)
LONGPOLL_MAX_WAIT_SECONDS = 60

# How long a create's Idempotency-Key answers retries with the first result (apps.core.idempotency).
IDEMPOTENCY_KEY_TTL_HOURS = envint("IDEMPOTENCY_KEY_TTL_HOURS", 24, minimum=1)

# --- Realtime (apps.core.realtime, apps.core.hub, apps.core.longpoll) --------
# Concurrent WebSockets and waiting long-polls per user, across all processes (Redis):
# beyond them a socket is closed 1013 and a long-poll answers 429.
WEBSOCKET_MAX_PER_USER = envint("WEBSOCKET_MAX_PER_USER", 100, minimum=1)
LONGPOLL_MAX_PER_USER = envint("LONGPOLL_MAX_PER_USER", 100, minimum=1)
# Events a socket may fall behind before it is closed 1013 (it reconnects and refetches).
WEBSOCKET_OUTBOX_SIZE = envint("WEBSOCKET_OUTBOX_SIZE", 1000, minimum=10)
# Events a process may hold waiting to be sent; beyond it events are shed, counted, and
# their sequence numbers skipped so clients see the gap.
REALTIME_MAX_BACKLOG = envint("REALTIME_MAX_BACKLOG", 100000, minimum=100)

# --- Profiling --------------------------------------------------------------
SERVER_TIMING = envbool("SERVER_TIMING", DEBUG)
SLOW_QUERY_MS = envint("SLOW_QUERY_MS", 200, minimum=0)
# Paths silk never records: long-polls would hold a thread in silk's sync middleware.
PROFILING_EXCLUDED_PREFIXES = ("/silk/", "/ws/", "/static/", "/healthz")
SILKY_AUTHENTICATION = True
SILKY_AUTHORISATION = True
# silk shows every recorded request's SQL and headers: superusers only (issue 8)
SILKY_PERMISSIONS = lambda user: user.is_superuser  # noqa: E731
# Record only what SampledSilkMiddleware sampled (apps.core.profiling).
SILKY_INTERCEPT_FUNC = lambda request: getattr(request, "_brisk_silk_sampled", False)  # noqa: E731
SILKY_MIDDLEWARE_CLASS = "apps.core.profiling.SampledSilkMiddleware"
SILKY_MAX_RECORDED_REQUESTS = envint("SILKY_MAX_RECORDED_REQUESTS", 2000, minimum=10)
SILKY_MAX_RECORDED_REQUESTS_CHECK_PERCENT = 10
SILKY_MAX_REQUEST_BODY_SIZE = 4096
SILKY_MAX_RESPONSE_BODY_SIZE = 4096
SILKY_PYTHON_PROFILER = False

# --- Domain settings --------------------------------------------------------
JOBS_WORKER_TIMEOUT = envint("JOBS_WORKER_TIMEOUT", 60, minimum=1)
# Largest task payload or job schema stored, as compact JSON (400 with a field error beyond).
JOBS_MAX_PAYLOAD_BYTES = envint("JOBS_MAX_PAYLOAD_BYTES", 256 * 1024, minimum=1024)
# A claimed task not moved to running within this many seconds goes back to pending (the claim lease).
JOBS_CLAIM_LEASE_S = envint("JOBS_CLAIM_LEASE_S", 30, minimum=1)
# The longest an `@internal` job's function may run before its task fails.
JOBS_INTERNAL_TIME_LIMIT_S = envint("JOBS_INTERNAL_TIME_LIMIT_S", 60, minimum=1)
PROJECTS_ARCHIVE_DONE_AFTER_DAYS = envint("PROJECTS_ARCHIVE_DONE_AFTER_DAYS", 7, minimum=1)
# Seconds a board or task socket's presence outlives its process (renewed every third of it).
PROJECTS_PRESENCE_TTL_S = envint("PROJECTS_PRESENCE_TTL_S", 60, minimum=2)

# --- Content-Security-Policy (django-csp; apps.core.csp) ---------------------
# Scripts only from this origin, no inline script (silk's few inline handlers are allowed
# by hash under /silk/ only). Inline styles stay allowed: the admin, DRF and Swagger UI use
# style attributes. The admin, Swagger UI, silk and the browsable API are proven to run under
# it in a real browser (`make test-browser`).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Security (clean `check --deploy` when DEBUG=0) -------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# uploaded and downloaded files (Django's default storage): livechat media
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
SERVE_STATIC = envbool("SERVE_STATIC", DEBUG)

LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No API token reaches a log line (apps.core.logfilters); uvicorn's own loggers get the
    # same filter from config/uvicorn_logging.json.
    "filters": {"redact_tokens": {"()": "apps.core.logfilters.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
