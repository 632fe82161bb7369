"""Finding a model's spec: the built-in catalog, amended by WAGTAIL_IMAGEGEN["MODELS"] and by the provider.

    "MODELS": {
        "gpt-image-2.6-flare": {"QUALITIES": ["low", "medium", "high", "xhigh", "max", "ultra", "auto"]},
        "my-azure-deployment": {"BASED_ON": "gpt-image-1.5", "SHUTDOWN": "2026-12-16"},
    }

Keys are ModelSpec's fields in capitals (SIZES takes a list of sizes or the rule's fields, PRICES and
OUTPUT_TOKENS take dicts); BASED_ON names the entry a new one starts from. A provider entry's own
"MODELS" list names the models it offers, each a name or such a dict with "NAME".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .gemini import GEMINI_MODELS
from .openai import OPENAI_MODELS
from .spec import FixedSizes, FlexibleSizes, ModelSpec, OutputTokens

BUILTIN: tuple[ModelSpec, ...] = OPENAI_MODELS + GEMINI_MODELS
SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")
# Every option any known model has, so an unknown name is refused nothing (the API has the last word).
PERMISSIVE = ModelSpec(
    "unknown", _("Unknown model"), _("Not in the catalog: limits and prices are guesses."),
    sizes=FlexibleSizes(multiple=1, max_edge=100_000, max_aspect=100.0, min_pixels=1, max_pixels=10**10),
    qualities=("low", "medium", "high", "xhigh", "max", "auto"), input_fidelity="parameter",
    output_tokens=OPENAI_MODELS[0].output_tokens, prices=OPENAI_MODELS[0].prices, guessed=True,
)
DATE_KEYS = frozenset({"released", "shutdown"})
TUPLE_KEYS = frozenset({"snapshots", "qualities", "auto_quality", "formats"})
ENTRY_KEYS = {spec_field.name.upper(): spec_field.name for spec_field in fields(ModelSpec)
              if spec_field.name not in ("name", "guessed")}


class CatalogError(ValueError):
    """A MODELS entry that cannot be a model: `key` names the offending key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def today() -> date:
    return timezone.localdate()


# -- building specs from settings -------------------------------------------------------------------------


def amended(base: ModelSpec, entry: Mapping[str, Any], *, name: str | None = None) -> ModelSpec:
    """`base` with a settings entry's keys applied; CatalogError names a key that cannot be."""
    changes: dict[str, Any] = {} if name is None else {"name": name, "guessed": False, "snapshots": ()}
    for key, value in entry.items():
        if key in ("BASED_ON", "NAME"):
            continue
        if key not in ENTRY_KEYS:
            raise CatalogError(key, f"unknown key {key!r}")
        attribute = ENTRY_KEYS[key]
        changes[attribute] = converted(key, attribute, value, getattr(base, attribute))
    spec = replace(base, **changes)
    check_spec(spec)
    return spec


def converted(key: str, attribute: str, value: Any, current: Any) -> Any:  # noqa: C901 - one branch a kind
    try:
        if attribute in DATE_KEYS:
            return None if value is None else value if isinstance(value, date) else date.fromisoformat(value)
        if attribute in TUPLE_KEYS:
            if isinstance(value, str) or not all(isinstance(item, str) for item in value):
                raise TypeError("a list of strings")
            return tuple(value)
        if attribute == "sizes":
            return size_rule(value)
        if attribute == "prices":
            values = {name.lower(): Decimal(str(amount)) for name, amount in value.items()}
            return replace(current, **values)
        if attribute == "output_tokens":  # quality -> tokens of a 1024×1024 image
            return OutputTokens(square={quality: int(tokens) for quality, tokens in value.items()})
        if attribute == "controls":
            return {str(name): tuple(values) for name, values in value.items()}
        if isinstance(current, bool) or isinstance(current, int) and not isinstance(value, int):
            raise TypeError(type(current).__name__)
        if current is not None and not isinstance(value, type(current)) and not isinstance(current, str):
            raise TypeError(type(current).__name__)
        return value
    except (TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise CatalogError(key, f"{key} cannot be {value!r} ({exc})") from exc


def size_rule(value: Any) -> FixedSizes | FlexibleSizes:
    """A list of sizes, or the fields of a size rule (MULTIPLE, MAX_EDGE, MAX_ASPECT, MIN_PIXELS, MAX_PIXELS)."""
    if isinstance(value, list | tuple):
        return FixedSizes(choices=tuple(size for size in value if size != "auto"), auto="auto" in value)
    names = {spec_field.name.upper(): spec_field.name for spec_field in fields(FlexibleSizes)}
    unknown = set(value) - set(names)
    if unknown:
        raise ValueError(f"unknown size rule keys {sorted(unknown)}; use {sorted(names)}")
    return FlexibleSizes(**{names[key]: item for key, item in value.items()})


def check_spec(spec: ModelSpec) -> None:
    """Rules a model entry must keep, so that a typo cannot make a model nobody can use."""
    if not spec.qualities:
        raise CatalogError("QUALITIES", "QUALITIES needs at least one quality")
    if not spec.formats:
        raise CatalogError("FORMATS", "FORMATS needs at least one format")
    if spec.max_n < 1 or spec.max_input_images < 0:
        raise CatalogError("MAX_N", "MAX_N must be at least 1 and MAX_INPUT_IMAGES at least 0")
    rule = spec.sizes
    if isinstance(rule, FixedSizes) and not rule.offered:
        raise CatalogError("SIZES", "SIZES lists no size")
    if isinstance(rule, FlexibleSizes) and (rule.min_pixels > rule.max_pixels or rule.multiple < 1
                                            or rule.max_aspect < 1 or rule.max_edge ** 2 < rule.min_pixels):
        raise CatalogError("SIZES", "SIZES: no size can meet this rule (check MIN_PIXELS, MAX_PIXELS, MAX_EDGE)")
    if spec.shutdown and spec.released and spec.shutdown < spec.released:
        raise CatalogError("SHUTDOWN", "SHUTDOWN is before RELEASED")


def settings_models() -> Mapping[str, Any]:
    from ..conf import setting  # settings are read at call time

    return setting("MODELS") or {}


def catalog() -> dict[str, ModelSpec]:
    """Every known model by name: the built-in entries amended or extended by MODELS."""
    specs = {spec.name: spec for spec in BUILTIN}
    for name, entry in settings_models().items():
        base_name = entry.get("BASED_ON") or (name if name in specs else None)
        base = specs.get(base_name) or find(specs, base_name) if base_name else PERMISSIVE
        if base is None:
            raise CatalogError("BASED_ON", f"BASED_ON names no known model: {base_name!r}")
        specs[name] = amended(base, entry, name=None if name == base.name else name)
    return specs


def find(specs: Mapping[str, ModelSpec], name: str) -> ModelSpec | None:
    """The family of `name`: itself, a listed snapshot, or an unlisted dated snapshot of a family."""
    if name in specs:
        return specs[name]
    for spec in specs.values():
        if name in spec.snapshots:
            return spec
    family = SNAPSHOT_SUFFIX.sub("", name)
    return specs.get(family) if family != name else None


def model_spec(name: str, provider_models: Iterable[Any] = ()) -> ModelSpec:
    """The spec of `name` as a provider offers it (its own MODELS entry wins), or a permissive guess."""
    specs = catalog()
    entry = provider_entry(name, provider_models)
    base = find(specs, entry.get("BASED_ON") or name) if entry else find(specs, name)
    if base is None:
        base = replace(PERMISSIVE, name=name, label=name)
    return amended(base, entry) if entry else base


def provider_entry(name: str, provider_models: Iterable[Any]) -> dict[str, Any]:
    for item in provider_models:
        entry = {"NAME": item} if isinstance(item, str) else dict(item)
        if entry.get("NAME") == name:
            return entry
    return {}


def listed_names(provider_models: Iterable[Any]) -> list[str]:
    """The names in a provider's MODELS list (each a name, or a dict with NAME)."""
    return [item if isinstance(item, str) else str(item.get("NAME")) for item in provider_models]


def offered_models(provider_models: Iterable[Any], *, api: str, configured: Iterable[str] = ()) -> list[ModelSpec]:
    """The models a provider offers: its MODELS list, else every catalog model of its API; plus `configured`."""
    provider_models = list(provider_models)
    names = listed_names(provider_models)
    if not names:
        names = [spec.name for spec in catalog().values() if spec.api == api]
    names += [name for name in configured if name and name not in names]
    return [model_spec(name, provider_models) for name in dict.fromkeys(names)]
