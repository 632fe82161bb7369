"""The live cost estimate beside the submit button, recomputed as the options change."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from ..forms import ImageGenForm
from ..governance import format_cost
from .access import generate_permission_required


@require_POST
@generate_permission_required
def estimate(request: Any) -> JsonResponse:
    """jobs.estimate_cost for the form as it stands (POST: a prompt can be 32,000 characters)."""
    cost = ImageGenForm(request.POST).estimate()
    return JsonResponse({"cost": str(cost), "label": format_cost(cost)})
