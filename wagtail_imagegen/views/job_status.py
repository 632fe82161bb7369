"""The status endpoint every open tray polls, and cancelling a job."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import jobs, permissions
from .lineage import chain_payload
from .payloads import job_payload, restricted_payload


@require_GET
def job_status(request: Any, pk: Any) -> JsonResponse:
    """The job as serializers.job_as_dict, plus progress and chosen data; `?chain=1` adds the iteration chain.

    A restricted job answers with its status alone (permissions.py)."""
    job = permissions.job_for(request.user, pk)
    if job.restricted:
        return JsonResponse(restricted_payload(job))
    data = job_payload(job)
    if request.GET.get("chain") == "1":
        data["chain"] = chain_payload(job, request.user)
    return JsonResponse(data)


@require_POST
def job_cancel(request: Any, pk: Any) -> HttpResponse:
    """Cancel from the tray (JSON) or from the job page (a plain form, back to the page)."""
    job = permissions.job_for(request.user, pk, "change")
    cancelled = jobs.cancel(job, user=request.user)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(job_payload(job))
    if cancelled:
        messages.success(request, _("The job was cancelled."))
    return redirect("wagtail_imagegen:jobs:inspect", pk=job.pk)
