"""The health endpoint for load balancers and process managers (counts and ages only, no login), and the
same summary on the admin dashboard for superusers."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.admin.site_summary import SummaryItem

from .. import health as queue_health
from .. import permissions


@never_cache
@require_GET
def health(request: Any) -> JsonResponse:
    """200 with the figures while the queue is healthy, 503 with the same figures and the problems if not."""
    report = queue_health.check()
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)


class HealthSummaryItem(SummaryItem):
    """The dashboard line for superusers: is the queue healthy, and if not, why."""

    order = 260
    template_name = "wagtail_imagegen/health/summary.html"

    def is_shown(self) -> bool:
        return permissions.can_see_queue_health(self.request.user)

    def get_context_data(self, parent_context: Any) -> dict[str, Any]:
        return {"health": queue_health.check()}
