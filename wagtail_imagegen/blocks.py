"""StreamField blocks whose image chooser has Generate and Edit with AI.

Both store exactly what Wagtail's blocks store and deconstruct as them, so switching a StreamField to
these needs no migration, and removing the app later breaks none.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property
from wagtail.images.blocks import ImageBlock, ImageChooserBlock

from .widgets import ImageGenChooser


class ImageGenChooserBlock(ImageChooserBlock):
    """ImageChooserBlock with the AI chooser."""

    @cached_property
    def widget(self) -> ImageGenChooser:
        return ImageGenChooser()

    def deconstruct(self) -> tuple[str, tuple, dict[str, Any]]:
        _path, args, kwargs = super().deconstruct()
        return "wagtail.images.blocks.ImageChooserBlock", args, kwargs


class ImageGenImageBlock(ImageBlock):
    """ImageBlock (an image with alt text, or marked decorative) with the AI chooser."""

    def __init__(self, required: bool = True, **kwargs: Any) -> None:
        super().__init__(required=required, **kwargs)
        image = ImageGenChooserBlock(required=required)
        image.set_name("image")
        self.child_blocks["image"] = image
