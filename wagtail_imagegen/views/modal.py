"""The studio in a modal, opened by a chooser field's Generate / Edit with AI or by any launcher."""

from __future__ import annotations

from typing import Any

from django.views.decorators.http import require_GET
from wagtail.admin.modal_workflow import render_modal_workflow

from .studio import studio_context


@require_GET
def modal(request: Any) -> Any:
    """?mode=generate|edit, &image=<id> to edit, &label=<variant label>, &target=field from a chooser."""
    image_id = request.GET.get("image") if request.GET.get("mode") == "edit" else None
    context = studio_context(request, image_id=image_id, label=request.GET.get("label", ""),
                             target="field" if request.GET.get("target") == "field" else "")
    return render_modal_workflow(request, "wagtail_imagegen/modal/modal.html", None, context,
                                 json_data={"step": "imagegen"})
