"""Essaim settings: one file, every deployment difference comes from the environment.

Variables (all optional outside production):
    ESSAIM_ENV          development (default) | test | production
    SECRET_KEY          required in production; elsewhere kept in var/secret_key
    DATABASE_URL        default sqlite:///var/essaim.sqlite3 (WAL mode)
    REDIS_URL           cache (and rate limits) in Redis when set
    EMAIL_URL           smtp://user:pass@host:587/?tls=True, console://, file:///path …
    ALLOWED_HOSTS       comma-separated host names
    CSRF_TRUSTED_ORIGINS comma-separated origins (https://asso.example.org)
    ESSAIM_BASE_URL     absolute URL used in e-mails sent by background tasks
    ESSAIM_DEBUG        1 to show Django's debug pages (never in production)
    ESSAIM_MFA_GRACE_DAYS days a new holder of a sensitive role may work before MFA is enforced
    ESSAIM_DEMO_MAILBOX 1 to show the outbox to everyone at /demo/mailbox/ (demo only)
    ESSAIM_BEHIND_PROXY 1 when a TLS-terminating proxy sets X-Forwarded-Proto
"""

import os
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("ESSAIM_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ESSAIM_ENV = os.environ.get("ESSAIM_ENV", "development")
if ESSAIM_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("ESSAIM_ENV must be development, test or production")
PRODUCTION = ESSAIM_ENV == "production"
TESTING = ESSAIM_ENV == "test"

DEBUG = env_bool("ESSAIM_DEBUG") and not PRODUCTION


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production")
    # Outside production, keep a random key on disk so sessions survive a restart and no
    # shared, published key ever signs anything.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Older keys, comma-separated, while SECRET_KEY is rotated: sessions, signed links and the
# payment services' encrypted keys made with them still work (payments/crypto.py).
SECRET_KEY_FALLBACKS = [
    key.strip() for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
]

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
ESSAIM_BASE_URL = os.environ.get("ESSAIM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# AGPL §13: users of a modified instance must be offered its source. Operators set the
# address of the code they run; the footer links to it.
ESSAIM_SOURCE_URL = os.environ.get("ESSAIM_SOURCE_URL", "")
if PRODUCTION:
    # A production instance without these would answer every request with a 400 or send
    # e-mails with links to 127.0.0.1: refuse to start instead.
    for _name in ("ALLOWED_HOSTS", "ESSAIM_BASE_URL", "EMAIL_URL"):
        if not os.environ.get(_name):
            raise ImproperlyConfigured(f"{_name} must be set in the environment in production")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "essaim.core",
    "essaim.accounts",
    "essaim.people",
    "essaim.payments",
    "essaim.members",
    "essaim.fundraising",
    "essaim.governance",
    "essaim.volunteering",
    "essaim.mobilisation",
    "essaim.communication",
    "essaim.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "essaim.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "essaim.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "essaim.core.middleware.RejectNullBytesMiddleware",
    "essaim.core.middleware.TenantMiddleware",
]

ROOT_URLCONF = "essaim.urls"
WSGI_APPLICATION = "essaim.wsgi.application"


class InvalidTemplateVariable(str):
    """In tests a missing variable in *our* templates is an error, not an empty string.

    Third-party templates (allauth) rely on missing variables rendering empty, so the check
    looks at the template being rendered and only raises for files under src/essaim.
    """

    def __mod__(self, other):
        import sys

        origin = ""
        frame = sys._getframe(1)
        for _depth in range(6):  # up to the template node being rendered, which knows its file
            node = frame.f_locals.get("self")
            if getattr(node, "origin", None) is not None:
                origin = getattr(node.origin, "name", "") or ""
                break
            frame = frame.f_back
            if frame is None:
                break
        if str(origin).startswith(str(BASE_DIR)):
            raise ImproperlyConfigured(f"Missing template variable {other!r} in {origin}")
        return ""


# Our templates (templates/django/forms/) override Django's form templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "essaim.core.context_processors.essaim",
            ],
        },
    }
]
if TESTING and env_bool("ESSAIM_STRICT_TEMPLATES", True):
    TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'essaim.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue (up to `timeout`) instead of failing with
        # "database is locked" half-way through a transaction (Django ticket #29280).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # A single box has several processes (web server, worker): the rate-limit counters
    # must be shared between them, which a per-process memory cache is not.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Background tasks ---------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "ESSAIM_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": [],
    }
}

# --- Accounts -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing with PBKDF2 at full strength makes every login in the test suite cost ~0.3 s.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "essaim.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # link scanners must not confirm on the user's behalf
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Essaim] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {
    # allauth defaults, written out so the policy is visible in one place.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Essaim"
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION  # http://127.0.0.1 in the demo
# Off: tracking writes the session row on every request (a write per page view).
USERSESSIONS_TRACK_ACTIVITY = False
ESSAIM_MFA_GRACE_DAYS = int(os.environ.get("ESSAIM_MFA_GRACE_DAYS", "7"))
# Submissions of the public join form per hour and per client address (a shared address,
# e.g. a community centre, may need more).
ESSAIM_JOIN_RATE_LIMIT = int(os.environ.get("ESSAIM_JOIN_RATE_LIMIT", "10"))
# Payment service notifications per minute and per client address (Stripe and HelloAsso
# deliver for every association of the instance from a few addresses).
ESSAIM_WEBHOOK_RATE_LIMIT = int(os.environ.get("ESSAIM_WEBHOOK_RATE_LIMIT", "1200"))
# Processes drawing the PDFs of an annual receipts run (0: one per core, at most 4; the test
# suite draws in its own process).
ESSAIM_RECEIPT_PROCESSES = int(os.environ.get("ESSAIM_RECEIPT_PROCESSES", "1" if TESTING else "0"))
# Petitions under a surge: the confirmation e-mails are queued by one task per this many
# seconds, however many signers (0: one task per signature; the tests' task backend runs it
# at once). The public page and its form read the petition from a per-process copy at most
# this many seconds old (0: every request reads the database).
ESSAIM_PETITION_MAIL_BATCH_SECONDS = float(
    os.environ.get("ESSAIM_PETITION_MAIL_BATCH_SECONDS", "0" if TESTING else "1")
)
ESSAIM_PETITION_LOOKUP_SECONDS = float(
    os.environ.get("ESSAIM_PETITION_LOOKUP_SECONDS", "0" if TESTING else "2")
)

# --- E-mail -------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "memory://" if TESTING else f"file://{VAR_DIR / 'mail'}")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
# dj-email-url drops the leading slash of file:///abs/path; the path is what follows file://.
EMAIL_FILE_PATH = (EMAIL_URL[len("file://") :] if EMAIL_URL.startswith("file://") else "") or str(
    VAR_DIR / "mail"
)
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Essaim <noreply@essaim.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ESSAIM_DEMO_MAILBOX = env_bool("ESSAIM_DEMO_MAILBOX") and not PRODUCTION

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("ESSAIM_STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ESSAIM_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production the static files are served from the apps directly: `make demo` needs
# no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
ESSAIM_SERVE_MEDIA = env_bool("ESSAIM_SERVE_MEDIA", not PRODUCTION)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken on hx-post
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("ESSAIM_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("ESSAIM_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ESSAIM_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("ESSAIM_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("ESSAIM_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # Rate limits count per client address: behind N proxies, take the address the last
    # trusted one saw, or every visitor would share the proxy's.
    ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ESSAIM_TRUSTED_PROXY_COUNT", "1"))

# Content-Security-Policy (Django 5.2 has none built in): no inline script or style anywhere,
# nothing from another origin. data: images are the TOTP QR codes drawn by allauth.
ESSAIM_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ESSAIM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Tasks log every start/finish at INFO; keep the worker's output readable.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}

# --- Essaim -------------------------------------------------------------------------------
ESSAIM_PAGE_SIZE = 50
ESSAIM_INVITATION_DAYS = 14
ESSAIM_OUTBOX_RETENTION_DAYS = 90
ESSAIM_AUDIT_RETENTION_DAYS = int(os.environ.get("ESSAIM_AUDIT_RETENTION_DAYS", "365"))
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200
CSRF_FAILURE_VIEW = "essaim.core.views.csrf_failure"
