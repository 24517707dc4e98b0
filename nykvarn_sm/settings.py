"""Settings for the social-media governance site.

Every value comes from the environment (or a `.env` file beside manage.py) through
django-environ; `.env.example` documents each one. The embedded defaults need no server
software: SQLite, Celery over kombu's filesystem transport and files, all under `var/`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from moderation.chain import parse_keys as _parse_chain_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Secure by default: development turns DEBUG on explicitly (`make run` does).
DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-not-secret")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set in the environment "
            "(see .env.example). For development set DEBUG=true."
        )

# The organisation whose accounts this instance governs.
ORGANISATION_NAME = env.str("ORGANISATION_NAME", default="Nykvarns kommun")
ORGANISATION_WEBSITE = env.str("ORGANISATION_WEBSITE", default="https://www.nykvarn.se")
# Where this site is reached, for links in e-mail.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The range of dates a person may type into any form (nykvarn_sm.lib.formfields): nothing
# before EARLIEST_DATE, nothing more than LATEST_DATE_YEARS ahead.
EARLIEST_DATE = env.str("EARLIEST_DATE", default="2000-01-01")
LATEST_DATE_YEARS = env.int("LATEST_DATE_YEARS", default=10)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "accounts.apps.AxesConfig",  # django-axes, named in Swedish in the admin
    "accounts",
    "registry",
    "moderation",
    "archive",
]

MIDDLEWARE = [
    # First: /healthz answers before anything that touches the database (sessions, users)
    # or redirects (SECURE_SSL_REDIRECT), so a load balancer's probe gets JSON in every case.
    "nykvarn_sm.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.LanguageMiddleware",
    # Before anything reads the session or a view queries: NUL and impossible admin dates
    # get a 400, never a database error.
    "nykvarn_sm.middleware.BadInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nykvarn_sm.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nykvarn_sm.urls"
WSGI_APPLICATION = "nykvarn_sm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.site",
            ],
            # The GOV.UK form patterns of templates/_form.html and the "Fel: " title.
            "libraries": {"form_patterns": "nykvarn_sm.lib.formpatterns"},
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web server share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
# A database that accepts connections but never answers must not hang a request or a
# worker: every connection gives up after DATABASE_CONNECT_TIMEOUT seconds, and each
# statement after DATABASE_STATEMENT_TIMEOUT seconds (0: no limit). nykvarn_sm/wsgi.py sets
# 30 s for the web processes; migrations and the worker's long tasks keep no limit.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT > 0:
        _db_options["options"] = (
            f"{_db_options.get('options', '')} "
            f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
        ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so that a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "accounts.permissions.RoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: five failures for one address and user name lock that pair out for
# AXES_COOLOFF_MINUTES, after which the lockout expires by itself.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.auth.login_name"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address: behind PROXY_COUNT proxies (the TLS proxy: 1), the one the outermost
# proxy saw, never what the client put in X-Forwarded-For (accounts.http.client_ip).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"

# Password reset (e-mails sent) and password change (wrong old passwords): at most this many
# per client address and per account within PASSWORD_THROTTLE_MINUTES (accounts.throttle).
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)
PASSWORD_CHANGE_LIMIT = env.int("PASSWORD_CHANGE_LIMIT", default=5)
PASSWORD_THROTTLE_MINUTES = env.int("PASSWORD_THROTTLE_MINUTES", default=60)
# The throttle's counts: shared by every web worker in production (CACHE_URL=redis://...).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Redis (the cache and the broker) that accepts connections but never answers: give up
# after these many seconds instead of hanging the request or the worker.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=5.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=10.0)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}
    )

# Idle timeout: a session lives SESSION_IDLE_MINUTES after the last request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# The archive's PDF/A files, one folder per office (ARC-2). Never served as media: they are
# downloaded through views that check permission.
ARCHIVE_ROOT = env.path("ARCHIVE_ROOT", default=VAR_DIR / "archive")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "archive": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ARCHIVE_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# An SMTP server that accepts and never answers: the sending task gives up and retries.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="sociala-medier@nykvarn.se")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. The production values are the defaults whenever DEBUG is off; README lists them.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything is served by the project itself (no CDN).
# Sites that may frame the public channel list's embed view (REG-7); nothing else is
# frameable (browsers ignore X-Frame-Options when frame-ancestors is present).
EMBED_ALLOWED_ORIGINS = env.list("EMBED_ALLOWED_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # registry.views.public_list widens this for ?embed=1 only (EMBED_ALLOWED_ORIGINS).
        "frame-ancestors": [NONE],
    },
}

# Celery: the embedded default is kombu's filesystem transport under var/, so that `make run`
# needs no broker; production points CELERY_BROKER_URL at Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_HARD_TIME_LIMIT = env.int("CELERY_TASK_HARD_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message not acknowledged within the visibility timeout is delivered again: that is
    # how the message of a worker killed outright comes back, so minutes, not hours. Every
    # task claims its row first (a snapshot whose worker still beats, a fixity run that is
    # not finished, an e-mail already taken), so a delivery of a task that still runs or
    # waits for its countdown does nothing.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_HARD_TIME_LIMIT + 300
        )
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A broker that accepts and never answers: publishing and consuming give up (and retry)
    # instead of hanging. The socket timeout stays above the worker's 1 s BRPOP.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}
    )
# /healthz: each dependency's check has this many seconds (database, broker, archive), and
# they run side by side, so the answer comes within about this time whatever hangs.
HEALTHZ_TIMEOUT = env.float("HEALTHZ_TIMEOUT", default=3.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- registry ---------------------------------------------------------------------------
# Health rules (REG-6 "Periodicitet", REG-9 "Konton som inte används regelbundet ska
# avslutas"): weeks in a row below the posting target, and weeks without any post before
# an account is a candidate for closing.
REGISTRY_LOW_ACTIVITY_WEEKS = env.int("REGISTRY_LOW_ACTIVITY_WEEKS", default=3)
REGISTRY_INACTIVE_WEEKS = env.int("REGISTRY_INACTIVE_WEEKS", default=8)

# --- archive ----------------------------------------------------------------------------
# ARC-1 "Arkivering": months in which a new periodic snapshot period starts (twice a year by
# default: January and July), and the PDF/A variant: "1b" (RA-FS 2009:2 names PDF/A-1) or
# "2b".
ARCHIVE_SNAPSHOT_MONTHS = env.list("ARCHIVE_SNAPSHOT_MONTHS", cast=int, default=[1, 7])
ARCHIVE_PDFA_VARIANT = env.str("ARCHIVE_PDFA_VARIANT", default="1b")
# Capture: Debian's Chromium driven by Playwright (never a downloaded browser); when it is
# missing, the page's HTML is rendered without scripts by WeasyPrint.
ARCHIVE_CHROMIUM_PATH = env.str("ARCHIVE_CHROMIUM_PATH", default="/usr/bin/chromium")
# Settle delay after load and network quiet (500 ms without a request), for content that
# scripts add from what they already fetched (timers, rendering a feed). 1 s: the page has
# then been quiet on the network for 1.5 s; a page that fetches again meanwhile is waited
# for until it is quiet once more (archive.capture), and CSS animations are finished by
# the screenshot itself. Raise it for pages known to draw late.
ARCHIVE_SETTLE_SECONDS = env.float("ARCHIVE_SETTLE_SECONDS", default=1.0)
ARCHIVE_NAVIGATION_TIMEOUT = env.int("ARCHIVE_NAVIGATION_TIMEOUT", default=45)
ARCHIVE_VIEWPORT_WIDTH = env.int("ARCHIVE_VIEWPORT_WIDTH", default=1280)
# Longer pages are cut at this height (pixels) so that one snapshot stays a sane size.
ARCHIVE_MAX_PAGE_HEIGHT = env.int("ARCHIVE_MAX_PAGE_HEIGHT", default=30000)
# Uploaded screenshots get a text layer by OCR (Debian: ocrmypdf, tesseract-ocr-swe), run as
# this command within this many seconds (below the task's hard time limit); without it they
# are stored without one and the cover says so.
ARCHIVE_OCR_COMMAND = env.str("ARCHIVE_OCR_COMMAND", default="ocrmypdf")
ARCHIVE_OCR_TIMEOUT = env.int("ARCHIVE_OCR_TIMEOUT", default=300)
# Attempts before a snapshot is marked failed (kept in the database), and the first retry
# delay in seconds, doubled each time.
ARCHIVE_MAX_ATTEMPTS = env.int("ARCHIVE_MAX_ATTEMPTS", default=4)
ARCHIVE_RETRY_BACKOFF = env.int("ARCHIVE_RETRY_BACKOFF", default=60)
# Apache PDFBox Preflight (Debian libpdfbox2-java) validates PDF/A-1b when Java is present.
ARCHIVE_JAVA = env.str("ARCHIVE_JAVA", default="java")
ARCHIVE_PDFBOX_JAR_DIR = env.str("ARCHIVE_PDFBOX_JAR_DIR", default="/usr/share/java")
# Safe fetching (nykvarn_sm.lib.safe_fetch): hosts allowed to resolve to private addresses
# (empty: none), and limits on one fetch.
CAPTURE_ALLOWED_PRIVATE_HOSTS = env.list("CAPTURE_ALLOWED_PRIVATE_HOSTS", default=[])
# When set, the only hosts ("host" or "host:port") a capture may reach at all; anything else
# is refused before it is resolved. Empty: any public host. The test suite sets it to the
# local test site, so that nothing a capture asks for leaves the machine.
CAPTURE_ALLOWED_HOSTS = env.list("CAPTURE_ALLOWED_HOSTS", default=[])
CAPTURE_MAX_BYTES = env.int("CAPTURE_MAX_BYTES", default=20 * 1024 * 1024)
CAPTURE_TIMEOUT = env.float("CAPTURE_TIMEOUT", default=20.0)
# Login walls (Facebook, Instagram): periodic snapshots wait for an upload; the owner and
# deputies are reminded daily, the communications office too after this many days.
ARCHIVE_UPLOAD_ESCALATE_DAYS = env.int("ARCHIVE_UPLOAD_ESCALATE_DAYS", default=14)
# Permission bits of every archive file, in octal (ARC-2: the office share reads them as
# the group); folders get search where read is given (0640 -> 0750).
ARCHIVE_FILE_MODE = int(env.str("ARCHIVE_FILE_MODE", default="0640"), 8)
# Uploaded images (archive screenshots, moderation evidence): the most pixels (width ×
# height, as the header claims) accepted; a decompression bomb claims billions.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=50_000_000)
# The monthly fixity check (archive.tasks.verify_archive) reads every file: its own time
# limit, in seconds.
ARCHIVE_VERIFY_TIME_LIMIT = env.int("ARCHIVE_VERIFY_TIME_LIMIT", default=6 * 3600)
# Snapshots the fixity check reads per database round trip (one SELECT, one UPDATE each).
ARCHIVE_VERIFY_BATCH_SIZE = env.int("ARCHIVE_VERIFY_BATCH_SIZE", default=500)
# Outbox and workers (issue 9): a queued snapshot not handed to the broker, or handed over
# longer ago than ARCHIVE_REPUBLISH_AFTER seconds and still waiting, is sent again by the
# minute's sweep; a worker beats every ARCHIVE_HEARTBEAT_INTERVAL seconds while it works,
# and one silent for ARCHIVE_HEARTBEAT_TIMEOUT seconds is taken for dead.
ARCHIVE_REPUBLISH_AFTER = env.int("ARCHIVE_REPUBLISH_AFTER", default=600)
ARCHIVE_HEARTBEAT_INTERVAL = env.float("ARCHIVE_HEARTBEAT_INTERVAL", default=15.0)
ARCHIVE_HEARTBEAT_TIMEOUT = env.int("ARCHIVE_HEARTBEAT_TIMEOUT", default=120)

# --- moderation -----------------------------------------------------------------------------
# MOD-5 "Frekvenser och svarstider": answers within this many working days.
MODERATION_RESPONSE_WORKDAYS = env.int("MODERATION_RESPONSE_WORKDAYS", default=1)
# MOD-3: pending hand-offs to the records system are reminded daily and escalated to the
# department manager and the communications office after this many working days.
MODERATION_REGISTRATION_ESCALATE_WORKDAYS = env.int(
    "MODERATION_REGISTRATION_ESCALATE_WORKDAYS", default=3
)
# Who may read confidential (sekretess) records: any of communications, owner, deputy
# (includes a substitute in force), manager, archivist.
MODERATION_CONFIDENTIAL_READERS = env.list(
    "MODERATION_CONFIDENTIAL_READERS",
    default=["communications", "owner", "deputy", "manager", "archivist"],
)
# Midsommarafton, julafton and nyårsafton count as days off (see moderation/workdays.py).
MODERATION_DE_FACTO_EVES_CLOSED = env.bool("MODERATION_DE_FACTO_EVES_CLOSED", default=True)
# The public-holiday calendar of the `holidays` package.
MODERATION_HOLIDAY_COUNTRY = env.str("MODERATION_HOLIDAY_COUNTRY", default="SE")
# The most records one PDF/A export of a period renders in a request; a longer period is
# refused with a message asking for a shorter one (CSV is not capped).
MODERATION_EXPORT_PDF_MAX_RECORDS = env.int("MODERATION_EXPORT_PDF_MAX_RECORDS", default=500)
# The removal log's chain keys (moderation.chain): "keyid:secret,keyid:secret", secrets of at
# least 32 characters, kept outside the database and its backups, so that someone with
# database access alone cannot rewrite or append records. MODERATION_CHAIN_KEY_ID: the key
# new records are made with. To rotate, add a new key, make it current and keep the old one
# configured: the records made with it are verified with it.
if DEBUG:
    _CHAIN_KEYS = env.str(
        "MODERATION_CHAIN_KEYS", default="dev:development-only-not-secret-chain-key-0000"
    )
    MODERATION_CHAIN_KEY_ID = env.str("MODERATION_CHAIN_KEY_ID", default="dev")
else:
    _CHAIN_KEYS = env.str("MODERATION_CHAIN_KEYS", default="")
    MODERATION_CHAIN_KEY_ID = env.str("MODERATION_CHAIN_KEY_ID", default="")
    if not _CHAIN_KEYS or not MODERATION_CHAIN_KEY_ID:
        raise ImproperlyConfigured(
            "With DEBUG off, MODERATION_CHAIN_KEYS and MODERATION_CHAIN_KEY_ID must be set in "
            "the environment (see .env.example). For development set DEBUG=true."
        )
MODERATION_CHAIN_KEYS = _parse_chain_keys(_CHAIN_KEYS)
if MODERATION_CHAIN_KEY_ID not in MODERATION_CHAIN_KEYS:
    raise ImproperlyConfigured(
        f"MODERATION_CHAIN_KEY_ID ({MODERATION_CHAIN_KEY_ID!r}) is not one of the keys in "
        "MODERATION_CHAIN_KEYS."
    )

# --- trusted timestamps (RFC 3161) --------------------------------------------------------
# A time-stamping authority chosen by the municipality (possibly on its own network, so not
# behind the safe-fetch guard) stamps the SHA-256 of every stored archive file and every
# daily anchor of the removal log's hash chain (nykvarn_sm.lib.timestamps). Empty TSA_URL:
# timestamping is off. TSA_CA_FILE: PEM with the TSA's CA chain up to its root, which every
# token must chain to. TSA_TIMEOUT: seconds for the whole exchange. TSA_POLICY_OID: the TSA
# policy to ask for and to require in tokens (empty: whatever the TSA uses).
TSA_URL = env.str("TSA_URL", default="")
TSA_CA_FILE = env.str("TSA_CA_FILE", default="")
TSA_TIMEOUT = env.float("TSA_TIMEOUT", default=10.0)
TSA_POLICY_OID = env.str("TSA_POLICY_OID", default="")
if TSA_URL and not TSA_CA_FILE:
    raise ImproperlyConfigured(
        "TSA_URL is set but TSA_CA_FILE is not: timestamp tokens cannot be checked without the "
        "TSA's CA certificate (see .env.example)."
    )
