"""Settings for the test suite. DATABASE_URL switches to PostgreSQL; REDIS_URL adds the Redis cache/broker."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
WAGTAIL_SITE_NAME = "wagtail-imagegen tests"
WAGTAILADMIN_BASE_URL = "http://testserver"

INSTALLED_APPS = [
    "wagtail_imagegen",
    "tests.testapp",
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
    "django_q",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
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
            ]
        },
    }
]

# A file database, so that qcluster processes started by worker tests see the same data; one per test run
# (the workers inherit the name through the environment), so concurrent runs never share one.
os.environ.setdefault("IMAGEGEN_TEST_DB", str(BASE_DIR.parent / "var" / f"test-{os.getpid()}.sqlite3"))
DB_FILE = Path(os.environ["IMAGEGEN_TEST_DB"])
DB_FILE.parent.mkdir(exist_ok=True)
if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
    # One test database per run, for the same reason as the SQLite file below.
    DATABASES["default"]["TEST"] = {"NAME": f"test_imagegen_{Path(os.environ['IMAGEGEN_TEST_DB']).stem[5:]}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB_FILE,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": DB_FILE},
        }
    }

RUN_ID = Path(os.environ["IMAGEGEN_TEST_DB"]).stem  # shared with the run's worker processes
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": RUN_ID}}

# Worker-process tests of alt text run the site in German (the worker inherits the variable).
LANGUAGE_CODE = os.environ.get("IMAGEGEN_TEST_LANGUAGE_CODE", "en-us")
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR.parent / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("IMAGEGEN_TEST_MEDIA_ROOT", BASE_DIR.parent / "var" / "media"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

WAGTAIL_IMAGEGEN = {
    "PROVIDERS": {
        "default": {
            "CLASS": "wagtail_imagegen.providers.openai.OpenAIImageProvider",
            "API_KEY": "sk-test-secret-key-0123456789",
            # Worker-process tests point this at the fake API they serve.
            "BASE_URL": os.environ.get("IMAGEGEN_TEST_BASE_URL", "http://127.0.0.1:9/v1"),
            "TIMEOUT": float(os.environ.get("IMAGEGEN_TEST_PROVIDER_TIMEOUT", 30)),
        },
        "demo": {"CLASS": "wagtail_imagegen.providers.demo.DemoImageProvider", "TIMEOUT": 30},
    },
}

# Browser tests of the Responses API mode put the default provider in it (the worker inherits the variable).
if os.environ.get("IMAGEGEN_TEST_OPENAI_API"):
    WAGTAIL_IMAGEGEN["PROVIDERS"]["default"]["OPTIONS"] = {"API": os.environ["IMAGEGEN_TEST_OPENAI_API"]}

# Browser tests of one prompt on two services add Google's, on the fake API's Gemini route (the worker they
# start inherits the variable).
if os.environ.get("IMAGEGEN_TEST_GEMINI_BASE_URL"):
    WAGTAIL_IMAGEGEN["PROVIDERS"]["gemini"] = {
        "CLASS": "wagtail_imagegen.providers.gemini.GeminiImageProvider",
        "API_KEY": "sk-test-secret-key-0123456789",
        "BASE_URL": os.environ["IMAGEGEN_TEST_GEMINI_BASE_URL"],
        "TIMEOUT": 30,
    }

# Worker-process tests tune these through the environment their qclusters inherit.
if os.environ.get("IMAGEGEN_TEST_IPM"):
    WAGTAIL_IMAGEGEN["RATE_LIMITS"] = {"default": {"IMAGES_PER_MINUTE": int(os.environ["IMAGEGEN_TEST_IPM"])}}
if os.environ.get("IMAGEGEN_TEST_FAST_RETRIES"):
    WAGTAIL_IMAGEGEN.update(RETRY_BASE_DELAY=1, RETRY_MAX_DELAY=3, MAX_ATTEMPTS=12)
if os.environ.get("IMAGEGEN_TEST_LEASE"):  # recovery tests: short leases and reconciling, in seconds
    WAGTAIL_IMAGEGEN.update(LEASE_SECONDS=float(os.environ["IMAGEGEN_TEST_LEASE"]),
                            RECONCILE_SECONDS=float(os.environ["IMAGEGEN_TEST_RECONCILE"]))

Q_CLUSTER = {
    "name": f"imagegen-{RUN_ID}",  # a queue of its own per run, on Redis too
    "orm": "default",
    "workers": int(os.environ.get("IMAGEGEN_TEST_WORKERS", 1)),
    "queue_limit": 1,
    "bulk": 1,
    "timeout": int(os.environ.get("IMAGEGEN_TEST_CLUSTER_TIMEOUT", 60)),
    "retry": 600,
    "ack_failures": True,
    "max_attempts": 1,
    "catch_up": False,
    "poll": 0.2,
    "save_limit": 100,
}
if os.environ.get("REDIS_URL") and os.environ.get("IMAGEGEN_BROKER") == "redis":
    Q_CLUSTER = {**Q_CLUSTER, "redis": os.environ["REDIS_URL"]}
    del Q_CLUSTER["orm"]
