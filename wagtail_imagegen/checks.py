"""System checks: every settings mistake names its key and says how to fix it.

Messages and hints are translated into the active language (a management command's is LANGUAGE_CODE's);
the setting names, keys and code in them stay as they are written in settings.py.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from . import conf, presets
from .providers.base import ImageProvider

SETTING = "WAGTAIL_IMAGEGEN"
# Seconds a worker needs after the API answers to store the outputs.
PERSISTENCE_MARGIN = 30
RATE_LIMIT_KEYS = frozenset({"IMAGES_PER_MINUTE", "REQUESTS_PER_MINUTE", "CONCURRENT_REQUESTS"})
BUDGET_KEYS = frozenset({"SITE", "PER_USER", "USERS", "GROUPS", "PROVIDERS"})


def error(number: int, msg: str, hint: str) -> checks.Error:
    return checks.Error(msg, hint=hint, id=f"wagtail_imagegen.E{number:03d}")


def warning(number: int, msg: str, hint: str) -> checks.Warning:
    return checks.Warning(msg, hint=hint, id=f"wagtail_imagegen.W{number:03d}")


def unknown_key(number: int, where: str, key: Any, valid: Iterable[str]) -> checks.Error:
    """One unknown key, with the valid key nearest to it (most are typos: TIMEOUTS, PROVIDRES)."""
    valid = sorted(valid)
    nearest = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
    hint = _('Did you mean "%(key)s"? ') % {"key": nearest[0]} if nearest else ""
    return error(number, _('%(where)s has an unknown key "%(key)s".') % {"where": where, "key": key},
                 hint + _("The keys are: %(keys)s.") % {"keys": ", ".join(valid)})


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    raw = getattr(settings, SETTING, {})
    if not isinstance(raw, dict):
        return [error(1, _("%(setting)s must be a dict.") % {"setting": SETTING},
                      _("Set %(setting)s = {...} as in the README.") % {"setting": SETTING})]
    messages: list[checks.CheckMessage] = []
    messages += [unknown_key(2, SETTING, key, conf.DEFAULTS) for key in sorted(set(raw) - set(conf.DEFAULTS), key=str)]
    providers = conf.setting("PROVIDERS")
    if not isinstance(providers, dict) or not providers:
        return [*messages, error(3, _('%(setting)s["PROVIDERS"] must be a non-empty dict of provider aliases.') % {
            "setting": SETTING}, _('Add at least {"default": {"CLASS": ..., "MODEL": ...}}.'))]
    if conf.default_alias() not in providers:
        messages.append(
            error(4, _('%(setting)s["DEFAULT_PROVIDER"] is "%(alias)s", which is not in PROVIDERS.') % {
                "setting": SETTING, "alias": conf.default_alias()}, use_one_of(providers))
        )
    for alias, entry in providers.items():
        messages.extend(check_provider(alias, entry))
    messages.extend(check_general())
    messages.extend(check_rate_limits(providers))
    messages.extend(check_budgets())
    messages.extend(check_submission_rate())
    messages.extend(check_alt_text())
    messages.extend(check_presets())
    messages.extend(check_models(providers))
    messages.extend(check_q_cluster(providers))
    return messages


def check_provider(alias: str, entry: Any) -> Iterator[checks.CheckMessage]:
    where = f'{SETTING}["PROVIDERS"]["{alias}"]'
    if not isinstance(entry, dict):
        yield error(5, _("%(where)s must be a dict.") % {"where": where}, _('Give it at least "CLASS" and "MODEL".'))
        return
    try:
        cls = conf.provider_class(entry.get("CLASS", ""))
    except (ImportError, ImproperlyConfigured, ValueError) as exc:
        yield error(6, _('%(where)s["CLASS"] cannot be used: %(problem)s') % {"where": where, "problem": exc},
                    _("Use %(openai)s, %(gemini)s or %(demo)s.") % {
                        "openai": conf.OPENAI_PROVIDER_CLASS, "gemini": conf.GEMINI_PROVIDER_CLASS,
                        "demo": conf.DEMO_PROVIDER_CLASS})
        return
    for key in sorted(set(entry) - conf.PROVIDER_KEYS, key=str):  # provider options belong in OPTIONS
        yield unknown_key(19, where, key, conf.PROVIDER_KEYS)
    for key in ("MODEL", "DRAFT_MODEL", "FINAL_MODEL"):
        if not isinstance(entry.get(key, "x"), str) or not entry.get(key, "x"):
            yield error(7, _('%(where)s["%(key)s"] must be a model name.') % {"where": where, "key": key},
                        _('For example "%(model)s".') % {"model": cls.default_model})
    if not isinstance(entry.get("MODELS", []), list | tuple):
        yield error(7, _('%(where)s["MODELS"] must be a list of model names or dicts.') % {"where": where},
                    _("For example %(example)s.") % {
                        "example": json.dumps([cls.default_model, {"NAME": cls.default_final_model,
                                                                   "SHUTDOWN": "2030-01-01"}])})
    timeout = entry.get("TIMEOUT", conf.PROVIDER_DEFAULTS["TIMEOUT"])
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        yield error(8, _('%(where)s["TIMEOUT"] must be a positive number of seconds.') % {"where": where},
                    _("Image edits take up to 150 s; 300 is a good value."))
    base_url = entry.get("BASE_URL", cls.default_base_url or "https://")
    if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
        yield error(9, _('%(where)s["BASE_URL"] must be an http(s) URL.') % {"where": where},
                    _("OpenAI: %(openai)s; CometAPI: %(comet)s; Gemini: %(gemini)s.") % {
                        "openai": "https://api.openai.com/v1", "comet": "https://api.cometapi.com/v1",
                        "gemini": "https://generativelanguage.googleapis.com/v1beta"})
    if cls.requires_base_url and not entry.get("BASE_URL"):
        yield error(13, _("%(where)s needs a BASE_URL.") % {"where": where},
                    _("For Azure OpenAI: %(url)s (MODEL = the deployment name).") % {
                        "url": "https://RESOURCE.openai.azure.com/openai/v1"})
    if cls.requires_api_key and not (entry.get("API_KEY") or conf.environment_api_key(cls.api_key_environment)):
        variables = " / ".join(cls.api_key_environment)
        # A warning, not an error: migrate, collectstatic and a site's tests run without a key; jobs are refused.
        yield warning(5, _("%(where)s has no API key: no images can be generated until it has one.") % {
            "where": where}, _('Set %(where)s["API_KEY"], or the environment variable %(variables)s. To try the app '
                               "without a key, use %(demo)s.") % {
            "where": where, "variables": variables, "demo": conf.DEMO_PROVIDER_CLASS})


def check_general() -> Iterator[checks.CheckMessage]:
    tags = conf.setting("TAGS")
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        yield error(11, _('%(setting)s["TAGS"] must be a list of strings.') % {"setting": SETTING},
                    _("For example %(example)s.") % {"example": '["ai-generated"]'})
    for key in ("MAX_ATTEMPTS", "RETRY_BASE_DELAY", "RETRY_MAX_DELAY", "MAX_INPUT_EDGE", "LEASE_SECONDS",
                "RECONCILE_SECONDS", "HEALTH_MAX_QUEUE_WAIT", "HEALTH_MAX_RECONCILER_AGE"):
        value = conf.setting(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 1:
            yield error(12, _('%(setting)s["%(key)s"] must be a positive number.') % {"setting": SETTING, "key": key},
                        _("The default is %(default)s.") % {"default": conf.DEFAULTS[key]})


def check_rate_limits(providers: dict[str, Any]) -> Iterator[checks.CheckMessage]:
    limits = conf.setting("RATE_LIMITS")
    if not isinstance(limits, dict):
        yield error(14, _('%(setting)s["RATE_LIMITS"] must be a dict keyed by provider alias.') % {"setting": SETTING},
                    _("For example %(example)s.") % {"example": '{"default": {"IMAGES_PER_MINUTE": 60}}'})
        return
    for alias, entry in limits.items():
        yield from check_rate_limit(alias, entry, providers)


def check_rate_limit(alias: str, entry: Any, providers: dict[str, Any]) -> Iterator[checks.CheckMessage]:
    where = f'{SETTING}["RATE_LIMITS"]["{alias}"]'
    if alias not in providers:
        yield error(20, _("%(where)s names no provider in PROVIDERS.") % {"where": where}, use_one_of(providers))
        return
    if not isinstance(entry, dict):
        yield error(14, _("%(where)s must be a dict.") % {"where": where},
                    _("For example %(example)s.") % {"example": '{"IMAGES_PER_MINUTE": 60}'})
        return
    for key in sorted(set(entry) - RATE_LIMIT_KEYS, key=str):
        yield unknown_key(21, where, key, RATE_LIMIT_KEYS)
    for key in sorted(set(entry) & RATE_LIMIT_KEYS):
        value = entry[key]
        whole = key != "CONCURRENT_REQUESTS" or isinstance(value, int)
        if not (is_number(value) and value > 0 and whole):
            message = (_('%(where)s["%(key)s"] must be a positive whole number.') if key == "CONCURRENT_REQUESTS"
                       else _('%(where)s["%(key)s"] must be a positive number.'))
            yield error(22, message % {"where": where, "key": key},
                        _("Use the limits of your API account (OpenAI shows them under Limits)."))


def use_one_of(providers: Iterable[str]) -> str:
    return _("Use one of: %(aliases)s.") % {"aliases": ", ".join(providers)}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def check_budgets() -> Iterator[checks.CheckMessage]:
    budgets, where = conf.setting("BUDGETS"), f'{SETTING}["BUDGETS"]'
    hint = _("For example %(example)s (USD).") % {
        "example": '{"SITE": 500, "PER_USER": 25, "USERS": {"alice": 100}, "GROUPS": {"Editors": 200}}'}
    if not isinstance(budgets, dict):
        yield error(15, _("%(where)s must be a dict with the keys %(keys)s.") % {
            "where": where, "keys": ", ".join(sorted(BUDGET_KEYS))}, hint)
        return
    for key in sorted(set(budgets) - BUDGET_KEYS, key=str):
        yield unknown_key(23, where, key, BUDGET_KEYS)
    amounts = [budgets.get(key) for key in ("SITE", "PER_USER") if budgets.get(key) is not None]
    for key in ("USERS", "GROUPS", "PROVIDERS"):
        named = budgets.get(key, {})
        if not isinstance(named, dict):
            yield error(15, _('%(where)s["%(key)s"] must map names to monthly amounts in USD.') % {
                "where": where, "key": key}, hint)
            return
        amounts.extend(named.values())
    if not all(is_number(amount) and amount >= 0 for amount in amounts):
        yield error(24, _("%(where)s amounts must be numbers of US dollars, 0 or more.") % {"where": where}, hint)


def check_alt_text() -> Iterator[checks.CheckMessage]:
    from .alt_text import DEFAULTS, DESCRIBERS

    options, where = conf.setting("ALT_TEXT"), f'{SETTING}["ALT_TEXT"]'
    if not isinstance(options, dict):
        yield error(29, _("%(where)s must be a dict.") % {"where": where},
                    _("The keys are: %(keys)s.") % {"keys": ", ".join(sorted(DEFAULTS))})
        return
    for key in sorted(set(options) - set(DEFAULTS), key=str):
        yield unknown_key(29, where, key, DEFAULTS)
    if options.get("DESCRIBER", "auto") not in DESCRIBERS:
        yield error(29, _('%(where)s["DESCRIBER"] must be one of %(choices)s.') % {
            "where": where, "choices": ", ".join(DESCRIBERS)}, _('"auto" uses wagtail-ai where it is configured.'))
    provider = options.get("PROVIDER")
    if provider and not provider_class_describes(provider):
        yield warning(6, _('%(where)s["PROVIDER"] is "%(alias)s", which cannot describe images: no alt text is '
                           "written.") % {"where": where, "alias": provider},
                      _("Name a provider of the OpenAI class (or Azure, CometAPI), or None for the first that can."))


def provider_class_describes(alias: str) -> bool:
    try:
        return conf.provider_class(conf.provider_config(alias).class_path).describes
    except ImproperlyConfigured:
        return False


def check_submission_rate() -> Iterator[checks.CheckMessage]:
    value = conf.setting("USER_SUBMISSIONS_PER_MINUTE")
    if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        yield error(16, _('%(setting)s["USER_SUBMISSIONS_PER_MINUTE"] must be a positive whole number or None.') % {
            "setting": SETTING}, _("For example 10; a bulk batch counts as one submission."))


def check_presets() -> Iterator[checks.CheckMessage]:
    configured = conf.setting("EDIT_PRESETS")
    where = f'{SETTING}["EDIT_PRESETS"]'
    hint = _("For example %(example)s, or None for the defaults.") % {
        "example": '[{"key": "snow", "label": "Add snow", "prompt": "Cover the ground in fresh snow.", '
                   '"invariants": "Keep the people as they are.", "options": {"quality": "high"}}]'}
    if configured is None:
        return
    if not isinstance(configured, list | tuple):
        yield error(17, _("%(where)s must be a list of presets or None.") % {"where": where}, hint)
        return
    keys = set()
    for number, entry in enumerate(configured, start=1):
        if not (isinstance(entry, dict) and all(isinstance(entry.get(key), str) and entry[key].strip()
                                                for key in ("key", "label", "prompt"))):
            yield error(25, _("%(where)s entry %(number)d needs a key, a label and a prompt, each a non-empty "
                              "string.") % {"where": where, "number": number}, hint)
            continue
        if entry["key"] in keys:
            yield error(26, _('%(where)s has the key "%(key)s" twice.') % {"where": where, "key": entry["key"]},
                        _("Give every preset its own key."))
        keys.add(entry["key"])
        options = entry.get("options") or {}
        if not isinstance(options, dict):
            yield error(27, _('%(where)s entry %(number)d ("%(key)s"): options must be a dict.') % {
                "where": where, "number": number, "key": entry["key"]},
                        _("options is a dict with keys among: %(keys)s.") % {
                            "keys": ", ".join(sorted(presets.PRESET_OPTIONS))})
            continue
        for key in sorted(set(options) - presets.PRESET_OPTIONS, key=str):
            yield unknown_key(28, f'{where} entry {number} ("{entry["key"]}") options', key, presets.PRESET_OPTIONS)


def check_q_cluster(providers: dict[str, Any]) -> Iterator[checks.CheckMessage]:
    cluster = getattr(settings, "Q_CLUSTER", {}) or {}
    timeouts = [
        entry.get("TIMEOUT", conf.PROVIDER_DEFAULTS["TIMEOUT"])
        for entry in providers.values() if isinstance(entry, dict)
    ]
    slowest = max((t for t in timeouts if isinstance(t, int | float)), default=0)
    q_timeout, q_retry = cluster.get("timeout"), cluster.get("retry", 60)
    if q_timeout is not None and q_timeout < slowest + PERSISTENCE_MARGIN:
        yield warning(1, _('Q_CLUSTER["timeout"] (%(timeout)s s) is shorter than the slowest provider TIMEOUT '
                           "(%(slowest)s s) plus %(margin)s s to store the images.") % {
            "timeout": q_timeout, "slowest": slowest, "margin": PERSISTENCE_MARGIN},
                      _('Set Q_CLUSTER["timeout"] to at least %(seconds)s.') % {
                          "seconds": slowest + PERSISTENCE_MARGIN})
    if q_timeout is not None and q_retry <= q_timeout:
        yield warning(2, _('Q_CLUSTER["retry"] (%(retry)s s) is not longer than its timeout (%(timeout)s s): '
                           "django-q2 would start a second copy of a job that is still running.") % {
            "retry": q_retry, "timeout": q_timeout},
                      _('Set Q_CLUSTER["retry"] well above the timeout, e.g. timeout × 4.'))


def check_models(providers: dict[str, Any]) -> Iterator[checks.CheckMessage]:
    """MODELS entries that cannot be models (E018), configured models that are retired or retiring (W003),
    and model names the catalog does not know (W004)."""
    from . import catalog, lifecycle

    models = conf.setting("MODELS")
    if not isinstance(models, dict) or not all(isinstance(entry, dict) for entry in models.values()):
        yield error(18, _('%(setting)s["MODELS"] must map model names to dicts.') % {"setting": SETTING},
                    _("For example %(example)s.") % {
                        "example": json.dumps({ImageProvider.default_model: {"QUALITIES": list(
                            catalog.model_spec(ImageProvider.default_model).qualities)}})})
        return
    try:
        catalog.catalog()
        for entry in providers.values():
            for item in entry.get("MODELS") or () if isinstance(entry, dict) else ():
                if not isinstance(item, str):
                    catalog.model_spec(str(item.get("NAME")), [item])
    except catalog.CatalogError as exc:
        keys = ", ".join(sorted(catalog.registry.ENTRY_KEYS))
        yield error(18, _("A model entry has a problem with the key %(key)s: %(problem)s.") % {
            "key": exc.key, "problem": exc},
                    _("Model entries take the keys BASED_ON, NAME (in a provider's MODELS) and: %(keys)s.") % {
                        "keys": keys})
        return
    for notice in lifecycle.notices():
        where = f'{SETTING}["PROVIDERS"]["{notice.alias}"]["{notice.setting}"]'
        yield warning(3, f"{where}: {notice.message()}",
                      _('Set "%(setting)s" to %(model)s (see `manage.py imagegen models`), or give the '
                        "provider's own date in its MODELS entry.") % {
                          "setting": notice.setting, "model": notice.model.successor or _("a current model")})
    for alias in providers:
        try:
            configured = lifecycle.configured_models(alias)
        except lifecycle.BROKEN_SETTINGS:  # reported by check_provider
            continue
        for setting_name, model in configured:
            if model.guessed:
                where = f'{SETTING}["PROVIDERS"]["{alias}"]["{setting_name}"]'
                yield warning(4, _('%(where)s is "%(model)s", which the model catalog does not know: its limits are '
                                   "permissive and its prices are guesses.") % {"where": where, "model": model.name},
                              _('Describe it in %(setting)s["MODELS"] (BASED_ON a known model, with its PRICES).') % {
                                  "setting": SETTING})
