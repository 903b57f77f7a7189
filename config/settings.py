"""One settings module, driven by environment variables (see README.md, "Configuration")."""
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The embedded default runs with DEBUG on and a throwaway key; production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-only-for-debug" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "ngo",
    "booking",
    "notifications",
    "api",
    "web",
    "ops",
    "axes",
]

MIDDLEWARE = [
    # Request counts and latencies by view for /metrics (ops.metrics); first and last, so they time everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.LanguageCookieMiddleware",  # Django's LocaleMiddleware, and the language cookie
    "api.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a login refused for too many failures into the lockout answer.
    "axes.middleware.AxesMiddleware",
    "config.replicas.PrimaryPinMiddleware",  # after a change, a browser reads from the primary for a while
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers instead of failing with "database is locked";
    # WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that concurrency tests can open several connections to it.
    DATABASES["default"]["TEST"] = {
        "NAME": env("SQLITE_TEST_NAME", default=str(BASE_DIR / f".test-{os.getpid()}.sqlite3"))
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that is away or hung fails a request in seconds instead of holding a worker: connecting may take
    # DATABASE_CONNECT_TIMEOUT seconds, one statement DATABASE_STATEMENT_TIMEOUT (0: no limit, as the migrate
    # service runs, since a migration may rightly take longer). The API answers 503 when either runs out.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    _statement_timeout_ms = round(env.float("DATABASE_STATEMENT_TIMEOUT", default=30) * 1000)
    # No JIT: the planner overestimates the overlap queries (`end > x AND start < y` as if independent), and
    # compiling them took 80 ms of a 5 ms search at 1M bookings (bench/README.md, issue 21).
    _options["options"] = (f"{_options.get('options', '')} -c statement_timeout={_statement_timeout_ms}"
                           " -c jit=off").strip()

# A PostgreSQL streaming replica for reads that may lag a little (feeds, availability, week pages, the usage
# report): config/replicas.py. Tests run its alias against the primary (MIRROR) unless they set one up.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**DATABASES["default"], **env.db("DATABASE_REPLICA_URL"),
                            "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
# How long a browser that changed something reads only from the primary (the page right after a booking).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_ENGINE = "config.sessions"
AUTH_USER_MODEL = "ngo.User"

if env.bool("FAST_PASSWORD_HASHING", default=False):
    # Test runs only (the Makefile sets it): slow hashing would dominate every test that creates a user.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-axes first: it refuses a locked-out login before the password is checked. Every authenticate() call must
# pass the request (the web and admin login forms and the API's token view do), or axes cannot count failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Lockout after wrong passwords (web login, admin login, POST /api/v1/auth/token/), counted separately per
# username and per client address; each refused try restarts the pause. Staff unlock with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`, or in the admin (README, "Accounts and logins").
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "config.clients.client_address"
AXES_LOCKOUT_CALLABLE = "config.lockout.locked_out"
# Failed attempts are kept (until the pause is over); a log of every successful login is not needed.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Password reset links asked for per hour, per e-mail address and per client address (ngo.password_reset).
PASSWORD_RESET_PER_ADDRESS = env.int("PASSWORD_RESET_PER_ADDRESS", default=3)
PASSWORD_RESET_PER_CLIENT = env.int("PASSWORD_RESET_PER_CLIENT", default=10)
# Sign-ups (and confirmation links sent again) per hour, per e-mail address and per client address; the days a
# confirmation link works; the days after which an account still unconfirmed is deleted (ngo.signup).
SIGNUP_PER_ADDRESS = env.int("SIGNUP_PER_ADDRESS", default=3)
SIGNUP_PER_CLIENT = env.int("SIGNUP_PER_CLIENT", default=10)
SIGNUP_LINK_DAYS = env.int("SIGNUP_LINK_DAYS", default=3)
SIGNUP_UNCONFIRMED_DAYS = env.int("SIGNUP_UNCONFIRMED_DAYS", default=7)

# --- Correspondence register ----------------------------------------------------------------
# A letter waiting this many days is reminded to its organisation (once); after the second limit it goes on
# the staff's "to return" list.
LETTER_REMINDER_DAYS = env.int("LETTER_REMINDER_DAYS", default=14)
LETTER_RETURN_DAYS = env.int("LETTER_RETURN_DAYS", default=30)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_URL = env("EMAIL_URL", default="consolemail://")
vars().update(environ.Env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Centrum <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A send holds its outbox row's lock (notifications.tasks.deliver): bound how long SMTP may take.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Failed sends of one message before the outbox gives it up (it stays visible in the admin).
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)

# The longest booking of a resource booked by whole days or by nights, whatever the resource's own maximum
# (booking.rules.longest_span); a time-slot booking never outlasts its local day.
BOOKING_MAX_DAYS = env.int("BOOKING_MAX_DAYS", default=366)
BOOKING_MAX_NIGHTS = env.int("BOOKING_MAX_NIGHTS", default=92)
# The waitlist (booking.waitlist): how long an offer holds the freed time, and how many entries an organisation keeps.
WAITLIST_OFFER_HOURS = env.int("WAITLIST_OFFER_HOURS", default=12)
WAITLIST_MAX_PER_ORGANISATION = env.int("WAITLIST_MAX_PER_ORGANISATION", default=10)

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Seconds to wait for Redis (cache and broker) to accept a connection and to answer: a Redis that is away costs
# a visitor at most about this, once (config/cache.py fails open; a publish that fails is sent later by the relay).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1)
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=1)
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# Workers reconnect for as long as Redis is away. A publish from a request is tried once (about 0.1 s when Redis
# refuses, REDIS_TIMEOUT when it hangs): a retry would make the visitor wait again, and
# notifications.tasks.relay_outbox re-queues whatever was not queued.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                                   "socket_timeout": REDIS_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_TIMEZONE = TIME_ZONE

# --- Cache ----------------------------------------------------------------------------------
CACHES = {
    # Fails open: a Redis outage is logged, never an error page (config/cache.py).
    "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # Token first, so that an anonymous call is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    # Counted in the cache: Redis when REDIS_URL is set, so all workers share the counts.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", default="120/minute"),
        "auth_token": env("API_TOKEN_RATE", default="10/minute"),
    },
    # Callers are told apart by address: trust X-Forwarded-For only from this many reverse proxies in
    # front (0: ignore it, else anyone could dodge the throttle by inventing addresses).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Calendar feeds per client address (read as the API throttles read it, NUM_PROXIES), counted in the cache.
FEED_RATE = env("FEED_RATE", default="60/minute")
# Days an API token works after it is issued; then POST /api/v1/auth/token/ again for a new one.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Centre booking API",
    "DESCRIPTION": "Rooms, desks, lockers and beds of social-activation centres, booked by NGOs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "booking.models.BookingStatus",
        "OrganisationStatusEnum": "ngo.models.Organisation.Status",
        "LetterKindEnum": "ngo.models.Letter.Kind",
        "LetterStatusEnum": "ngo.models.Letter.Status",
    },
}

# --- Booking domain -------------------------------------------------------------------------
# Public URL of the service, used in e-mails and calendar feeds.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Seconds between the reception screen's polls of its JSON (`/centres/<id>/screen/`).
SCREEN_REFRESH_SECONDS = env.int("SCREEN_REFRESH_SECONDS", default=30)

# --- Operations: backups and metrics (README, "Backups" and "Metrics") -----------------------------
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
# A Fernet key (`python manage.py backup --new-key`); unset: backups are not encrypted. Keep a copy elsewhere:
# without it an encrypted backup cannot be restored.
BACKUP_ENCRYPTION_KEY = env("BACKUP_ENCRYPTION_KEY", default="")
BACKUP_PG_DUMP = env("BACKUP_PG_DUMP", default="pg_dump")
BACKUP_PG_RESTORE = env("BACKUP_PG_RESTORE", default="pg_restore")
# /metrics answers a request bearing `Authorization: Bearer METRICS_TOKEN`, or coming from one of
# METRICS_ALLOWED_IPS (addresses or networks, read as the throttles read them, NUM_PROXIES); with neither set it
# is off (404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# The Celery queue whose length /metrics reports (Celery's default queue name).
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])

# --- Logging: plain text while developing, one JSON object per line on stdout in production -------
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
        | ({"formatter": "json"} if LOG_FORMAT == "json" else {}),
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes narrates every login failure at INFO; its warnings (failures, lockouts) are what matters.
    # WeasyPrint and fontTools log every step of every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
# Celery's worker and beat log through the same handler instead of installing their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Production hardening (DEBUG off); `manage.py check --deploy` passes with these -------------
if not DEBUG:
    # The TLS-terminating proxy sets X-Forwarded-Proto; plain HTTP is redirected, except the probes
    # the orchestrator sends from inside the network.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Error reports to Sentry (or a compatible service such as GlitchTip) when SENTRY_DSN is set;
# sentry-sdk is optional (`pip install ".[sentry]"`).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError as error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            'SENTRY_DSN is set but sentry-sdk is not installed: pip install ".[sentry]"') from error
    sentry_sdk.init(dsn=SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"),
                    send_default_pii=False, traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
