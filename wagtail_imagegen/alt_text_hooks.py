"""Admin hooks for alt text: the section on the image edit page and the bulk action. (An editor's save of the
image, which makes a machine-written description theirs, is seen in Wagtail's audit log: describing.py.)"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.staticfiles import versioned_static

from .views.describe import DescribeBulkAction

hooks.register("register_bulk_action", DescribeBulkAction)


@hooks.register("insert_editor_js")
def alt_text_section_script() -> str:
    """On Wagtail's image edit page, library/alt-text.js's controller adds the alt text section (as variants.js
    adds the Variants section); elsewhere it does nothing."""
    return format_html(
        '<div hidden data-controller="imagegen-alt-text" data-imagegen-alt-text-edit-url-value="{}" '
        'data-imagegen-alt-text-section-url-value="{}" data-imagegen-alt-text-catalog-url-value="{}"></div>'
        '<script type="module" src="{}"></script>',
        reverse("wagtailimages:edit", args=[0]), reverse("wagtail_imagegen:alt_text", args=[0]),
        reverse("wagtail_imagegen:jsi18n"), versioned_static("wagtail_imagegen/library/alt-text.js"))
