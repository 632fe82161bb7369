"""AI images > Batches: a batch's live counts, its cost so far, and the paginated review grid.

Every page costs the same handful of queries however large the batch: counts are one aggregate, the
grid is one page of jobs with their images and thumbnails prefetched. Who sees and acts on which batch and
which of its jobs is permissions.py's to say.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import IndexView, InspectView

from .. import bulk, governance, permissions
from ..models import GenerationBatch, GenerationJob, GenerationOutput
from .library import with_thumbnails

GRID_PAGE_SIZE = 48


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


def prompt_or_restricted(batch: GenerationBatch) -> str:
    return str(_("Restricted")) if batch.restricted else Truncator(batch.prompt).chars(100)


class BatchIndexView(IndexView):
    """AI images > Batches: the batches the user may see (permissions.visible_batches), newest first."""

    model = GenerationBatch
    permission_policy = permissions.batch_policy
    any_permission_required = ["view"]
    page_title = _("Batches")
    header_icon = "imagegen-wand"
    results_template_name = "wagtail_imagegen/batches/index_results.html"
    default_ordering = "-created_at"
    columns = [
        TitleColumn("label", label=_("Label"), url_name="wagtail_imagegen:batches:inspect"),
        Column("prompt", label=_("Instruction"), accessor=prompt_or_restricted),
        Column("images", label=_("Images")),
        Column("requested_by", label=_("Requested by"), accessor=lambda batch: batch.requested_by or "—"),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]

    def get_base_queryset(self) -> QuerySet:
        return permissions.visible_batches(self.request.user).select_related("requested_by").annotate(
            images=Count("jobs__variant_source", distinct=True))


class BatchInspectView(InspectView):
    """A batch: its live counts, its cost so far and the first page of its review grid."""

    model = GenerationBatch
    permission_policy = permissions.batch_policy
    any_permission_required = ["view"]
    template_name = "wagtail_imagegen/batches/detail.html"
    page_title = _("Batch")

    def get_object(self, queryset: Any = None) -> GenerationBatch:
        return permissions.batch_for(self.request.user, self.pk)

    def get_fields_context(self) -> list[dict[str, Any]]:
        return []  # the template shows the batch itself

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        batch = self.object
        return {**super().get_context_data(**kwargs), "batch": batch, "page_obj": grid_page(self.request, batch),
                "progress": progress(batch), "can_change": permissions.can_change(self.request.user, batch)}


@require_GET
def batch_grid(request: Any, pk: Any) -> TemplateResponse:
    """One page of the review grid alone, for the batch page's live refresh."""
    batch = permissions.batch_for(request.user, pk)
    return TemplateResponse(request, "wagtail_imagegen/batches/grid.html", {
        "batch": batch, "page_obj": grid_page(request, batch),
        "can_change": permissions.can_change(request.user, batch)})


@require_GET
def batch_status(request: Any, pk: Any) -> JsonResponse:
    """Counts only, so a restricted batch answers too."""
    return JsonResponse(progress(permissions.batch_for(request.user, pk)))


def back_to_batch(request: Any, batch_id: Any) -> HttpResponse:
    return redirect(get_valid_next_url_from_request(request) or reverse("wagtail_imagegen:batches:inspect",
                                                                         args=[batch_id]))


@require_POST
def batch_approve_all(request: Any, pk: Any) -> HttpResponse:
    batch = permissions.batch_for(request.user, pk, "change")
    count = bulk.approve_all(batch, user=request.user)
    messages.success(request, ngettext("Approved %(count)d image.", "Approved %(count)d images.", count) % {
        "count": count})
    return back_to_batch(request, batch.pk)


@require_POST
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
def output_approve(request: Any, pk: int) -> HttpResponse:
    output = batch_output(request, pk)
    try:
        bulk.approve(output, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return back_to_batch(request, output.job.batch_id)


@require_POST
def output_reject(request: Any, pk: int) -> HttpResponse:
    output = batch_output(request, pk)
    bulk.reject(output, user=request.user)
    return back_to_batch(request, output.job.batch_id)
