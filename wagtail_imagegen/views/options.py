"""The generate window's options for another model or image service: the fields re-rendered from the catalog."""

from __future__ import annotations

from typing import Any

from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from ..forms import ImageGenForm


@require_GET
def options(request: Any) -> TemplateResponse:
    """?provider=&model= plus the current values: what the window keeps where the new model offers it."""
    values = {key: value for key, value in request.GET.items() if key not in ("images", "mask", "prompt")}
    form = ImageGenForm(initial=values)
    for name, field in form.fields.items():  # a value the new model does not offer gives way to its default
        offered = [str(choice) for choice, _label in getattr(field, "choices", ())]
        if offered and str(values.get(name)) not in offered:
            form.initial.pop(name, None)
    return TemplateResponse(request, "wagtail_imagegen/studio/options.html", {"form": form})
