"""Models that are retired, or soon will be: the notices, the system check's warnings, `imagegen models`.

The catalog's dates are OpenAI's; a provider's MODELS entry may set its own, and the API's own
`shutdown_date` (GET /models) wins over both where the provider can ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from . import catalog, conf
from .catalog import FixedSizes, ModelSpec, TieredSizes
from .providers.base import ProviderError

# How long before a shutdown the check and the admin start to warn.
WARNING_DAYS = 30
# What a broken provider entry raises; the system checks report those entries themselves.
BROKEN_SETTINGS = (ImproperlyConfigured, ImportError, ValueError, TypeError, KeyError, AttributeError)


@dataclass(frozen=True)
class Notice:
    alias: str
    model: ModelSpec
    setting: str  # "MODEL" or "FINAL_MODEL"

    @property
    def retired(self) -> bool:
        return self.model.retired(catalog.today())

    def message(self) -> str:
        values = {"alias": self.alias, "model": self.model.name, "date": self.model.shutdown,
                  "successor": self.model.successor or _("a current model")}
        if self.retired:
            return _("The image service “%(alias)s” uses %(model)s, which was shut down on %(date)s. "
                     "Switch to %(successor)s.") % values
        return _("The image service “%(alias)s” uses %(model)s, which shuts down on %(date)s. "
                 "Switch to %(successor)s before then.") % values


def configured_models(alias: str) -> list[tuple[str, ModelSpec]]:
    config = conf.provider_config(alias)
    provider = conf.provider_class(config.class_path)(config)
    names = {"MODEL": config.model, "FINAL_MODEL": config.final_model or config.model}
    return [(setting, provider.model_spec(name)) for setting, name in names.items()
            if setting == "MODEL" or name != config.model]


def notices(today: date | None = None) -> list[Notice]:
    """Every configured model that is past, or within WARNING_DAYS of, its shutdown date."""
    today = today or catalog.today()
    found = []
    for alias in conf.provider_aliases():
        try:
            models = configured_models(alias)
        except BROKEN_SETTINGS:  # CatalogError is a ValueError
            continue
        found += [Notice(alias, model, setting) for setting, model in models
                  if model.retiring(today, WARNING_DAYS)]
    return found


def model_rows(alias: str | None, *, ask_api: bool = True) -> list[dict[str, Any]]:
    """The provider's models with their limits, prices and dates; the API's shutdown dates win."""
    config = conf.provider_config(alias)
    provider = conf.provider_class(config.class_path)(config)
    models = catalog.offered_models(config.models, api=provider.api,
                                    configured=(config.model, config.final_model or ""))
    listed: dict[str, str | None] | None = None
    if ask_api and not provider.is_demo:
        try:
            with provider:
                listed = provider.list_models()
        except ProviderError:
            listed = None
    rows = []
    for model in models:
        api_date = next((listed[name] for name in model.ids() if listed and listed.get(name)), None)
        if api_date:
            model = replace(model, shutdown=date.fromisoformat(api_date))
        rows.append(model_row(model, listed))
    return rows


def sizes_text(sizes: Any) -> str:
    if isinstance(sizes, FixedSizes):
        return ", ".join(sizes.offered)
    if isinstance(sizes, TieredSizes):
        return f"aspect ratios {', '.join(sizes.ratios)} at {', '.join(sizes.tiers)}"
    return (f"any WxH, multiples of {sizes.multiple}, long edge ≤ {sizes.max_edge}, aspect ≤ {sizes.max_aspect:g}:1, "
            f"{sizes.min_pixels:,}–{sizes.max_pixels:,} pixels")


def model_row(model: ModelSpec, listed: dict[str, Any] | None) -> dict[str, Any]:
    today = catalog.today()
    state = "retired" if model.retired(today) else "retiring" if model.retiring(today, WARNING_DAYS) else "current"
    sizes = model.sizes
    return {
        "name": model.name, "label": str(model.label), "description": str(model.description), "state": state,
        "guessed": model.guessed, "listed_by_api": None if listed is None else any(i in listed for i in model.ids()),
        "released": model.released.isoformat() if model.released else None,
        "shutdown": model.shutdown.isoformat() if model.shutdown else None, "successor": model.successor,
        "sizes": sizes_text(sizes),
        "qualities": list(model.qualities), "formats": list(model.formats), "transparency": model.transparency,
        "input_fidelity": model.input_fidelity, "controls": {name: list(v) for name, v in model.controls.items()},
        "max_n": model.max_n, "max_input_images": model.max_input_images, "mask": model.mask,
        "max_prompt_chars": model.max_prompt_chars,
        "prices": {name: str(getattr(model.prices, name)) for name in
                   ("text_input", "image_input", "image_output", "text_output")},
    }
