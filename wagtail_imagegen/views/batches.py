"""AI images > Batches: a batch's live counts, its cost so far, and the paginated review grid.

Every page costs the same handful of queries however large the batch: counts are one aggregate, the
grid is one page of jobs with their images and thumbnails prefetched. Who sees and acts on which batch and
which of its jobs is permissions.py's to say.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request

from .. import bulk, governance, permissions
from ..models import GenerationBatch, GenerationJob, GenerationOutput
from .access import generate_permission_required, view_permission_required
from .library import with_thumbnails

GRID_PAGE_SIZE = 48
BATCHES_PAGE_SIZE = 30


def progress(batch: GenerationBatch) -> dict[str, Any]:
    """The live counts the page and its script show."""
    counts = bulk.batch_counts(batch)
    Status = GenerationJob.Status
    done = counts[Status.SUCCEEDED] + counts[Status.FAILED] + counts[Status.CANCELLED]
    return {
        **{key: value for key, value in counts.items() if key not in ("cost", "estimated_cost")},
        "done": done,
        "finished": done == counts["total"],
        "cost": governance.format_cost(counts["cost"]),
        "estimated_cost": governance.format_cost(counts["estimated_cost"]),
        "review": bulk.review_counts(batch),
    }


def grid_page(request: Any, batch: GenerationBatch) -> Any:
    """One page of the batch's images: each newest job with its source, candidate and their thumbnails."""
    outputs = GenerationOutput.objects.prefetch_related(Prefetch("image", queryset=with_thumbnails()))
    shown = permissions.shown_jobs(request.user, bulk.current_jobs(batch))
    jobs = (shown.order_by("variant_source__title", "variant_source")
            .prefetch_related(Prefetch("variant_source", queryset=with_thumbnails()),
                              Prefetch("outputs", queryset=outputs)))
    return Paginator(jobs, GRID_PAGE_SIZE).get_page(request.GET.get("p"))


@require_GET
@view_permission_required
def batch_index(request: Any) -> TemplateResponse:
    batches = permissions.visible_batches(request.user).select_related("requested_by").annotate(
        images=Count("jobs__variant_source", distinct=True)).order_by("-created_at")
    return TemplateResponse(request, "wagtail_imagegen/batches/index.html", {
        "page_obj": Paginator(batches, BATCHES_PAGE_SIZE).get_page(request.GET.get("p")),
    })


@require_GET
@view_permission_required
def batch_detail(request: Any, pk: Any) -> TemplateResponse:
    batch = permissions.batch_for(request.user, pk)
    return TemplateResponse(request, "wagtail_imagegen/batches/detail.html", {
        "batch": batch, "page_obj": grid_page(request, batch), "progress": progress(batch),
        "can_change": permissions.can_change(request.user, batch)})


@require_GET
@view_permission_required
def batch_grid(request: Any, pk: Any) -> TemplateResponse:
    """One page of the review grid alone, for the batch page's live refresh."""
    batch = permissions.batch_for(request.user, pk)
    return TemplateResponse(request, "wagtail_imagegen/batches/grid.html", {
        "batch": batch, "page_obj": grid_page(request, batch),
        "can_change": permissions.can_change(request.user, batch)})


@require_GET
@view_permission_required
def batch_status(request: Any, pk: Any) -> JsonResponse:
    """Counts only, so a restricted batch answers too."""
    return JsonResponse(progress(permissions.batch_for(request.user, pk)))


def back_to_batch(request: Any, batch_id: Any) -> HttpResponse:
    return redirect(get_valid_next_url_from_request(request) or reverse("wagtail_imagegen_library:batch",
                                                                         args=[batch_id]))


@require_POST
@generate_permission_required
def batch_approve_all(request: Any, pk: Any) -> HttpResponse:
    batch = permissions.batch_for(request.user, pk, "change")
    count = bulk.approve_all(batch, user=request.user)
    messages.success(request, ngettext("Approved %(count)d image.", "Approved %(count)d images.", count) % {
        "count": count})
    return back_to_batch(request, batch.pk)


@require_POST
@generate_permission_required
def batch_retry(request: Any, pk: Any) -> HttpResponse:
    batch = permissions.batch_for(request.user, pk, "change")
    try:
        count = bulk.retry_failed(batch, user=request.user)
    except ValidationError as error:  # a budget or the submission rate said no
        messages.error(request, " ".join(error.messages))
        return back_to_batch(request, batch.pk)
    messages.success(request, ngettext("Trying %(count)d image again.", "Trying %(count)d images again.", count) % {
        "count": count})
    return back_to_batch(request, batch.pk)


def batch_output(request: Any, pk: int) -> GenerationOutput:
    outputs = GenerationOutput.objects.select_related("image").filter(job__batch__isnull=False)
    return permissions.output_for(request.user, pk, "change", outputs)


@require_POST
@generate_permission_required
def output_approve(request: Any, pk: int) -> HttpResponse:
    output = batch_output(request, pk)
    try:
        bulk.approve(output, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return back_to_batch(request, output.job.batch_id)


@require_POST
@generate_permission_required
def output_reject(request: Any, pk: int) -> HttpResponse:
    output = batch_output(request, pk)
    bulk.reject(output, user=request.user)
    return back_to_batch(request, output.job.batch_id)
