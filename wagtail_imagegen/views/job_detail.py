"""AI images > Jobs > a job: its lineage, prompts, parameters, images, usage and cost.

A job the user may not see is a 404; a restricted one shows its status and cost, not its prompt or images.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from wagtail.admin.views.generic import InspectView

from .. import permissions
from ..governance import format_cost
from ..models import GenerationJob
from .lineage import ancestors, refinements
from .payloads import editor_message
from .previews import images_with_previews, preview_url


def image_items(images: list[Any]) -> list[dict[str, Any]]:
    previews = images_with_previews([image.pk for image in images if image])
    return [{"image": previews[image.pk], "preview": preview_url(previews[image.pk])} for image in images
            if image and image.pk in previews]


def conversation_ids(job: GenerationJob) -> list[dict[str, str]]:
    """The Responses API's ids of each candidate's turn (what a refinement continues from)."""
    turns = (job.response or {}).get("turns") or []
    return [part for turn in turns if isinstance(turn, dict) for part in turn.get("parts") or ()
            if isinstance(part, dict) and part.get("response_id")]


def job_contents(job: GenerationJob, user: Any) -> dict[str, Any]:
    """What only those who may see the job in full are shown."""
    if job.restricted:
        return {"sources": [], "outputs": [], "ancestors": [], "refinements": []}
    outputs = list(job.outputs.select_related("image", "kept_by"))
    previews = {item["image"].pk: item["preview"] for item in image_items([o.image for o in outputs])}
    return {
        "sources": image_items(job.source_images()),
        "outputs": [{"output": output, "preview": previews.get(output.image_id)} for output in outputs],
        "ancestors": ancestors(job, user),
        "refinements": refinements(job, user),
    }


class JobInspectView(InspectView):
    """The job page: Wagtail's inspect view with the app's own template (the job, not a list of its fields)."""

    model = GenerationJob
    permission_policy = permissions.job_policy
    any_permission_required = ["view"]
    template_name = "wagtail_imagegen/jobs/detail.html"
    page_title = gettext_lazy("AI image job")

    def get_object(self, queryset: Any = None) -> GenerationJob:
        return permissions.job_for(self.request.user, self.pk, queryset=GenerationJob.objects.select_related(
            "requested_by", "collection", "variant_source", "batch"))

    def get_fields_context(self) -> list[dict[str, Any]]:
        return []  # the template shows the job itself, and only what the policy lets through

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job, user = self.object, self.request.user
        return {
            **super().get_context_data(**kwargs),
            "job": job,
            **job_contents(job, user),
            "message": None if job.restricted else editor_message(job),
            "estimated_cost": format_cost(job.estimated_cost),
            "actual_cost": format_cost(job.actual_cost) if job.actual_cost is not None else None,
            "can_cancel": permissions.can_change(user, job) and not job.is_finished,
            "conversation": [] if job.restricted else conversation_ids(job),
            "fallback": (job.response or {}).get("fallback") if not job.restricted else None,
        }
