"""What the studio (the form, the tray and the recent jobs) needs, in the modal or on the AI images page."""

from __future__ import annotations

from typing import Any

from .. import permissions
from ..forms import ImageGenForm
from .recent import recent_jobs
from .source_images import source_item


def choosable_image(user: Any, image_id: Any) -> Any:
    """The library image to edit, if it exists and the user may choose it."""
    if not str(image_id or "").isdigit():
        return None
    return permissions.choosable_images(user).filter(pk=image_id).first()


def studio_context(request: Any, *, image_id: Any = None, label: str = "", target: str = "") -> dict[str, Any]:
    """`target="field"`: the studio was opened from a chooser field, so candidates offer "Use this"."""
    image = choosable_image(request.user, image_id)
    form = ImageGenForm(initial={"images": [image.pk] if image else [], "label": label, "n": 1 if image else 2})
    return {
        "form": form,
        "mode": "edit" if image else "generate",
        "sources": [source_item(image)] if image else [],
        "target": target,
        "recent_jobs": recent_jobs(request.user),
    }
