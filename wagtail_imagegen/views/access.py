"""The views' door: a thin wrapper over the permission policy (wagtail_imagegen.permissions), which decides."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.views.defaults import permission_denied

from .. import permissions


def policy_required(allowed: Callable[[Any], bool]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """403 for users the policy's `allowed(user)` refuses, and for any PermissionDenied in the view.

    A 403 rather than Wagtail's redirect to the dashboard: the scripts must see a refusal as one.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                if not allowed(request.user):
                    raise PermissionDenied
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return permission_denied(request, exc)

        return wrapped

    return decorator


# Generating, and acting on one's own jobs.
generate_permission_required = policy_required(permissions.can_generate)
# Looking at jobs and batches: one's own, or everyone's for reviewers.
view_permission_required = policy_required(permissions.can_view_jobs)
