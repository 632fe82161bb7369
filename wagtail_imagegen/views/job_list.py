"""AI images > Jobs (views/viewsets.py): the generation jobs the user may see (permissions.py), filtered by
status, kind, user and date, 50 a page; a restricted job is listed without its prompt.

The page costs the same number of queries for 5 jobs or 50 (tests/test_views.py asserts it).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.forms import CheckboxSelectMultiple
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, MultipleUserFilter, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import IndexView

from .. import permissions
from ..governance import format_cost
from ..models import GenerationJob


class JobFilterSet(WagtailFilterSet):
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=GenerationJob.Status.choices, widget=CheckboxSelectMultiple
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=GenerationJob.Kind.choices, empty_label=_("All"))
    requested_by = MultipleUserFilter(label=_("User"), widget=CheckboxSelectMultiple)
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = GenerationJob
        fields = ["status", "kind", "requested_by", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        User = get_user_model()
        requesters = permissions.visible_jobs(self.request.user).exclude(requested_by=None).values("requested_by")
        self.filters["requested_by"].extra["queryset"] = User.objects.filter(pk__in=requesters).order_by(
            User.USERNAME_FIELD
        )


def prompt_or_restricted(job: GenerationJob) -> str:
    return str(_("Restricted")) if job.restricted else Truncator(job.prompt).chars(80)


def user_name(job: GenerationJob) -> str:
    user = job.requested_by
    return (user.get_full_name() or user.get_username()) if user else ""


class JobIndexView(IndexView):
    model = GenerationJob
    permission_policy = permissions.job_policy
    # Own jobs for generate_image, everyone's for view_all_jobs: the rows are permissions.visible_jobs.
    any_permission_required = ["view"]
    filterset_class = JobFilterSet
    page_title = _("AI image jobs")
    header_icon = "imagegen-wand"
    paginate_by = 50
    default_ordering = "-created_at"
    columns = [
        TitleColumn("prompt", label=_("Prompt"), url_name="wagtail_imagegen:jobs:inspect",
                    accessor=prompt_or_restricted),
        Column("kind", label=_("Kind"), accessor="get_kind_display"),
        StatusTagColumn("status", label=_("Status"), accessor="get_status_display",
                        primary=lambda job: job.status == GenerationJob.Status.SUCCEEDED),
        Column("output_count", label=_("Images")),
        Column("requested_by", label=_("User"), accessor=user_name),
        Column("model", label=_("Model")),
        Column("cost", label=_("Cost"), accessor=lambda job: format_cost(job.cost)),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]

    def get_base_queryset(self) -> QuerySet:
        return (permissions.visible_jobs(self.request.user).select_related("requested_by")
                .annotate(output_count=Count("outputs")))
