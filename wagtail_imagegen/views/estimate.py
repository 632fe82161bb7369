"""The live estimate beside the submit button, recomputed as the options change: the cost, the cost of each
quality tier, the size the choices make, and what the model would refuse (validated live)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from ..forms import ImageGenForm
from ..governance import format_cost
from .access import generate_permission_required


@require_POST
@generate_permission_required
def estimate(request: Any) -> JsonResponse:
    """POST, since a prompt can be 32,000 characters."""
    form = ImageGenForm(request.POST)
    try:
        cost = form.estimate()
        tiers = {quality: f"{label} · {format_cost(form.estimate(quality=quality))}"
                 for quality, label in form.fields["quality"].choices}
    except ValidationError as error:  # e.g. a model retired since the window opened
        return JsonResponse({"errors": error.message_dict}, status=400)
    return JsonResponse({"cost": str(cost), "label": format_cost(cost), "size": form.spec().size,
                         "qualities": tiers, "problems": form.problems()})
