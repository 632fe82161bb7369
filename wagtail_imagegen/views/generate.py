"""AI images > Generate: the studio on a page of its own, generating into the library without a page."""

from __future__ import annotations

from typing import Any

from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from .studio import studio_context


@require_GET
def generate(request: Any) -> TemplateResponse:
    image_id = request.GET.get("image")
    context = studio_context(request, image_id=image_id, label=request.GET.get("label", ""))
    return TemplateResponse(request, "wagtail_imagegen/generate.html", context)
