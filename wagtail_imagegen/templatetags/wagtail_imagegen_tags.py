"""Template tags for variants and AI disclosure: `{% load wagtail_imagegen_tags %}`. The logic is in variants.py."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from wagtail.images.models import AbstractRendition

from .. import variants

register = template.Library()


@register.filter
def variant(image: Any, label: Any) -> Any:
    """`{% image page.hero|variant:"winter" fill-800x600 %}`: the current variant, else the image itself."""
    return variants.variant_or_source(image, label)


@register.simple_tag
def image_variants(image: Any) -> dict[str, Any]:
    """`{% image_variants page.hero as variants %}`: every current variant of the image, by label."""
    return variants.current_variants(image)


@register.simple_tag
def ai_disclosure(image_or_rendition: Any) -> str:
    """`{% ai_disclosure image %}`: an "AI-generated"/"AI-modified" label and JSON-LD; nothing for other images."""
    return render_disclosure(image_or_rendition)


def render_disclosure(image_or_rendition: Any) -> str:
    """The disclosure markup (a rendition's URL becomes the JSON-LD's contentUrl); "" when not AI-made."""
    if isinstance(image_or_rendition, AbstractRendition):
        image, url = image_or_rendition.image, image_or_rendition.full_url
    else:
        image, url = image_or_rendition, ""
    disclosure = variants.ai_disclosure(image)
    if disclosure is None:
        return ""
    return render_to_string("wagtail_imagegen/tags/ai_disclosure.html", {
        "disclosure": disclosure, "json_ld": disclosure.json_ld(url),
    })
