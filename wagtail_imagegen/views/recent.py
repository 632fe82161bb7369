"""The editor's recent jobs, listed in the studio so that nothing is lost when the modal or page closes."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from .. import permissions
from ..models import GenerationJob, GenerationOutput
from .previews import images_with_previews, preview_url

RECENT_COUNT = 8


def recent_jobs(user: Any) -> list[dict[str, Any]]:
    """The user's newest jobs they may see in full, each with its first image's preview (four queries in all)."""
    jobs = list(
        # Descriptions (alt text) are not what the studio lists: they would push the generations out.
        permissions.own_jobs(user).exclude(kind=GenerationJob.Kind.DESCRIBE).order_by("-created_at")
        .prefetch_related(Prefetch("outputs", queryset=GenerationOutput.objects.order_by("index")))[:RECENT_COUNT]
    )
    first_images = {job.pk: next((o.image_id for o in job.outputs.all() if o.image_id), None) for job in jobs}
    previews = images_with_previews([image_id for image_id in first_images.values() if image_id])
    return [
        {"job": job, "preview": preview_url(previews[first_images[job.pk]]) if first_images[job.pk] in previews
         else None}
        for job in jobs
    ]


@require_GET
def recent(request: Any) -> TemplateResponse:
    return TemplateResponse(request, "wagtail_imagegen/studio/recent.html", {"recent_jobs": recent_jobs(request.user)})
