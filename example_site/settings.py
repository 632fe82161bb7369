"""Settings of the example site. Everything that differs between machines comes from the environment.

Environment variables (all optional):

    IMAGEGEN_PROVIDER   "openai" or "demo"; default "openai" when an API key is set, else "demo"
    IMAGEGEN_API_KEY    the image API key (falls back to OPENAI_API_KEY); never printed or logged
    IMAGEGEN_BASE_URL   default https://api.openai.com/v1 (CometAPI: https://api.cometapi.com/v1)
    IMAGEGEN_MODEL      the draft model; default the provider's (gpt-image-2.6-flare, finals on -sunburst)
    IMAGEGEN_FINAL_MODEL  what "Final quality" re-renders with (default: see IMAGEGEN_MODEL)
    IMAGEGEN_OPENAI_API  "responses" puts the default (OpenAI) provider in the Responses API mode; default "images"
    IMAGEGEN_RESPONSES_MODEL  the mainline model of that mode; default gpt-5.6-luna
    IMAGEGEN_GEMINI_API_KEY  adds a second provider, "gemini" (Google's Nano Banana models), beside the default
    IMAGEGEN_GEMINI_BASE_URL  default https://generativelanguage.googleapis.com/v1beta
    IMAGEGEN_GEMINI_MODEL  its draft model; default gemini-nano-banana-2.1 (finals on gemini-3-pro-image)
    DATABASE_URL        e.g. postgres://user:pass@host/db; default SQLite at var/example.sqlite3
    REDIS_URL           e.g. redis://127.0.0.1:6379/0: the Django cache, and django-q2's broker ...
    IMAGEGEN_BROKER     ... unless this is "orm" (django-q2's ORM broker on the default database)
    SECRET_KEY, DEBUG (default on), ALLOWED_HOSTS (comma-separated), WAGTAILADMIN_BASE_URL
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent
BASE_DIR = PROJECT_DIR.parent
# Everything the site writes at run time (database, media, collected static) lives in var/ (git-ignored).
VAR_DIR = BASE_DIR / "var"


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


# ---------------------------------------------------------------------------------------------------
# Django and Wagtail
# ---------------------------------------------------------------------------------------------------

# The default is only for trying the site locally; set SECRET_KEY anywhere else.
SECRET_KEY = os.environ.get("SECRET_KEY") or "example-site-dev-only-not-secret"
DEBUG = env_flag("DEBUG", True)
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host.strip()
]

INSTALLED_APPS = [
    # Before the Wagtail apps, so that the admin templates it overrides take precedence over Wagtail's.
    "wagtail_imagegen",
    "example_site.home",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Explicit, so Django 5.2 and 6.x (whose default changed) agree and never ask for new migrations.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

WAGTAIL_SITE_NAME = "wagtail-imagegen example"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]

# ---------------------------------------------------------------------------------------------------
# Database: SQLite on one machine (tuned for a web process plus a qcluster), or DATABASE_URL
# ---------------------------------------------------------------------------------------------------

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "example.sqlite3",
            "OPTIONS": {
                # Take the write lock at BEGIN, so concurrent writers wait (up to `timeout`) instead of
                # failing with "database is locked"; WAL lets readers carry on meanwhile.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# ---------------------------------------------------------------------------------------------------
# Cache and django-q2 (see README "Scaling" and the worker contract in the docs)
# ---------------------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
IMAGEGEN_BROKER = os.environ.get("IMAGEGEN_BROKER", "").strip().lower()
if IMAGEGEN_BROKER not in ("", "orm", "redis"):
    raise ImproperlyConfigured(f'IMAGEGEN_BROKER must be "orm" or "redis", not "{IMAGEGEN_BROKER}".')

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The slowest provider call (TIMEOUT below); the worker gets this plus a margin to store the images.
PROVIDER_TIMEOUT = 300

Q_CLUSTER: dict[str, Any] = {
    "name": "imagegen",
    "workers": 2,  # = at most two paid API calls at once on this machine
    "queue_limit": 1,  # minimal prefetch (0 would mean unbounded)
    "bulk": 1,
    "timeout": PROVIDER_TIMEOUT + 30,  # 330 s: the API call, then time to store the outputs
    "retry": 1500,  # well above the timeout: django-q2 must never redeliver a job that is still running
    "ack_failures": True,  # the app owns retries and backoff (the job row is the source of truth)
    "max_attempts": 3,
    "recycle": 50,  # image libraries fragment memory: restart a worker now and then
    "max_rss": 1_048_576,  # KiB (1 GiB)
    "catch_up": False,
    "poll": 1,
    "save_limit": 250,
    "cache": "default",
}
if REDIS_URL and IMAGEGEN_BROKER != "orm":
    Q_CLUSTER["redis"] = REDIS_URL  # lower latency, at-most-once: the app's leases and reconciler cover it
else:
    Q_CLUSTER["orm"] = "default"  # the job update and its enqueue commit in one transaction

# ---------------------------------------------------------------------------------------------------
# wagtail-imagegen
# ---------------------------------------------------------------------------------------------------

IMAGEGEN_API_KEY = os.environ.get("IMAGEGEN_API_KEY") or os.environ.get("OPENAI_API_KEY") or None
IMAGEGEN_PROVIDER = os.environ.get("IMAGEGEN_PROVIDER", "").strip().lower() or (
    "openai" if IMAGEGEN_API_KEY else "demo"
)
# Unset, each provider class's own current pair of draft and final models (README: "Models").
IMAGEGEN_MODELS = {key: value for key, value in (("MODEL", os.environ.get("IMAGEGEN_MODEL")),
                                                ("FINAL_MODEL", os.environ.get("IMAGEGEN_FINAL_MODEL"))) if value}

if IMAGEGEN_PROVIDER == "openai":
    # Without a key, the system check warning wagtail_imagegen.W005 says what to set (jobs are refused).
    PROVIDER: dict[str, Any] = {
        "CLASS": "wagtail_imagegen.providers.openai.OpenAIImageProvider",
        **IMAGEGEN_MODELS,
        "API_KEY": IMAGEGEN_API_KEY,
        "BASE_URL": os.environ.get("IMAGEGEN_BASE_URL") or "https://api.openai.com/v1",
        "TIMEOUT": PROVIDER_TIMEOUT,
        "OPTIONS": {key: value for key, value in (("API", os.environ.get("IMAGEGEN_OPENAI_API")),
                                                  ("RESPONSES_MODEL", os.environ.get("IMAGEGEN_RESPONSES_MODEL")))
                    if value},
    }
elif IMAGEGEN_PROVIDER == "demo":
    # Offline: no key, no network. Two seconds per image so that progress is visible in the admin.
    PROVIDER = {
        "CLASS": "wagtail_imagegen.providers.demo.DemoImageProvider",
        **IMAGEGEN_MODELS,
        "TIMEOUT": PROVIDER_TIMEOUT,
        "OPTIONS": {"LATENCY": 2},
    }
else:
    raise ImproperlyConfigured(f'IMAGEGEN_PROVIDER must be "openai" or "demo", not "{IMAGEGEN_PROVIDER}".')

PROVIDERS: dict[str, Any] = {"default": PROVIDER}
if os.environ.get("IMAGEGEN_GEMINI_API_KEY"):
    PROVIDERS["gemini"] = {
        "CLASS": "wagtail_imagegen.providers.gemini.GeminiImageProvider",
        "API_KEY": os.environ["IMAGEGEN_GEMINI_API_KEY"],
        **({"BASE_URL": os.environ["IMAGEGEN_GEMINI_BASE_URL"]} if os.environ.get("IMAGEGEN_GEMINI_BASE_URL") else {}),
        **({"MODEL": os.environ["IMAGEGEN_GEMINI_MODEL"]} if os.environ.get("IMAGEGEN_GEMINI_MODEL") else {}),
        "TIMEOUT": PROVIDER_TIMEOUT,
    }

WAGTAIL_IMAGEGEN = {
    "PROVIDERS": PROVIDERS,
    "DEFAULT_PROVIDER": "default",
    "COLLECTION": "AI images",
}

# ---------------------------------------------------------------------------------------------------
# Logging: the app's and the workers' progress on the console (never the API key: the app redacts it)
# ---------------------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # django-q2 sets up its own console handler for its "django-q" logger.
        "wagtail_imagegen": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
