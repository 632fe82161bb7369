"""The Jinja2 extension: the same variant filter, variants and disclosure as the Django template tags."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from wagtail_imagegen.models import COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA

from .test_variants import add_variant, fresh

pytest.importorskip("jinja2")
pytestmark = pytest.mark.django_db


@pytest.fixture
def engine() -> Any:
    from django.template.backends.jinja2 import Jinja2

    return Jinja2({"NAME": "jinja2", "DIRS": [], "APP_DIRS": False, "OPTIONS": {"extensions": [
        "wagtail.jinja2tags.core", "wagtail.images.jinja2tags.images", "wagtail_imagegen.jinja2tags.imagegen",
    ]}})


def render(engine: Any, source: str, **context: Any) -> str:
    return engine.from_string(source).render(context)


@pytest.fixture
def hero_and_winter(make_image: Any) -> tuple[Any, Any]:
    hero = make_image("Hero", 64, 48)
    return hero, add_variant(make_image, hero, "winter")


def test_variant_filter_with_image(engine, hero_and_winter):
    hero, winter = hero_and_winter
    html = render(engine, '{{ image(hero|variant("winter"), "fill-40x30") }}', hero=fresh(hero))
    assert f'src="{winter.get_rendition("fill-40x30").url}"' in html
    html = render(engine, '{{ image(hero|variant("summer"), "fill-40x30") }}', hero=fresh(hero))
    assert f'src="{hero.get_rendition("fill-40x30").url}"' in html


def test_variant_filter_with_srcset_image_and_picture(engine, hero_and_winter):
    hero, winter = hero_and_winter
    html = render(engine, '{{ srcset_image(hero|variant("winter"), "width-{20,40}", sizes="100vw") }}',
                  hero=fresh(hero))
    assert f"{winter.get_rendition('width-40').url} 40w" in html
    html = render(engine, '{{ picture(hero|variant("winter"), "format-{webp,png}|width-40") }}', hero=fresh(hero))
    assert winter.get_rendition("format-webp|width-40").url in html


def test_none_renders_nothing(engine):
    html = render(engine, '{{ image(hero|variant("winter"), "fill-40x30") }}{{ ai_disclosure(hero) }}'
                  "{{ image_variants(hero)|length }}", hero=None)
    assert html == "0"


def test_image_variants_and_ai_disclosure(engine, hero_and_winter):
    hero, winter = hero_and_winter
    html = render(engine, "{% for label, image in image_variants(hero).items() %}{{ label }}={{ image.pk }}"
                  "{% endfor %}", hero=fresh(hero))
    assert html == f"winter={winter.pk}"
    html = render(engine, '{{ ai_disclosure(hero|variant("winter")) }}', hero=fresh(hero))
    assert ">AI-modified</span>" in html  # not escaped twice
    [script] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json.loads(script)["digitalSourceType"] == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    assert render(engine, "{{ ai_disclosure(hero) }}", hero=fresh(hero)) == ""
    html = render(engine, '{{ ai_disclosure(image(hero|variant("winter"), "fill-40x30")) }}', hero=fresh(hero))
    assert f'"contentUrl": "{winter.get_rendition("fill-40x30").full_url}"' in html
