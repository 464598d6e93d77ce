"""
Settings for the Todo API, read from the environment.

Every variable is listed in .env.example and docs/configuration.md. The defaults
are the safe ones: without DJANGO_DEBUG the app runs in production mode and
refuses to start until it has a secret key and its allowed hosts.
https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# A developer's local .env (see .env.example), if any; the real environment wins.
load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalised = value.strip().lower()
    if normalised in {"1", "true", "yes", "on"}:
        return True
    if normalised in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}."
        ) from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default or [])


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# A fixed key is tolerable only on a developer's machine; anywhere else a missing
# key must stop the process rather than sign sessions with a guessable value.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [],
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. Set it to the comma-separated host names "
        "this API is served under (for example api.example.com)."
    )

# Origins allowed to call the API from a browser (the web front end).
# https://github.com/adamchainz/django-cors-headers#configuration
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
# The request headers a browser client sends beyond the defaults, and the
# response headers its scripts may read (conditional requests, retries, 503s).
CORS_ALLOW_HEADERS = (
    *default_cors_headers,
    "if-match",
    "if-none-match",
    "idempotency-key",
)
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "X-Request-ID",
    "RateLimit",
    "RateLimit-Policy",
]
# Needed for session POSTs (admin, browsable API) from an HTTPS origin.
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "health",
    "users",
    "tasks",
]

# One switch for the API's hot-path optimisations that settings choose (the
# caches, the short middleware chain, orjson, the negotiation shortcut, the
# one-query page, reads without a transaction).
# Off, the same code runs as plain Django and DRF: `make bench` measures its
# scenario E that way, so each gain is a ratio measured side by side.
API_OPTIMIZATIONS = env_bool("API_OPTIMIZATIONS", default=True)

MIDDLEWARE = [
    # X-Request-ID on every answer and in every log line made for it.
    "api.request_id.RequestIdMiddleware",
    # Cache-Control on API answers; outside the rest, so that it also sees the
    # answers they make (413, 429, 503).
    "api.middleware.CacheControlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # RateLimit and RateLimit-Policy headers on answers a rate limit counted.
    "api.ratelimit.RateLimitHeadersMiddleware",
    # An unreachable database answers 503 with Retry-After, never 500.
    "api.middleware.DatabaseUnavailableMiddleware",
    # Serves the admin's CSS and JS under any WSGI server, no nginx needed.
    # https://whitenoise.readthedocs.io/en/stable/django.html
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Oversized API bodies (413), null characters and huge values in API query
    # strings (400), with CORS headers, so that a browser client can read why.
    "api.middleware.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# API requests that carry a Bearer token take this shorter chain (see
# api.handlers): sessions, CSRF, auth and messages serve browsers and
# the admin. The response headers are the same either way.
API_MIDDLEWARE = [
    "api.request_id.RequestIdMiddleware",
    "api.middleware.CacheControlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.ratelimit.RateLimitHeadersMiddleware",
    "api.middleware.DatabaseUnavailableMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.HostileInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if not API_OPTIMIZATIONS:
    API_MIDDLEWARE = MIDDLEWARE

ROOT_URLCONF = "todo_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of third-party templates (the offline ReDoc page), which
        # the app loader would find after drf_spectacular's own.
        "DIRS": [BASE_DIR / "api" / "templates"],
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

WSGI_APPLICATION = "todo_project.wsgi.application"

# DATABASE_URL is what the web process serves with (Neon: the -pooler URL).
# manage.py marks its processes (migrations, maintenance commands), which run
# on DATABASE_URL_DIRECT when it is set (Neon: the direct URL, no PgBouncer).
# Without either, a SQLite file lets `make run` work with nothing installed.
# https://neon.com/docs/connect/connection-pooling
MANAGEMENT_PROCESS = os.environ.get("DJANGO_PROCESS") == "management"
DATABASE_URL = (
    (MANAGEMENT_PROCESS and os.environ.get("DATABASE_URL_DIRECT"))
    or os.environ.get("DATABASE_URL")
    or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
)
DATABASES = {
    # Query-string options (sslmode, channel_binding, ...) land in OPTIONS and
    # reach psycopg unchanged. https://github.com/jazzband/dj-database-url
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Reuse a connection for a while, well under the 5 minutes after which
        # Neon closes idle ones; check it before each reuse.
        # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# One transaction per request: a request that fails writes nothing, and a
# response is sent only after its writes are committed.
# https://docs.djangoproject.com/en/5.2/topics/db/transactions/#tying-transactions-to-http-requests
DATABASES["default"]["ATOMIC_REQUESTS"] = True

# Seconds to establish a connection, per attempt; a Neon compute waking from
# zero takes a few. https://www.postgresql.org/docs/current/libpq-connect.html
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
# Attempts to connect (backoff 0.25 s, 0.5 s, ...): rides out a cold start,
# within the connect timeout, so a request never waits long on the database
# (the server does not kill slow requests). Queries are never retried.
DATABASE_CONNECT_ATTEMPTS = env_int("DATABASE_CONNECT_ATTEMPTS", 3)
# Longest any one database call of a web request (query, COMMIT, ROLLBACK) may
# take before its connection is broken off and the request answers 503 (0: no
# limit). A pooler with no server queues a query for minutes; this keeps an
# outage from hanging the workers. Time queued in the pooler counts too.
# Management commands run long statements and have no limit by default.
DATABASE_QUERY_TIMEOUT = env_int(
    "DATABASE_QUERY_TIMEOUT", 0 if MANAGEMENT_PROCESS else 10
)
# The SELECT 1 that checks a new or reused connection: a server that cannot
# answer it within the connect timeout counts as unreachable (in every process).
DATABASE_HEALTH_CHECK_TIMEOUT = DATABASE_CONNECT_TIMEOUT
# Seconds since the server last answered on a reused connection within which
# that check is skipped (0: check at the start of every request that uses the
# database). Under load every connection answered moments ago: a request saves a
# round trip, and its first query takes the check's deadline instead.
DATABASE_HEALTH_CHECK_AFTER = env_int(
    "DATABASE_HEALTH_CHECK_AFTER", 1 if API_OPTIMIZATIONS else 0
)
# What a 503 for an unreachable database tells clients to wait, in seconds.
DATABASE_RETRY_AFTER = env_int("DATABASE_RETRY_AFTER", 5)

# Behind transaction pooling nothing may rely on session state: the code uses no
# SET outside a transaction, no LISTEN and no session advisory locks. Django's
# one SET TIME ZONE per connection is safe: PgBouncer tracks TimeZone per client.
# https://www.pgbouncer.org/features.html#sql-feature-map-for-pooling-modes
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "todo_project.postgres"
    # Named cursors (.iterator()) live outside a transaction on one server
    # connection, which transaction pooling does not keep.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    # No server-side prepared statements: a pooler in transaction mode hands the
    # next query to another server connection, which never saw the PREPARE.
    # Set DATABASE_PREPARE_THRESHOLD only for a pooler that supports them.
    # https://www.psycopg.org/psycopg3/docs/advanced/prepare.html#using-prepared-statements-with-pgbouncer
    if os.environ.get("DATABASE_PREPARE_THRESHOLD", "").strip():
        _options["prepare_threshold"] = env_int("DATABASE_PREPARE_THRESHOLD", 0)
    else:
        _options["prepare_threshold"] = None

# SQLite, the zero-setup default, with several writers at once (`make run`
# serves each request in a thread of its own): a write transaction takes the
# write lock as it begins (IMMEDIATE) and so can wait its turn, up to `timeout`
# seconds. One begun as a read cannot wait when it comes to write: it failed at
# once with "database is locked". WAL lets reads go on while one writes.
# https://docs.djangoproject.com/en/5.2/ref/databases/#database-is-locked-errors
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("transaction_mode", "IMMEDIATE")
    _options.setdefault("timeout", 20)
    _options.setdefault("init_command", "PRAGMA journal_mode=WAL;")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
# Where the browsable API's login (/api-auth/login/) goes without a ?next=:
# Django's default, /accounts/profile/, does not exist here.
# https://docs.djangoproject.com/en/5.2/ref/settings/#login-redirect-url
LOGIN_REDIRECT_URL = "/api/v1/"

# Registration runs these too, so the API refuses what the admin would.
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#enabling-password-validation
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files that can be cached forever; needs collectstatic,
    # so only outside debug. https://whitenoise.readthedocs.io/en/stable/django.html
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis, shared by every worker: token lookups now, more caches later. Without it
# the app works the same, only without these caches (a per-process cache could
# not be cleared for every worker at once when a token is revoked).
# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, reusing its Redis client (see the module).
            "BACKEND": "api.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "todo",
            # An unreachable Redis must cost little: the caller falls back.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Look API tokens up in Redis instead of the database (API_TOKEN_CACHE=false: off).
API_TOKEN_CACHE = bool(REDIS_URL) and env_bool(
    "API_TOKEN_CACHE", default=API_OPTIMIZATIONS
)
# The longest a cached token outlives a revocation that could not reach Redis.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 60)
# Serve each user's default first page of tasks from Redis (API_LIST_CACHE=false:
# off), for at most API_LIST_CACHE_SECONDS.
API_LIST_CACHE = bool(REDIS_URL) and env_bool(
    "API_LIST_CACHE", default=API_OPTIMIZATIONS
)
API_LIST_CACHE_SECONDS = env_int("API_LIST_CACHE_SECONDS", 60)

# https://www.django-rest-framework.org/api-guide/settings/
# Requests allowed per window ("N/second", "/minute", "/hour" or "/day"),
# counted in Redis across every worker (per process without Redis). Clients see
# them in the RateLimit headers; over one, the answer is 429 with Retry-After.
API_RATE_LIMITS = {
    # Any request with a valid token, per user.
    "user": os.environ.get("RATE_LIMIT_USER", "1200/minute"),
    # Any request without one (docs, schema, failed auth), per client IP.
    "anon": os.environ.get("RATE_LIMIT_ANON", "120/minute"),
    # Login attempts, per client IP and per username tried.
    "login": os.environ.get("RATE_LIMIT_LOGIN", "10/minute"),
    # Registrations, per client IP and per username tried.
    "register": os.environ.get("RATE_LIMIT_REGISTER", "20/hour"),
}
for _name, _rate in API_RATE_LIMITS.items():
    _count, _, _period = _rate.partition("/")
    if not _count.isdigit() or _period not in {"second", "minute", "hour", "day"}:
        raise ImproperlyConfigured(
            f"RATE_LIMIT_{_name.upper()}={_rate!r}: write N/second, N/minute, "
            "N/hour or N/day."
        )

# The networks of the proxies in front of the app (load balancer, TLS proxy):
# from them, and only from them, X-Forwarded-For names the client that rate
# limits count. Empty: clients connect directly, the header is never read.
# https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For#selecting_an_ip_address
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_network!r} is not an address or a CIDR network "
            f"({exc}). Set it to the proxies' networks, comma-separated, for "
            "example 10.0.0.0/8,fd00::/8."
        ) from None

REST_FRAMEWORK = {
    # Knox first: its WWW-Authenticate challenge is what a 401 carries. Sessions
    # keep the browsable API and the admin's logged-in user working.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in; the browsable API only for a browser that asks for HTML.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer"
        if API_OPTIMIZATIONS
        else "rest_framework.renderers.JSONRenderer",
        "api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation"
    if API_OPTIMIZATIONS
    else "rest_framework.negotiation.DefaultContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # RFC 9457 problem+json for every error; see api/problems.py.
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # Per user, or per IP without a token; login and registration add their own.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.ratelimit.UserRateLimit",
        "api.ratelimit.AnonRateLimit",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Tokens: hashed at rest, one per login (device), deleted on logout.
# https://jazzband.github.io/django-rest-knox/settings/
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 7)),
    "AUTO_REFRESH": False,
}

# https://drf-standardized-errors.readthedocs.io/en/latest/customization.html
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "api.exceptions.ProblemExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "api.problems.ProblemFormatter",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Todo API",
    "DESCRIPTION": (
        "A multi-user task API. Register, log in for a token, then send it as "
        "`Authorization: Bearer <token>`. Every task endpoint sees only the caller's "
        "own tasks; another user's task answers 404, exactly like a missing one."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components, so read-only fields are not
    # required in requests and required strings get their minLength.
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the sidecar package: the docs work offline.
    # https://drf-spectacular.readthedocs.io/en/latest/settings.html
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tasks.schema.add_rules",
    ],
}

# Production hardening, all on unless debugging. Behind a TLS-terminating proxy
# set DJANGO_SECURE_PROXY_SSL_HEADER=true so Django sees the original scheme.
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and orchestrators probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Start low and raise once HTTPS is known to work on every subdomain.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Everything to stderr, where the platform collects it.
# https://docs.djangoproject.com/en/5.2/topics/logging/#configuring-logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # request_id: the X-Request-ID of the request the line was written for.
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
    },
    # Fills request_id in records made before the middleware could (start-up).
    "filters": {"request_id": {"()": "api.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
}
