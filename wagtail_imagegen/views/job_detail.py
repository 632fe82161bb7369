"""AI images > Jobs > a job: its lineage, prompts, parameters, images, usage and cost."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..governance import format_cost
from ..models import GenerationJob
from .access import generate_permission_required
from .lineage import ancestors, refinements
from .payloads import editor_message
from .previews import images_with_previews, preview_url


def image_items(images: list[Any]) -> list[dict[str, Any]]:
    previews = images_with_previews([image.pk for image in images if image])
    return [{"image": previews[image.pk], "preview": preview_url(previews[image.pk])} for image in images
            if image and image.pk in previews]


@require_GET
@generate_permission_required
def job_detail(request: Any, pk: Any) -> TemplateResponse:
    job = get_object_or_404(
        GenerationJob.objects.select_related("requested_by", "collection", "variant_source", "batch"), pk=pk
    )
    outputs = list(job.outputs.select_related("image", "kept_by"))
    previews = {item["image"].pk: item["preview"] for item in image_items([o.image for o in outputs])}
    can_change = request.user.is_superuser or job.requested_by_id == request.user.pk
    return TemplateResponse(request, "wagtail_imagegen/jobs/detail.html", {
        "job": job,
        "page_title": _("AI image job"),
        "sources": image_items(job.source_images()),
        "outputs": [{"output": output, "preview": previews.get(output.image_id)} for output in outputs],
        "ancestors": ancestors(job),
        "refinements": refinements(job),
        "message": editor_message(job),
        "estimated_cost": format_cost(job.estimated_cost),
        "actual_cost": format_cost(job.actual_cost) if job.actual_cost is not None else None,
        "can_cancel": can_change and not job.is_finished,
    })
