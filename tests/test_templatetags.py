"""The template tags: `|variant` with Wagtail's image tags, `image_variants`, `ai_disclosure`, query counts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model

from wagtail_imagegen import variants
from wagtail_imagegen.models import COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, TRAINED_ALGORITHMIC_MEDIA, GenerationJob

from .test_variants import add_output, add_variant, fresh, without_rendition_cache

pytestmark = pytest.mark.django_db
SPEC = "fill-32x24"
PLAIN = "{% for item in images %}{% image item " + SPEC + " %}{% endfor %}"
VARIANT = '{% for item in images %}{% image item|variant:"winter" ' + SPEC + " %}{% endfor %}"


def render(source: str, **context: Any) -> str:
    return Template("{% load wagtailimages_tags wagtail_imagegen_tags %}" + source).render(Context(context))


def srcs(html: str) -> list[str]:
    return re.findall(r'src="([^"]+)"', html)


def json_ld(html: str) -> dict[str, Any]:
    [script] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(script)


@pytest.fixture
def hero_and_winter(make_image: Any) -> tuple[Any, Any]:
    hero = make_image("Hero", 64, 48)
    return hero, add_variant(make_image, hero, "winter")


def test_image_tag_renders_the_variant(hero_and_winter):
    hero, winter = hero_and_winter
    html = render('{% image page.hero|variant:"winter" fill-40x30 %}', page={"hero": fresh(hero)})
    assert srcs(html) == [winter.get_rendition("fill-40x30").url]


def test_image_tag_falls_back_to_the_source_without_a_variant(hero_and_winter):
    hero, _winter = hero_and_winter
    html = render('{% image hero|variant:"summer" fill-40x30 %}', hero=fresh(hero))
    assert srcs(html) == [hero.get_rendition("fill-40x30").url]


def test_none_renders_nothing():
    assert render('{% image hero|variant:"winter" fill-40x30 %}{{ hero|variant:"winter" }}', hero=None) == "None"
    assert render('{% image_variants hero as found %}{{ found|length }}{% ai_disclosure hero %}', hero=None) == "0"


def test_label_can_be_a_variable(hero_and_winter):
    hero, winter = hero_and_winter
    html = render("{% image hero|variant:season fill-40x30 %}", hero=fresh(hero), season="winter")
    assert srcs(html) == [winter.get_rendition("fill-40x30").url]


def test_variant_composes_with_srcset_image_and_picture(hero_and_winter):
    hero, winter = hero_and_winter
    html = render('{% srcset_image hero|variant:"winter" width-{20,40} sizes="100vw" %}', hero=fresh(hero))
    for width in (20, 40):
        assert f"{winter.get_rendition(f'width-{width}').url} {width}w" in html
    html = render('{% picture hero|variant:"winter" format-{webp,png} width-40 %}', hero=fresh(hero))
    assert html.startswith("<picture>") and 'type="image/webp"' in html
    for spec in ("format-webp|width-40", "format-png|width-40"):
        assert winter.get_rendition(spec).url in html


def test_image_variants_lists_current_variants_by_label(hero_and_winter, make_image):
    hero, winter = hero_and_winter
    summer = add_variant(make_image, hero, "summer")
    html = render("{% image_variants hero as found %}{% for label, image in found.items %}{{ label }}={{ image.pk }};"
                  "{% endfor %}", hero=fresh(hero))
    assert html == f"summer={summer.pk};winter={winter.pk};"


def test_ai_disclosure_of_a_generated_image(make_image):
    image = make_image("A red bicycle", 64, 48)
    add_output(image, kind=GenerationJob.Kind.GENERATE)
    html = render("{% ai_disclosure image %}", image=fresh(image))
    assert '<span class="imagegen-disclosure" role="note"' in html and ">AI-generated</span>" in html
    assert json_ld(html) == {"@context": "https://schema.org", "@type": "ImageObject", "name": "A red bicycle",
                             "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA}


def test_ai_disclosure_of_a_rendition_of_a_variant_names_its_url(hero_and_winter):
    hero, winter = hero_and_winter
    html = render('{% image hero|variant:"winter" fill-40x30 as photo %}{% ai_disclosure photo %}', hero=fresh(hero))
    assert ">AI-modified</span>" in html
    data = json_ld(html)
    assert data["digitalSourceType"] == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    assert data["contentUrl"] == winter.get_rendition("fill-40x30").full_url


def test_ai_disclosure_renders_nothing_for_an_image_not_made_with_ai(hero_and_winter):
    hero, _winter = hero_and_winter
    assert render("{% ai_disclosure hero %}", hero=fresh(hero)) == ""
    assert render('{% image hero|variant:"summer" fill-40x30 as photo %}{% ai_disclosure photo %}',
                  hero=fresh(hero)) == ""


def test_ai_disclosure_title_cannot_break_out_of_the_script(make_image):
    image = make_image("Hero", 64, 48)
    add_output(image)
    image.title = '</script><script>alert("x")</script>'
    image.save()
    html = render("{% ai_disclosure image %}", image=fresh(image))
    assert html.count("</script>") == 1 and "<script>alert" not in html
    assert json_ld(html)["name"] == image.title


# ---------------------------------------------------------------------------------------------------
# Queries: a constant number whatever the number of images
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def images(request: Any, make_image: Any, settings: Any) -> list[Any]:
    """`request.param` sources; every other one has a winter variant. Renditions exist, the cache is off."""
    without_rendition_cache(settings)
    sources = [make_image(f"Product {index}", 32, 24) for index in range(request.param)]
    winter = [add_variant(make_image, source, "winter") for source in sources[1::2]]
    for image in (*sources, *winter):
        image.get_rendition(SPEC)
    return sources


def queryset(images: list[Any]) -> Any:
    return get_image_model().objects.filter(pk__in=[image.pk for image in images]).order_by("pk")


def expected_srcs(images: list[Any]) -> list[str]:
    return [variants.variant_or_source(fresh(image), "winter").get_rendition(SPEC).url for image in images]


@pytest.mark.parametrize("images", [5, 50], indirect=True)
def test_plain_image_tag_baseline_with_prefetched_renditions(images, django_assert_num_queries):
    with django_assert_num_queries(2):  # the images, their renditions
        html = render(PLAIN, images=queryset(images).prefetch_renditions(SPEC))
    assert len(srcs(html)) == len(images)


@pytest.mark.parametrize("images", [5, 50], indirect=True)
def test_variant_filter_with_prefetch_costs_one_query_more_than_the_baseline(images, django_assert_num_queries):
    with django_assert_num_queries(3):  # the images, their variants, the renditions of what is shown
        html = render(VARIANT, images=variants.prefetch_variants(queryset(images), ["winter"], renditions=[SPEC]))
    assert srcs(html) == expected_srcs(images)


@pytest.mark.parametrize("images", [5, 50], indirect=True)
def test_disclosing_every_image_costs_one_query_more(images, django_assert_num_queries):
    page = ('{% for item in images %}{% image item|variant:"winter" ' + SPEC + ' as photo %}'
            "{% ai_disclosure photo %}{% endfor %}")
    with django_assert_num_queries(4):  # + the disclosure data of all of them
        html = render(page, images=variants.prefetch_variants(queryset(images), ["winter"], renditions=[SPEC]))
    assert html.count("AI-modified") == len(images) // 2


@pytest.mark.parametrize("images", [5, 50], indirect=True)
def test_variant_filter_on_other_instances_is_answered_by_the_request_cache(images, django_assert_num_queries):
    with variants.request_cache():
        variants.prefetch_variants(queryset(images), ["winter"], renditions=[SPEC])  # e.g. in the view
        others = list(queryset(images).prefetch_renditions(SPEC))  # e.g. a StreamField's own image query
        with django_assert_num_queries(0):
            html = render(VARIANT, images=others)
    assert srcs(html) == expected_srcs(images)


@pytest.mark.parametrize("images", [5], indirect=True)
def test_without_prefetching_every_image_costs_a_query(images):
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        render(VARIANT, images=list(queryset(images).prefetch_renditions(SPEC)))
    assert len(queries) == 2 + len(images) + len(images) // 2  # + a lookup each, + each variant's renditions
