"""Refusing, before any call, what a model cannot do (the API would refuse it too), with the catalog's words."""

from __future__ import annotations

from ..catalog import ModelSpec, inputs_problem, option_problems
from .base import ImageRequest, InvalidRequest, Unsupported

# Problems with these fields are about the model's abilities, not about a value out of range.
UNSUPPORTED_FIELDS = frozenset({"output_format", "background", "input_fidelity", "complexity", "mask"})


def request_problem(request: ImageRequest, model: ModelSpec) -> InvalidRequest | None:
    """The first thing the API would refuse anyway, as an error naming the parameter."""
    problems = {
        **option_problems(request.spec, model, kind=request.kind),
        **inputs_problem(len(request.images), request.mask is not None, model, kind=request.kind),
    }
    if not problems:
        return None
    param, message = next(iter(problems.items()))
    param = "image" if param == "images" else param
    cls = Unsupported if param in UNSUPPORTED_FIELDS else InvalidRequest
    return cls(message, param=param)
