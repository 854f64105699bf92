"""Keyhold settings: every value comes from the environment, with safe development defaults."""

import json
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import devkeys, env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.read("KEYHOLD_VAR_DIR") or BASE_DIR / "var")

DJANGO_ENV = (env.read("DJANGO_ENV") or "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

# Values that ship in .env.example or in Django's project template: never acceptable in production.
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "development"}


def _stack_urls() -> dict:
    """URLs written by `make run` into var/stack.json, so `manage.py shell` finds the dev servers."""
    try:
        return json.loads((VAR_DIR / "stack.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


_STACK = {} if PRODUCTION else _stack_urls()


def _service_url(name: str, stack_key: str, dev_default: str) -> str:
    value = env.read(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return _STACK.get(stack_key) or dev_default


def _required_secret(name: str, dev_value) -> str:
    value = env.read(name)
    if PRODUCTION:
        if value is None or value.strip().lower() in PLACEHOLDER_SECRETS or value.startswith("django-insecure"):
            raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set to a real secret in production.")
        return value
    return value or dev_value()


SECRET_KEY = _required_secret("SECRET_KEY", lambda: devkeys.dev_secret_key(VAR_DIR))
if PRODUCTION and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters in production.")
# The vault keyring is unrelated to SECRET_KEY; vault.crypto parses and validates it.
VAULT_KEYS = _required_secret("VAULT_KEYS", lambda: devkeys.dev_vault_keys(VAR_DIR))

DEBUG = env.read_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.read_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env.read_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "accounts",
    "vault",
    "telemetry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /v1/ (token API) and /healthz are answered here, without the browser middleware below (config/leanpath.py).
    "config.leanpath.LeanPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: ends idle sessions, records last-seen, marks account pages no-store.
    "accounts.middleware.SessionActivityMiddleware",
    "accounts.middleware.AccountPagesNoStoreMiddleware",
    "accounts.adminguard.AdminTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
            "libraries": {"keyhold": "config.pagetags"},
        },
    },
]

# --- Databases -------------------------------------------------------------------------------

DATABASE_URL = _service_url("DATABASE_URL", "postgres", f"sqlite:///{VAR_DIR / 'keyhold.sqlite3'}")
_database = environ.Env.db_url_config(DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades that
    # fail with "database is locked" under concurrent writers.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file too: Django's default in-memory test database uses shared-cache table locks
    # that ignore busy_timeout, so concurrent writers would fail there but not in production.
    _database["TEST"] = {"NAME": str(Path(_database["NAME"]).with_suffix(".test.sqlite3"))}
else:
    _database.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.read_int("DATABASE_CONNECT_TIMEOUT", 5))
    # Persistent connections with a health check, so a restarted PostgreSQL is reconnected to
    # on the next request instead of failing with a dead socket.
    _database["CONN_MAX_AGE"] = env.read_int("DATABASE_CONN_MAX_AGE", 60)
    _database["CONN_HEALTH_CHECKS"] = True
    # Django's backend with a health check that asks the socket before the server (config/postgres/base.py).
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "config.postgres"
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MONGODB_URL = _service_url("MONGODB_URL", "mongodb", "mongodb://127.0.0.1:27017/keyhold")
MONGODB_TIMEOUT_MS = env.read_int("MONGODB_TIMEOUT_MS", 5000)

# --- Redis: the cache and the broker are separate servers (or at least separate databases) ----

REDIS_URL = _service_url("REDIS_URL", "cache", "redis://127.0.0.1:6379/1")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "keyhold",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            # A cache outage makes pages slower, not broken: misses are logged and the
            # database answers instead.
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "keyhold.cache"

# Sessions live in PostgreSQL only: Redis in front of them (cached_db) made a page no faster (bench
# cache_hit: 0.87-1.08x, under the 1.2x a cache must earn), and this keeps them out of an evicting cache.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery ----------------------------------------------------------------------------------

CELERY_BROKER_URL = _service_url("CELERY_BROKER_URL", "broker", "redis://127.0.0.1:6379/2")
if CELERY_BROKER_URL == REDIS_URL:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL and REDIS_URL must differ: clearing the cache must never drop queued tasks."
    )
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# json for every task, and orjson's content type for batches of readings (config/celery.py).
CELERY_ACCEPT_CONTENT = ["json", "application/x-orjson"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
# The ingest path's tasks by name; everything else (rollups, retention, vault chores) goes to maintenance,
# so a backlog of readings never delays them and a slow rollup never delays readings.
CELERY_TASK_ROUTES = {
    "telemetry.tasks.store_batch": {"queue": "telemetry"},
    "telemetry.tasks.store_lines": {"queue": "telemetry"},
    "telemetry.tasks.store_columns": {"queue": "telemetry"},
    "telemetry.tasks.heartbeat": {"queue": "telemetry"},
}
CELERY_TASK_TIME_LIMIT = env.read_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env.read_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# With acks_late, a task whose worker dies is redelivered after the visibility timeout: keep
# that to minutes (Redis' default is an hour) but above the hard time limit, so a slow task is
# never handed to a second worker while the first still runs it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.read_int("CELERY_VISIBILITY_TIMEOUT", 360),
    # kombu sweeps for expired deliveries every 10 s but scans only every 10th sweep by default, so a
    # dead worker's batches would wait up to 100 s more; one ZRANGE every 10 s costs Redis nothing.
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT.")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "telemetry-heartbeat": {"task": "telemetry.tasks.heartbeat", "schedule": 60.0},
    # Rollups (telemetry.services.rollups): the last 10 closed minutes every minute, so late readings
    # count; the last 2 closed hours from their minute rollups at two past each hour.
    "telemetry-rollup-minutes": {"task": "telemetry.tasks.rollup_minutes", "schedule": 60.0},
    "telemetry-rollup-hours": {"task": "telemetry.tasks.rollup_hours", "schedule": crontab(minute="2")},
    # Expired share links lose their ciphertext within a quarter of an hour (opening refuses them at once).
    "vault-shares-expire": {
        "task": "vault.tasks.shares_expire",
        "schedule": 900.0,
        "options": {"queue": "maintenance"},
    },
}

# --- Auth ------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    # Argon2id with parameters chosen by bench/login.py (see accounts/hashers.py).
    "accounts.hashers.KeyholdArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]
# Proxies whose X-Forwarded-For is believed (addresses or networks); nobody else's is.
TRUSTED_PROXIES = env.read_list("TRUSTED_PROXIES", [])
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Staff must have signed in with a second factor to use the admin.
ADMIN_REQUIRES_2FA = env.read_bool("ADMIN_REQUIRES_2FA", PRODUCTION)
# Without "remember me" the cookie ends with the browser and the server ends the session after
# this many idle seconds; with it the session lasts SESSION_REMEMBER_SECONDS.
SESSION_IDLE_SECONDS = env.read_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_REMEMBER_SECONDS = env.read_int("SESSION_REMEMBER_SECONDS", 30 * 24 * 3600)
# The database row of a browser-length session must outlive any idle timeout a user could reach.
SESSION_COOKIE_AGE = SESSION_REMEMBER_SECONDS
# Reset links are valid for an hour; verification links for three days.
PASSWORD_RESET_TIMEOUT = env.read_int("PASSWORD_RESET_TIMEOUT", 3600)
EMAIL_VERIFICATION_SECONDS = env.read_int("EMAIL_VERIFICATION_SECONDS", 3 * 24 * 3600)

# --- Vault -----------------------------------------------------------------------------------

# Versions kept per secret unless the secret sets its own max_versions (older ones are destroyed).
VAULT_DEFAULT_MAX_VERSIONS = env.read_int("VAULT_DEFAULT_MAX_VERSIONS", 10)
# Distinct secrets one user may reveal per hour; past it reveals are refused (and audited).
VAULT_REVEAL_BUDGET = env.read_int("VAULT_REVEAL_BUDGET", 60)
# A reveal needs a password or two-factor check this recent (seconds); older sessions re-confirm.
VAULT_REVEAL_REAUTH_SECONDS = env.read_int("VAULT_REVEAL_REAUTH_SECONDS", 15 * 60)
# Largest secret version (field names, values and notes, UTF-8 bytes).
VAULT_MAX_SECRET_BYTES = env.read_int("VAULT_MAX_SECRET_BYTES", 64 * 1024)
# Largest file one import may upload (bytes), and most secrets it may hold.
VAULT_IMPORT_MAX_BYTES = env.read_int("VAULT_IMPORT_MAX_BYTES", 1024 * 1024)
VAULT_IMPORT_MAX_ROWS = env.read_int("VAULT_IMPORT_MAX_ROWS", 2000)
# Longest a share link may live (days, at most 30) and most views one link may allow (at most 1000).
VAULT_SHARE_MAX_DAYS = env.read_int("VAULT_SHARE_MAX_DAYS", 30)
VAULT_SHARE_MAX_VIEWS = env.read_int("VAULT_SHARE_MAX_VIEWS", 100)
if not 1 <= VAULT_SHARE_MAX_DAYS <= 30 or not 1 <= VAULT_SHARE_MAX_VIEWS <= 1000:
    raise ImproperlyConfigured("VAULT_SHARE_MAX_DAYS must be 1 to 30 and VAULT_SHARE_MAX_VIEWS 1 to 1000.")
# The KV v2 API (/v1/): requests per minute one token may make (0: no limit), and the lifetime of tokens
# from a userpass login (seconds), which renew-self may extend up to the maximum.
VAULT_API_RATE_LIMIT = env.read_int("VAULT_API_RATE_LIMIT", 600)
VAULT_API_LOGIN_TTL = env.read_int("VAULT_API_LOGIN_TTL", 3600)
VAULT_API_LOGIN_MAX_TTL = env.read_int("VAULT_API_LOGIN_MAX_TTL", 24 * 3600)
if VAULT_API_RATE_LIMIT < 0 or not 60 <= VAULT_API_LOGIN_TTL <= VAULT_API_LOGIN_MAX_TTL:
    raise ImproperlyConfigured("VAULT_API_RATE_LIMIT must be >= 0 and 60 <= VAULT_API_LOGIN_TTL <= _MAX_TTL.")

# --- Telemetry -------------------------------------------------------------------------------

# Readings one HTTP request may carry, and readings per Celery task (the batch the worker inserts).
TELEMETRY_BATCH_MAX = env.read_int("TELEMETRY_BATCH_MAX", 5000)
TELEMETRY_TASK_BATCH = env.read_int("TELEMETRY_TASK_BATCH", 1000)
# Largest ingest request body in bytes, also after gzip decompression (telemetry.ingest.body).
TELEMETRY_INGEST_MAX_BYTES = env.read_int("TELEMETRY_INGEST_MAX_BYTES", 4 * 1024 * 1024)
if not 64 * 1024 <= TELEMETRY_INGEST_MAX_BYTES <= 256 * 1024 * 1024:
    raise ImproperlyConfigured("TELEMETRY_INGEST_MAX_BYTES must be from 65536 to 268435456 bytes.")
# How far from the server's clock a reading's timestamp may be (seconds): older or further ahead is refused.
TELEMETRY_MAX_AGE_SECONDS = env.read_int("TELEMETRY_MAX_AGE_SECONDS", 7 * 24 * 3600)
TELEMETRY_MAX_FUTURE_SECONDS = env.read_int("TELEMETRY_MAX_FUTURE_SECONDS", 300)
# Retention: raw readings expire through a TTL index; minute and hour rollups are kept longer.
TELEMETRY_RAW_RETENTION_DAYS = env.read_int("TELEMETRY_RAW_RETENTION_DAYS", 30)
TELEMETRY_ROLLUP_RETENTION_DAYS = env.read_int("TELEMETRY_ROLLUP_RETENTION_DAYS", 730)
if not 1 <= TELEMETRY_TASK_BATCH <= TELEMETRY_BATCH_MAX or TELEMETRY_MAX_AGE_SECONDS < 60:
    raise ImproperlyConfigured("Need 1 <= TELEMETRY_TASK_BATCH <= TELEMETRY_BATCH_MAX, TELEMETRY_MAX_AGE_SECONDS >= 60")
if TELEMETRY_MAX_AGE_SECONDS > TELEMETRY_RAW_RETENTION_DAYS * 86400:
    raise ImproperlyConfigured("TELEMETRY_MAX_AGE_SECONDS cannot exceed the raw retention: those would expire at once.")
# Socket listener (docs/telemetry-listener.md): a rotated device HMAC key's predecessor stays valid this long.
TELEMETRY_HMAC_GRACE_SECONDS = env.read_int("TELEMETRY_HMAC_GRACE_SECONDS", 3600)
TELEMETRY_LISTENER_HOST = env.read("TELEMETRY_LISTENER_HOST") or "127.0.0.1"
TELEMETRY_UDP_PORT = env.read_int("TELEMETRY_UDP_PORT", 8089)
TELEMETRY_TCP_PORT = env.read_int("TELEMETRY_TCP_PORT", 8094)
# Readings handed to the broker at once, and the longest a reading waits for its batch (milliseconds).
TELEMETRY_LISTENER_BATCH = env.read_int("TELEMETRY_LISTENER_BATCH", 2500)
TELEMETRY_LISTENER_FLUSH_MS = env.read_int("TELEMETRY_LISTENER_FLUSH_MS", 200)
# Batches kept on disk (VAR_DIR/spool) while the broker is down; past the cap the newest batch is dropped.
TELEMETRY_SPOOL_MAX_MB = env.read_int("TELEMETRY_SPOOL_MAX_MB", 256)
if TELEMETRY_HMAC_GRACE_SECONDS < 0 or not 1 <= TELEMETRY_LISTENER_BATCH <= TELEMETRY_BATCH_MAX:
    raise ImproperlyConfigured("Need TELEMETRY_HMAC_GRACE_SECONDS >= 0, 1 <= TELEMETRY_LISTENER_BATCH <= _BATCH_MAX")
if not 10 <= TELEMETRY_LISTENER_FLUSH_MS <= 60_000 or TELEMETRY_SPOOL_MAX_MB < 1:
    raise ImproperlyConfigured("Need 10 <= TELEMETRY_LISTENER_FLUSH_MS <= 60000 and TELEMETRY_SPOOL_MAX_MB >= 1")
if not all(0 <= port <= 65535 for port in (TELEMETRY_UDP_PORT, TELEMETRY_TCP_PORT)):
    raise ImproperlyConfigured("TELEMETRY_UDP_PORT and TELEMETRY_TCP_PORT must be 0 (any free port) to 65535")

# --- Mail ------------------------------------------------------------------------------------

# Django 6.1 configures mail through MAILERS; the environment keeps the familiar EMAIL_* names.
_email_host = env.read("EMAIL_HOST") or ""
if _email_host or PRODUCTION:
    # Production always sends by SMTP (a local MTA on localhost:25 unless told otherwise): mails
    # carry reset and verification links and must never be printed into logs.
    _mailer = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_host or "localhost",
            "port": env.read_int("EMAIL_PORT", 25),
            "username": env.read("EMAIL_HOST_USER") or "",
            "password": env.read("EMAIL_HOST_PASSWORD") or "",
            "use_tls": env.read_bool("EMAIL_USE_TLS", False),
            "timeout": 10,
        },
    }
else:
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env.read("DEFAULT_FROM_EMAIL") or "Keyhold <keyhold@localhost>"

# --- Internationalisation and static files ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.read("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development and tests serve straight from the source folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security --------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.read_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env.read_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env.read_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.read_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.read_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.read_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole domain to HTTPS in browsers for good: the operator's call,
        # not a default, so not a warning either.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Trust X-Forwarded-Proto only when an operator says a proxy sets it; otherwise a client could.
if env.read_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = env.read_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)

# --- Logging ---------------------------------------------------------------------------------

LOG_LEVEL = (env.read("LOG_LEVEL") or "INFO").upper()
# JSON lines for log shippers in production; the classic line for people reading a terminal.
LOG_FORMAT = (env.read("LOG_FORMAT") or ("json" if PRODUCTION else "plain")).strip().lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "config.logformat.PlainFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
        },
        "json": {"()": "config.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Without this, Django's own console handler (DEBUG only) prints django.* records a second time,
        # unformatted: not JSON in LOG_FORMAT=json, and without our control-character escaping.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
