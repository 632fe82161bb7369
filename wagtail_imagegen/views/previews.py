"""The small renditions the editor's screens show: Wagtail's own chooser preview, prefetched in bulk."""

from __future__ import annotations

from typing import Any

from wagtail.images import get_image_model
from wagtail.images.shortcuts import get_rendition_or_not_found

# The rendition Wagtail's own chooser shows, so a generated image looks like any chosen one.
PREVIEW_FILTER = "max-165x165"


def preview(image: Any) -> Any:
    return get_rendition_or_not_found(image, PREVIEW_FILTER)


def preview_url(image: Any) -> str:
    return preview(image).url


def images_with_previews(image_ids: list[int]) -> dict[int, Any]:
    """The images by id, their previews prefetched (two queries; the first view makes missing renditions)."""
    if not image_ids:
        return {}
    images = get_image_model().objects.filter(pk__in=image_ids).prefetch_renditions(PREVIEW_FILTER)
    return {image.pk: image for image in images}
