"""The live estimate beside the submit button, recomputed as the options change: the cost, the cost of each
quality tier, the size the choices make, and what the model would refuse (validated live)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from ..forms import ImageGenForm
from ..governance import format_cost


@require_POST
def estimate(request: Any) -> JsonResponse:
    """POST, since a prompt can be 32,000 characters."""
    form = ImageGenForm(request.POST)
    try:
        cost, compare = form.estimate(), form.compare_estimate()
        quality = form.fields.get("quality")  # a model without qualities (Gemini) has no such field
        tiers = {value: f"{label} · {format_cost(form.estimate(quality=value))}"
                 for value, label in (quality.choices if quality else ())}
    except ValidationError as error:  # e.g. a model retired since the window opened
        return JsonResponse({"errors": error.message_dict}, status=400)
    # With a second service, the estimate covers both jobs.
    return JsonResponse({"cost": str(cost + compare), "label": format_cost(cost + compare),
                         "compare_cost": str(compare), "size": form.spec().size, "qualities": tiers,
                         "problems": form.problems()})
