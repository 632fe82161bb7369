"""Who may use the editor's views: the generate_image permission, and a job's own requester for changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.defaults import permission_denied

from ..jobs import PERMISSION
from ..models import GenerationJob, GenerationOutput


def can_generate(user: Any) -> bool:
    return bool(user and user.has_perm(PERMISSION))


def generate_permission_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 for users without wagtail_imagegen.generate_image, and for any PermissionDenied in the view.

    A 403 rather than Wagtail's redirect to the dashboard: the scripts must see a refusal as one.
    """

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            if not can_generate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return permission_denied(request, exc)

    return wrapped


def check_owner(user: Any, job: GenerationJob) -> None:
    """Editors change their own jobs; superusers any job."""
    if job.requested_by_id != user.pk and not user.is_superuser:
        raise PermissionDenied


def own_job(request: Any, pk: Any) -> GenerationJob:
    job = get_object_or_404(GenerationJob, pk=pk)
    check_owner(request.user, job)
    return job


def own_output(request: Any, pk: int) -> GenerationOutput:
    output = get_object_or_404(GenerationOutput.objects.select_related("job", "image"), pk=pk)
    check_owner(request.user, output.job)
    return output
