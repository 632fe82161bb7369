"""The model catalog: every image model's options, limits, token counts, prices and dates, declared once.

`JobSpec` is what a job asks for; `ModelSpec` is what a model can do; `model_spec()` finds a model's spec
(settings and the provider may amend it) and `option_problems()` says, field by field, what does not fit.
"""

from .options import JobSpec, option_fields
from .registry import CatalogError, catalog, listed_names, model_spec, offered_models, today
from .spec import (
    ASPECT_RATIOS,
    RESOLUTIONS,
    FixedSizes,
    FlexibleSizes,
    ModelSpec,
    OutputTokens,
    Price,
    TieredSizes,
    TierTokens,
    parse_size,
)
from .validation import fitted, inputs_problem, option_problems, prompt_problem

__all__ = [
    "ASPECT_RATIOS", "RESOLUTIONS", "CatalogError", "FixedSizes", "FlexibleSizes", "JobSpec", "ModelSpec",
    "OutputTokens", "Price", "TierTokens", "TieredSizes", "catalog", "fitted", "inputs_problem", "listed_names",
    "model_spec", "offered_models", "option_fields", "option_problems", "parse_size", "prompt_problem", "today",
]
