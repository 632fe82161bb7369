"""The library picker for the images to edit or composite: only images the editor may choose."""

from __future__ import annotations

from typing import Any

from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from .. import permissions
from .previews import PREVIEW_FILTER, preview_url

PAGE_SIZE = 24


def source_item(image: Any) -> dict[str, Any]:
    """What the form needs of a source image; the mask painter works on the original's size."""
    return {"id": image.pk, "title": image.title, "preview": preview_url(image), "url": image.file.url,
            "width": image.width, "height": image.height}


def choosable_images(user: Any, query: str) -> Any:
    images = permissions.choosable_images(user).exclude(file__iendswith=".svg").order_by("-created_at")
    if query:
        images = images.filter(title__icontains=query)
    return images.prefetch_renditions(PREVIEW_FILTER)[:PAGE_SIZE]


@require_GET
def source_images(request: Any) -> TemplateResponse:
    images = choosable_images(request.user, request.GET.get("q", "").strip())
    return TemplateResponse(request, "wagtail_imagegen/studio/source_images.html",
                            {"images": [source_item(image) for image in images]})
