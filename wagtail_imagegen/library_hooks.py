"""Admin hooks for the image library: variants on the image page, bulk actions, the dashboard's summaries."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.staticfiles import versioned_static

from . import reports
from .views import library
from .views import remake as remake_views
from .views import reports as report_views
from .views.health import HealthSummaryItem

hooks.register("register_bulk_action", library.GenerateVariantsBulkAction)
hooks.register("register_bulk_action", remake_views.RemakeBulkAction)


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
        reverse("wagtailimages:edit", args=[0]), reverse("wagtail_imagegen:image_variants", args=[0]),
        versioned_static("wagtail_imagegen/library/variants.js"))


@hooks.register("register_log_actions")
def register_log_actions(actions: Any) -> None:
    reports.register_log_actions(actions)

