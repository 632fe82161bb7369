"""The admin on Wagtail's viewsets: the "AI images" group (Generate, Jobs, Batches) and the usage report.

Every check asks permissions.py: the generic views through their `permission_policy` (job_policy,
batch_policy), the function views through `route()`. All URLs live in one namespace, "wagtail_imagegen"
(views/urls.py nests the viewsets' own), so editor_hooks.py registers the group itself rather than through
Wagtail's viewset registry, which would give each viewset a namespace of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.defaults import permission_denied
from django.views.i18n import JavaScriptCatalog
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .. import permissions
from ..models import GenerationBatch, GenerationJob
from . import (
    batches,
    candidates,
    config,
    estimate,
    generate,
    job_detail,
    job_list,
    job_status,
    modal,
    options,
    recent,
    reports,
    source_images,
)
from . import submit as submit_views


def route(pattern: str, view: Callable[..., Any], name: str, action: str | None = None,
          policy: permissions.OwnedJobsPermissionPolicy | None = None) -> URLPattern:
    """A function view behind the policy: `action` model-wide first, then the view's own questions.

    A refusal is a 403, not Wagtail's redirect to the dashboard: the scripts must see it as one.
    """

    @wraps(view)
    def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            if action:
                permissions.require(request.user, action, policy)
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return permission_denied(request, exc)

    return path(pattern, guarded, name=name)


def menu_item_shown_when(allowed: Callable[[Any], bool], name: str) -> type[MenuItem]:
    """A MenuItem class shown to the users the policy's `allowed(user)` lets in."""
    return type(name, (MenuItem,), {"is_shown": lambda self, request: allowed(request.user)})


class StudioViewSet(ViewSet):
    """AI images > Generate: the studio page, and the small endpoints its window calls (in the app's namespace)."""

    name = "studio"
    url_namespace = "wagtail_imagegen"
    icon = "imagegen-wand"
    menu_label = _("Generate")
    menu_name = "imagegen-generate"
    menu_item_class = menu_item_shown_when(permissions.can_generate, "GenerateMenuItem")

    @cached_property
    def menu_url(self) -> str:
        return reverse("wagtail_imagegen:generate")

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            route("generate/", generate.generate, "generate", "add"),
            route("config.js", config.config_js, "config", "add"),
            # The scripts' own strings (djangojs.po), merged into the gettext() of Wagtail's admin catalog.
            route("jsi18n/", JavaScriptCatalog.as_view(packages=["wagtail_imagegen"]), "jsi18n", "add"),
            route("modal/", modal.modal, "modal", "add"),
            route("estimate/", estimate.estimate, "estimate", "add"),
            route("options/", options.options, "options", "add"),
            route("images/", source_images.source_images, "source_images", "add"),
            route("jobs/new/", submit_views.submit, "submit", "add"),
            route("jobs/recent/", recent.recent, "recent", "add"),
            route("outputs/<int:pk>/use/", candidates.use_output, "output_use", "change"),
            route("outputs/<int:pk>/discard/", candidates.discard_output, "output_discard", "change"),
            route("outputs/<int:pk>/refine/", candidates.refine_output, "output_refine", "change"),
            route("outputs/<int:pk>/final/", candidates.final_quality, "output_final", "change"),
        ]


class JobsOrBatchesViewSet(ModelViewSet):
    """Index and inspect views only: jobs and batches are made by the studio and the bulk actions, and never
    edited or deleted in the admin."""

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    icon = "imagegen-wand"

    @property
    def url_namespace(self) -> str:
        return f"wagtail_imagegen:{self.name}"

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        missing = dict.fromkeys(["add_url_name", "edit_url_name", "delete_url_name", "history_url_name",
                                 "usage_url_name"])
        return super().get_common_view_kwargs(**missing, **kwargs)

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<uuid:pk>/", self.inspect_view, name="inspect"),
        ]

    @property
    def url_finder_class(self) -> type[ModelAdminURLFinder]:
        # Log entries and search link an object to its page: here the inspect view.
        return type("_ModelAdminURLFinder", (ModelAdminURLFinder,), {
            "permission_policy": self.permission_policy, "edit_url_name": self.get_url_name("inspect")})

    def get_permissions_to_register(self) -> QuerySet:
        return Permission.objects.none()


class JobViewSet(JobsOrBatchesViewSet):
    """AI images > Jobs: the list (JobFilterSet), a job's page, its status JSON and cancelling it."""

    model = GenerationJob
    name = "jobs"
    permission_policy = permissions.job_policy
    index_view_class = job_list.JobIndexView
    inspect_view_class = job_detail.JobInspectView
    filterset_class = job_list.JobFilterSet
    list_per_page = 50
    menu_label = _("Jobs")
    menu_name = "imagegen-jobs"
    menu_icon = "list-ul"

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            *super().get_urlpatterns(),
            route("<uuid:pk>/status/", job_status.job_status, "status", "view"),
            route("<uuid:pk>/cancel/", job_status.job_cancel, "cancel", "change"),
        ]

    def get_permissions_to_register(self) -> QuerySet:
        # In the group editor: generate_image, view_all_jobs, and view_generationjob (the usage report).
        return Permission.objects.filter(content_type__app_label=permissions.APP, codename__in=[
            permissions.GENERATE, permissions.VIEW_ALL, permissions.VIEW_USAGE])


class BatchViewSet(JobsOrBatchesViewSet):
    """AI images > Batches: the list, a batch's page with its review grid, and the review's actions."""

    model = GenerationBatch
    name = "batches"
    permission_policy = permissions.batch_policy
    index_view_class = batches.BatchIndexView
    inspect_view_class = batches.BatchInspectView
    list_per_page = 30
    menu_label = _("Batches")
    menu_name = "imagegen-batches"
    menu_icon = "image"

    def get_urlpatterns(self) -> list[URLPattern]:
        policy = permissions.batch_policy
        return [
            *super().get_urlpatterns(),
            route("<uuid:pk>/grid/", batches.batch_grid, "grid", "view", policy),
            route("<uuid:pk>/status/", batches.batch_status, "status", "view", policy),
            route("<uuid:pk>/approve-all/", batches.batch_approve_all, "approve_all", "change", policy),
            route("<uuid:pk>/retry/", batches.batch_retry, "retry", "change", policy),
            route("outputs/<int:pk>/approve/", batches.output_approve, "output_approve", "change", policy),
            route("outputs/<int:pk>/reject/", batches.output_reject, "output_reject", "change", policy),
        ]


class UsageReportViewSet(ViewSet):
    """Reports > AI image usage (UsageReportView asks the policy for "view_usage")."""

    name = "usage"
    url_namespace = "wagtail_imagegen:usage"
    icon = "imagegen-wand"
    menu_label = _("AI image usage")
    menu_name = "imagegen-usage"
    menu_hook = "register_reports_menu_item"
    menu_order = 1300
    menu_item_class = menu_item_shown_when(permissions.can_view_usage, "UsageReportMenuItem")

    @cached_property
    def menu_url(self) -> str:
        return reverse(self.get_url_name("index"))

    def get_urlpatterns(self) -> list[URLPattern]:
        names = {"index_url_name": self.get_url_name("index"),
                 "index_results_url_name": self.get_url_name("index_results")}
        return [
            path("", reports.UsageReportView.as_view(**names), name="index"),
            path("results/", reports.UsageReportView.as_view(**names, results_only=True), name="index_results"),
        ]


class AIImagesViewSetGroup(ViewSetGroup):
    menu_label = _("AI images")
    menu_name = "imagegen"
    menu_icon = "imagegen-wand"
    menu_order = 310
    items = (StudioViewSet, JobViewSet, BatchViewSet)

    def get_menu_item(self, order: int | None = None) -> SubmenuMenuItem:
        # Other modules add items with @hooks.register("register_imagegen_menu_item"), on 7.4 as on 8.x.
        menu = Menu(register_hook_name="register_imagegen_menu_item", items=self.get_submenu_items())
        return SubmenuMenuItem(self.menu_label, menu, name=self.menu_name, icon_name=self.menu_icon,
                               order=self.menu_order)


ai_images = AIImagesViewSetGroup()
studio_viewset, job_viewset, batch_viewset = ai_images.registerables
usage_viewset = UsageReportViewSet()
