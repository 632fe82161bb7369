"""Queuing a generation or an edit from the modal or the AI images page."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from ..forms import ImageGenForm
from .payloads import form_errors, new_job_payload


@require_POST
def submit(request: Any) -> JsonResponse:
    """201 with the new job's status, or 400 with errors by field (jobs.py's included)."""
    form = ImageGenForm(request.POST, request.FILES)
    job = form.submit(request.user) if form.is_valid() else None
    if job is None:
        return JsonResponse({"errors": form_errors(form)}, status=400)
    payload = new_job_payload(job, request.user)
    if form.compare_job is not None:  # the same prompt on a second image service, shown beside it
        payload["compare"] = new_job_payload(form.compare_job, request.user)
    return JsonResponse(payload, status=201)
