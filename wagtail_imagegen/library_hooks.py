"""Admin hooks for the image library: variants on the image page, bulk variants, usage report."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.staticfiles import versioned_static

from . import reports
from .views import batches, describe, library
from .views import remake as remake_views
from .views import reports as report_views
from .views.health import HealthSummaryItem

app_name = "wagtail_imagegen_library"
urlpatterns = [
    path("images/<int:image_id>/variants/", library.image_variants, name="image_variants"),
    path("images/<int:image_id>/alt-text/", describe.alt_text_section, name="alt_text"),
    path("images/<int:image_id>/describe/", describe.describe_image, name="describe_image"),
    path("batches/", batches.batch_index, name="batches"),
    path("batches/<uuid:pk>/", batches.batch_detail, name="batch"),
    path("batches/<uuid:pk>/grid/", batches.batch_grid, name="batch_grid"),
    path("batches/<uuid:pk>/status/", batches.batch_status, name="batch_status"),
    path("batches/<uuid:pk>/approve-all/", batches.batch_approve_all, name="batch_approve_all"),
    path("batches/<uuid:pk>/retry/", batches.batch_retry, name="batch_retry"),
    path("outputs/<int:pk>/approve/", batches.output_approve, name="output_approve"),
    path("outputs/<int:pk>/reject/", batches.output_reject, name="output_reject"),
    path("usage/", report_views.UsageReportView.as_view(), name="usage"),
    path("usage/results/", report_views.UsageReportView.as_view(results_only=True), name="usage_results"),
]


@hooks.register("register_admin_urls")
def register_library_urls() -> list:
    return [path("imagegen/library/", include((urlpatterns, app_name), namespace=app_name))]


hooks.register("register_bulk_action", library.GenerateVariantsBulkAction)
hooks.register("register_bulk_action", remake_views.RemakeBulkAction)


@hooks.register("register_imagegen_menu_item")
def register_batches_menu_item() -> MenuItem:
    return MenuItem(_("Batches"), reverse("wagtail_imagegen_library:batches"), name="imagegen-batches",
                           icon_name="image", order=300)


@hooks.register("register_reports_menu_item")
def register_usage_report_menu_item() -> MenuItem:
    return MenuItem(_("AI image usage"), reverse("wagtail_imagegen_library:usage"), name="imagegen-usage",
                         icon_name="imagegen-wand", order=1300)


@hooks.register("construct_homepage_summary_items")
def add_usage_summary_item(request: Any, items: list) -> None:
    items.append(report_views.UsageSummaryItem(request))
    items.append(HealthSummaryItem(request))


@hooks.register("insert_editor_js")
def variants_section_script() -> str:
    """On Wagtail's image edit page (7.4 and 8.x alike), library/variants.js's controller adds the Variants section."""
    return format_html(
        '<div hidden data-controller="imagegen-variants" data-imagegen-variants-edit-url-value="{}" '
        'data-imagegen-variants-section-url-value="{}" data-action="imagegen:kept@document->imagegen-variants#load">'
        '</div><script type="module" src="{}"></script>',
        reverse("wagtailimages:edit", args=[0]), reverse("wagtail_imagegen_library:image_variants", args=[0]),
        versioned_static("wagtail_imagegen/library/variants.js"))


@hooks.register("register_log_actions")
def register_log_actions(actions: Any) -> None:
    reports.register_log_actions(actions)


@hooks.register("register_permissions")
def register_usage_permission() -> Any:
    # "Can view generation job": the usage report and the site's spend on the dashboard.
    return Permission.objects.filter(content_type__app_label="wagtail_imagegen", codename="view_generationjob")
