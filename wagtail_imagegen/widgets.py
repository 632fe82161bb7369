"""ImageGenChooser: Wagtail's image chooser plus Generate and Edit with AI, for panels, blocks and any form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from wagtail.admin.staticfiles import versioned_static
from wagtail.images.widgets import AdminImageChooser

from . import conf


def imagegen_media() -> forms.Media:
    """The studio's scripts and styles; config.js comes first and only loads for users who may generate."""
    return forms.Media(
        js=[
            reverse("wagtail_imagegen:config"),
            reverse("wagtail_imagegen:jsi18n"),
            forms.Script(versioned_static("wagtail_imagegen/js/imagegen.js"), type="module"),
        ],
        css={"all": [versioned_static("wagtail_imagegen/css/imagegen.css")]},
    )


class ImageGenChooser(AdminImageChooser):
    """The image chooser with Generate and Edit with AI (enabled once an image is chosen).

    The buttons stay hidden unless the user has the generate_image permission. "Use this" on a candidate
    sets the field through the chooser's own script, exactly as choosing from the library does.
    """

    actions_template_name = "wagtail_imagegen/widgets/imagegen_chooser.html"

    def render_html(self, name: str, value_data: dict[str, Any] | None, attrs: dict[str, Any]) -> SafeString:
        # Wagtail renders StreamField blocks from this too (with "__ID__" as the id), so it must stand alone.
        return render_to_string(self.actions_template_name, {
            "chooser_html": super().render_html(name, value_data, attrs),
            "id": attrs["id"],
            "has_value": bool(value_data),
        })

    @property
    def media(self) -> forms.Media:
        return super().media + imagegen_media()


def image_field_override(field: Any) -> dict[str, Any]:
    """The form field options for a ForeignKey to the image model, read when each form class is built."""
    widget = ImageGenChooser if conf.setting("REPLACE_IMAGE_CHOOSER") else AdminImageChooser
    return {"widget": widget}
