"""Alt text on the image library: the "Describe with AI" section of an image's edit page (library/alt-text.js
fetches it), its button, and the listing's "Describe with AI" bulk action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from wagtail.images import get_image_model
from wagtail.images.views.bulk_actions.image_bulk_action import ImageBulkAction

from .. import alt_text, permissions
from ..models import GenerationJob, MachineDescription


def latest_description_job(image: Any, user: Any) -> GenerationJob | None:
    jobs = permissions.shown_jobs(user, GenerationJob.objects.filter(kind=GenerationJob.Kind.DESCRIBE,
                                                                     described_image=image))
    return jobs.order_by("-created_at").first()


@require_GET
def alt_text_section(request: Any, image_id: int) -> HttpResponse:
    """The section: the description, whether a model wrote it, the latest describe job, and the button."""
    image = get_object_or_404(get_image_model(), pk=image_id)
    permissions.require_image_change(request.user, image)  # a 403 (views/viewsets.py), which the script skips
    mark = MachineDescription.objects.filter(image=image).first()
    return TemplateResponse(request, "wagtail_imagegen/library/alt_text.html", {
        "image": image,
        "machine_written": bool(mark and image.description and mark.text == image.description),
        "job": latest_description_job(image, request.user),
        "can_describe": permissions.can_describe(request.user, image) and alt_text.describing_alias() is not None,
        "describe_url": reverse("wagtail_imagegen:describe_image", args=[image.pk]),
    })


@require_POST
def describe_image(request: Any, image_id: int) -> HttpResponse:
    """Queue a description: JSON (the job and its status URL) for the script, else back to the edit page."""
    image = get_object_or_404(get_image_model(), pk=image_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        job = alt_text.describe(image, user=request.user)  # PermissionDenied: a 403 (views/viewsets.py)
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"errors": {"__all__": error.messages}}, status=400)
        messages.error(request, " ".join(error.messages))
        return redirect("wagtailimages:edit", image.pk)
    if wants_json:
        # A description already on its way for a colleague is theirs to follow: no id, no status URL.
        mine = permissions.shown_jobs(request.user, GenerationJob.objects.filter(pk=job.pk)).exists()
        return JsonResponse({"job": str(job.pk) if mine else None, "status": job.status,
                             "status_url": reverse("wagtail_imagegen:jobs:status", args=[job.pk]) if mine else None},
                            status=202)
    messages.success(request, _("A description of “%(title)s” is on its way.") % {"title": image.title})
    return redirect("wagtailimages:edit", image.pk)


class DescribeBulkAction(ImageBulkAction):
    """Image listing > select > "Describe with AI": alt text for the chosen images whose description is empty
    or machine-written; an editor's text is left alone (and counted)."""

    display_name = gettext_lazy("Describe with AI")
    action_type = "imagegen_describe"
    aria_label = gettext_lazy("Write the alt text of the selected images with AI")
    template_name = "wagtail_imagegen/library/describe.html"
    action_priority = 42

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        permissions.require(request.user, "add")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def describable_ids(self) -> set[int]:
        """The selected images this user may have described: one query, not one per image."""
        selected = self.request.GET.getlist("id")
        if "all" in selected:
            selected = self.get_all_objects_in_listing_query(self.request.GET.get("childOf"))
        images = permissions.describable_images(self.request.user)
        return set(images.filter(pk__in=selected).values_list("pk", flat=True))

    def check_perm(self, image: Any) -> bool:
        return image.pk in self.describable_ids

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        images = [item["item"] for item in context["items"]]
        context["editor_text"] = [image for image in images if alt_text.has_editor_text(image)]
        context["can_describe"] = alt_text.describing_alias() is not None
        return context

    def get_execution_context(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as error:  # no provider describes, a budget or the submission rate said no
            messages.error(request, " ".join(error.messages))
            return redirect(self.next_url or reverse("wagtailimages:index"))

    @classmethod
    def execute_action(cls, images: list[Any], user: Any = None, **kwargs: Any) -> tuple[int, int]:
        free = [image for image in images if alt_text.describable(image) and not alt_text.has_editor_text(image)]
        if free:
            alt_text.describe_many(free, user=user)
        return len(free), len(images) - len(free)

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        queued = ngettext("A description of %(count)d image is on its way.",
                          "Descriptions of %(count)d images are on their way.", num_parent_objects) % {
            "count": num_parent_objects}
        if not num_child_objects:
            return queued
        kept = ngettext("%(count)d image was left as it is: an editor wrote its alt text, or it is not a raster "
                        "image.",
                        "%(count)d images were left as they are: an editor wrote their alt text, or they are not "
                        "raster images.", num_child_objects) % {"count": num_child_objects}
        return f"{queued} {kept}"
