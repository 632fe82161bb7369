"""Jinja2 equivalents of the template tags: add `wagtail_imagegen.jinja2tags.imagegen` to the extensions.

    {{ image(page.hero|variant("winter"), "fill-800x600") }}
    {% set variants = image_variants(page.hero) %}
    {{ ai_disclosure(image) }}
"""

from __future__ import annotations

from jinja2 import Environment
from jinja2.ext import Extension

from . import variants
from .templatetags.wagtail_imagegen_tags import render_disclosure


class ImagegenExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.environment.filters["variant"] = variants.variant_or_source
        self.environment.globals.update({
            "image_variants": variants.current_variants,
            "ai_disclosure": render_disclosure,
        })


# The name to put in a Jinja2 backend's "extensions" option, as Wagtail's own extensions do.
imagegen = ImagegenExtension
