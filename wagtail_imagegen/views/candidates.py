"""The candidate tray's actions: Use this (keep), Discard, Refine, Final quality."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import jobs, permissions
from ..forms import RefineForm
from ..models import GenerationOutput
from .payloads import chosen_data, form_errors, new_job_payload


def output_payload(output: GenerationOutput) -> dict[str, Any]:
    return {"output": output.pk, "state": output.state}


def service_error(error: ValidationError) -> JsonResponse:
    return JsonResponse({"errors": {"__all__": error.messages}}, status=400)


@require_POST
def use_output(request: Any, pk: int) -> JsonResponse:
    """Keep a candidate (as the job's variant when it has a label) and return it as the chooser wants it."""
    output = permissions.output_for(request.user, pk)
    try:
        output = jobs.keep(output, user=request.user)
    except ValidationError as error:
        return service_error(error)
    return JsonResponse({**output_payload(output), "chosen": chosen_data(output.image)})


@require_POST
def discard_output(request: Any, pk: int) -> JsonResponse:
    output = jobs.discard(permissions.output_for(request.user, pk), user=request.user)
    return JsonResponse(output_payload(output))


@require_POST
def refine_output(request: Any, pk: int) -> JsonResponse:
    """Edit the candidate again with a new instruction; the invariants (pre-filled in the tray) carry on."""
    output = permissions.output_for(request.user, pk)
    form = RefineForm(request.POST)
    job = form.submit(output, request.user) if form.is_valid() else None
    if job is None:
        return JsonResponse({"errors": form_errors(form)}, status=400)
    return JsonResponse(new_job_payload(job, request.user), status=201)


def final_prompt() -> str:
    return _("Recreate this exact image at the highest quality. Keep the composition, the subjects, "
             "the colours and any text exactly as they are.")


@require_POST
def final_quality(request: Any, pk: int) -> JsonResponse:
    """Re-render a draft once with the provider's final model at high quality."""
    output = permissions.output_for(request.user, pk)
    try:
        job = jobs.final_quality(output, final_prompt(), user=request.user)
    except ValidationError as error:
        return service_error(error)
    return JsonResponse(new_job_payload(job, request.user), status=201)
