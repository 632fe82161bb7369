"""The WAGTAIL_IMAGEGEN settings dict: defaults, and the provider lookup.

Settings are read at call time (so `override_settings` works) and validated by the system checks in
checks.py; nothing here is frozen at import.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .providers.base import ImageProvider, ProviderConfig

DEMO_PROVIDER_CLASS = "wagtail_imagegen.providers.demo.DemoImageProvider"
OPENAI_PROVIDER_CLASS = "wagtail_imagegen.providers.openai.OpenAIImageProvider"
GEMINI_PROVIDER_CLASS = "wagtail_imagegen.providers.gemini.GeminiImageProvider"

DEFAULTS: dict[str, Any] = {
    "PROVIDERS": {
        "default": {"CLASS": OPENAI_PROVIDER_CLASS},
    },
    "DEFAULT_PROVIDER": "default",
    # Collection (name or id) for new generations; edits go to their source image's collection.
    "COLLECTION": None,
    "TAGS": ["ai-generated"],
    # Retries of transient errors (rate limits, 5xx, timeouts): attempts in all, and the backoff.
    "MAX_ATTEMPTS": 5,
    "RETRY_BASE_DELAY": 10,
    "RETRY_MAX_DELAY": 600,
    # Heartbeat leases (leases.py): a worker renews its job's lease every third of this while it works, so a
    # job whose worker died is taken over about this long after the death (not after the provider TIMEOUT).
    "LEASE_SECONDS": 45,
    # How often each qcluster worker says it is alive and, if no other did meanwhile, runs the reconciler.
    "RECONCILE_SECONDS": 15,
    # `imagegen health` is not OK when a job has waited this long with no live worker, or the reconciler
    # has not run for HEALTH_MAX_RECONCILER_AGE seconds.
    "HEALTH_MAX_QUEUE_WAIT": 120,
    "HEALTH_MAX_RECONCILER_AGE": 120,
    # Source images are sent as a rendition no larger than this on the long edge.
    "MAX_INPUT_EDGE": 2048,
    # Adds to or amends the model catalog without a release (catalog/registry.py): {name: {KEY: value}}.
    "MODELS": {},
    # Monthly USD budgets (governance.py): {"SITE": 500, "PER_USER": 25, "USERS": {username: USD},
    # "GROUPS": {group name: USD for its members together}}. A submission that does not fit is refused.
    "BUDGETS": {},
    # Per provider alias: {"IMAGES_PER_MINUTE": n, "REQUESTS_PER_MINUTE": n, "CONCURRENT_REQUESTS": n},
    # shared by every worker (ratelimits.py, governance.py).
    "RATE_LIMITS": {},
    # Submissions (a bulk batch is one) each user may make a minute; None: no limit.
    "USER_SUBMISSIONS_PER_MINUTE": None,
    # True: every ForeignKey to the image model gets the chooser with Generate / Edit with AI.
    "REPLACE_IMAGE_CHOOSER": False,
    # The edit form's presets (presets.py): None for the defaults, [] for none, or a list of dicts.
    "EDIT_PRESETS": None,
    # Alt text by a vision model (alt_text.py): ON_KEEP, PROVIDER, MODEL, MAX_LENGTH, DESCRIBER.
    "ALT_TEXT": {},
}
# BASE_URL and the API key's environment variables default per provider class (default_base_url,
# api_key_environment).
PROVIDER_DEFAULTS: dict[str, Any] = {"TIMEOUT": 300}
# MODEL (or its synonym DRAFT_MODEL) is what new jobs use; FINAL_MODEL is what "Final quality" re-renders
# with; MODELS lists the models the provider offers (names, or dicts with NAME and catalog overrides).
PROVIDER_KEYS = frozenset({"CLASS", "MODEL", "DRAFT_MODEL", "FINAL_MODEL", "MODELS", "API_KEY", "BASE_URL",
                           "TIMEOUT", "OPTIONS"})
API_KEY_ENVIRONMENT = ("IMAGEGEN_API_KEY", "OPENAI_API_KEY")


def user_settings() -> dict[str, Any]:
    """WAGTAIL_IMAGEGEN as the project wrote it (an empty dict when absent)."""
    value = getattr(settings, "WAGTAIL_IMAGEGEN", {})
    return value if isinstance(value, dict) else {}


def imagegen_settings() -> dict[str, Any]:
    """WAGTAIL_IMAGEGEN merged over the defaults (one level deep)."""
    return {**DEFAULTS, **user_settings()}


def setting(name: str) -> Any:
    return imagegen_settings()[name]


def default_alias() -> str:
    return setting("DEFAULT_PROVIDER")


def provider_config(alias: str | None = None) -> ProviderConfig:
    """The resolved settings of one provider alias; the key falls back to the environment."""
    alias = alias or default_alias()
    providers = setting("PROVIDERS")
    if alias not in providers:
        raise ImproperlyConfigured(f'WAGTAIL_IMAGEGEN["PROVIDERS"] has no provider named "{alias}".')
    entry = {**PROVIDER_DEFAULTS, **providers[alias]}
    options = {key: value for key, value in entry.items() if key not in PROVIDER_KEYS}
    options.update(entry.get("OPTIONS") or {})
    cls = provider_class(entry["CLASS"])
    model = entry.get("MODEL") or entry.get("DRAFT_MODEL")
    # Without a model named, the class's own draft and final pair; a named model is its own final.
    final = entry.get("FINAL_MODEL") or (model if model else cls.default_final_model)
    return ProviderConfig(
        alias=alias,
        class_path=entry["CLASS"],
        model=model or cls.default_model,
        final_model=final,
        models=tuple(entry.get("MODELS") or ()),
        api_key=entry.get("API_KEY") or environment_api_key(cls.api_key_environment),
        base_url=entry.get("BASE_URL") or cls.default_base_url,
        timeout=float(entry["TIMEOUT"]),
        options=options,
    )


def has_api_key(alias: str | None = None) -> bool:
    """False when the provider needs an API key and has none (jobs for it are refused, not queued)."""
    config = provider_config(alias)
    return bool(config.api_key) or not provider_class(config.class_path).requires_api_key


def environment_api_key(names: tuple[str, ...] = API_KEY_ENVIRONMENT) -> str | None:
    """The first of the environment variables `names` that is set (a provider class names its own)."""
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def provider_class(class_path: str) -> type[ImageProvider]:
    cls = import_string(class_path)
    if not (isinstance(cls, type) and issubclass(cls, ImageProvider)):
        raise ImproperlyConfigured(f"{class_path} is not a subclass of ImageProvider.")
    return cls


def get_provider(alias: str | None = None, *, transport: httpx.BaseTransport | None = None) -> ImageProvider:
    """A new provider instance for `alias` (the default provider when None). Close it when done."""
    config = provider_config(alias)
    return provider_class(config.class_path)(config, transport=transport)


def provider_aliases() -> list[str]:
    return list(setting("PROVIDERS"))
