"""Reports > AI image usage (per month and model, and per user for view_all_jobs, with Wagtail's XLSX/CSV
export), and the dashboard's summary line: jobs running, and spend this month against the budget.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.ui.tables import Column, NumberColumn
from wagtail.admin.views.reports import ReportView

from .. import governance, permissions, reports
from ..models import GenerationJob


class UsageFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    model = django_filters.CharFilter(label=_("Model"), lookup_expr="iexact")

    class Meta:
        model = GenerationJob
        fields = ["created_at", "model"]


class RowPaginator(WagtailPaginator):
    """Counts the report's rows as rows (not as the jobs they sum up)."""

    verbose_name = _("row")
    verbose_name_plural = _("rows")


class UsageReportView(ReportView):
    page_title = _("AI image usage")
    header_icon = "imagegen-wand"
    template_name = "wagtailadmin/reports/base_report.html"
    results_template_name = "wagtail_imagegen/reports/usage_results.html"
    permission_policy = permissions.job_policy
    # Totals for view_generationjob; rows per user for view_all_jobs (permissions.can_see_usage_per_user).
    permission_required = "view_usage"
    filterset_class = UsageFilterSet
    verbose_name = RowPaginator.verbose_name
    verbose_name_plural = RowPaginator.verbose_name_plural
    paginator_class = RowPaginator
    export_filename = "ai-image-usage"
    list_export = ["month", "user", "model", "jobs", "images", "tokens", "cost"]
    export_headings = {"month": _("Month"), "user": _("User"), "model": _("Model"), "jobs": _("Jobs"),
                       "images": _("Images"), "tokens": _("Tokens"), "cost": _("Cost (USD)")}
    columns = [
        Column("month_label", label=_("Month")),
        Column("user", label=_("User")),
        Column("model", label=_("Model")),
        NumberColumn("jobs", label=_("Jobs")),
        NumberColumn("images", label=_("Images")),
        NumberColumn("tokens", label=_("Tokens")),
        Column("cost_label", label=_("Cost")),
    ]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        self.per_user = permissions.can_see_usage_per_user(request.user)
        if not self.per_user:  # totals by month and model; who spent it is for view_all_jobs
            self.columns = [column for column in self.columns if column.name != "user"]
            self.list_export = [field for field in self.list_export if field != "user"]
        return super().dispatch(request, *args, **kwargs)

    def get_filtered_queryset(self) -> Any:
        # Filters apply to the jobs; the rows then group what is left.
        jobs = self.filter_queryset(permissions.usage_jobs(self.request.user))
        self.totals = reports.usage_totals(jobs)
        return reports.usage_rows(jobs, per_user=self.per_user)

    def decorate_paginated_queryset(self, rows: Any) -> Any:
        # In place, like Wagtail's own reports: the table holds these same row dicts.
        users = get_user_model().objects.in_bulk({row.get("requested_by") for row in rows} - {None})
        for row in rows:
            decorate_row(row, users.get(row.get("requested_by")), per_user=self.per_user)
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["totals"] = {**self.totals, "cost_label": governance.format_cost(self.totals["cost"])}
        return context


def user_label(user: Any, per_user: bool) -> str:
    if not per_user:
        return _("Everyone")
    return (user.get_full_name() or user.get_username()) if user else _("(no user: scripts)")


def decorate_row(row: dict[str, Any], user: Any, per_user: bool = True) -> None:
    """A report row as shown and exported: names for ids, the month as YYYY-MM, the cost in dollars."""
    cost = row["cost"] or Decimal(0)
    row.update({
        "user": user_label(user, per_user),
        "month_label": date_format(row["month"], "YEAR_MONTH_FORMAT"),
        "month": row["month"].strftime("%Y-%m"),
        "cost": cost.quantize(Decimal("0.000001")),
        "cost_label": governance.format_cost(cost),
    })


class UsageSummaryItem(SummaryItem):
    """The dashboard line: AI jobs running, and this month's spend against the budget."""

    order = 250
    template_name = "wagtail_imagegen/reports/summary.html"

    def is_shown(self) -> bool:
        return permissions.can_generate(self.request.user) or permissions.can_view_usage(self.request.user)

    def get_context_data(self, parent_context: Any) -> dict[str, Any]:
        # Those who may see everyone's usage get the site's figures; editors their own.
        user = self.request.user
        site_wide = permissions.can_view_usage(user)

        budgets = {budget.key: budget for budget in governance.budgets_for(user)}
        budget = budgets.get("site" if site_wide else "user")
        return {
            "running": permissions.usage_jobs(user, GenerationJob.objects.active()).count(),
            "spent": governance.format_cost(governance.total_spend(permissions.usage_jobs(user,
                                                                                         governance.this_month()))),
            "budget": governance.format_usd(budget.limit) if budget else None,
            "site_wide": site_wide,
            "url": reverse("wagtail_imagegen:usage:index" if site_wide else "wagtail_imagegen:batches:index"),
        }
