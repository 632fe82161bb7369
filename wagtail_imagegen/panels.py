"""ImageGenChooserPanel: a FieldPanel for an image ForeignKey with Generate and Edit with AI."""

from __future__ import annotations

from typing import Any

from wagtail.admin.panels import FieldPanel

from .widgets import ImageGenChooser


class ImageGenChooserPanel(FieldPanel):
    """`ImageGenChooserPanel("hero_image")`: a FieldPanel whose widget is ImageGenChooser unless you pass one."""

    def __init__(self, field_name: str, *args: Any, widget: Any = None, **kwargs: Any) -> None:
        super().__init__(field_name, *args, widget=widget or ImageGenChooser, **kwargs)
