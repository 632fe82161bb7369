"""Variants in Wagtail's API: the v2 images endpoint and field, and API v3's schema through `api_fields`."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import path
from wagtail.api import APIField
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.images import get_image_model

from wagtail_imagegen.api import ImagesAPIViewSet, VariantRenditionsField

from .test_variants import add_variant, fresh, without_rendition_cache

pytestmark = pytest.mark.django_db

api_router = WagtailAPIRouter("imagegen_test_api")
api_router.register_endpoint("images", ImagesAPIViewSet)
urlpatterns = [path("api/v2/", api_router.urls)]
SPEC = ImagesAPIViewSet.variants_filter_spec


def rendition(image: Any, spec: str = SPEC) -> dict[str, Any]:
    found = image.get_rendition(spec)
    return {"url": found.url, "full_url": found.full_url, "width": found.width, "height": found.height,
            "alt": found.alt}


@pytest.fixture
def hero_and_variants(make_image: Any) -> tuple[Any, Any, Any]:
    hero = make_image("Hero", 64, 48)
    return hero, add_variant(make_image, hero, "winter"), add_variant(make_image, hero, "summer")


def test_field_gives_each_label_a_rendition(hero_and_variants):
    hero, winter, summer = hero_and_variants
    field = VariantRenditionsField("fill-20x20")
    assert field.to_representation(fresh(hero)) == {"summer": rendition(summer, "fill-20x20"),
                                                     "winter": rendition(winter, "fill-20x20")}
    assert VariantRenditionsField("fill-20x20", labels=["winter"]).to_representation(fresh(hero)) == {
        "winter": rendition(winter, "fill-20x20")}
    assert field.to_representation(fresh(winter)) == field.to_representation(fresh(hero))  # its source's


@pytest.mark.urls("tests.test_api")
def test_v2_detail_has_variants(client, hero_and_variants):
    hero, winter, summer = hero_and_variants
    data = client.get(f"/api/v2/images/{hero.pk}/").json()
    assert data["variants"] == {"summer": rendition(summer), "winter": rendition(winter)}
    assert data["title"] == "Hero"


@pytest.mark.urls("tests.test_api")
@pytest.mark.parametrize("count", [3, 9])  # up to 18 images: one page of 20
def test_v2_listing_loads_variants_in_constant_queries(client, make_image, settings, count,
                                                       django_assert_num_queries):
    without_rendition_cache(settings)
    sources = [make_image(f"Product {index}", 32, 24) for index in range(count)]
    for source in sources:
        add_variant(make_image, source, "winter").get_rendition(SPEC)
    url = "/api/v2/images/?fields=-tags,variants&limit=20"  # without tags: Wagtail loads them image by image
    with django_assert_num_queries(5 + 2):  # Wagtail's five (below), then variants and their renditions
        items = client.get(url).json()["items"]
    assert len(items) == 2 * count
    by_id = {item["id"]: item["variants"] for item in items}
    assert all(set(by_id[source.pk]) == {"winter"} for source in sources)


@pytest.mark.urls("tests.test_api")
def test_v2_listing_without_the_field_does_not_load_variants(client, hero_and_variants, django_assert_num_queries):
    # Wagtail's own: collection restrictions (twice), the count, the images, the site (for detail_url).
    with django_assert_num_queries(5):
        items = client.get("/api/v2/images/?fields=-tags").json()["items"]
    assert "variants" not in items[0]


def test_v3_image_schema_takes_the_field_from_a_custom_image_models_api_fields(hero_and_variants, monkeypatch, rf):
    pytest.importorskip("wagtail.api.v3", reason="API v3 is new in Wagtail 8")
    from wagtail.images.api.v3.schemas import build_image_schemas

    hero, winter, summer = hero_and_variants
    # What a custom image model declares; Wagtail's own Image model cannot be given api_fields.
    monkeypatch.setattr(get_image_model(), "api_fields",
                        [APIField("variants", serializer=VariantRenditionsField("fill-20x20"))], raising=False)
    read_schema = build_image_schemas()[0]
    assert read_schema.model_json_schema()["properties"]["variants"]["anyOf"][0]["type"] == "object"
    data = read_schema.model_validate(fresh(hero), context={"request": rf.get("/")}).model_dump()
    assert data["variants"] == {"summer": rendition(summer, "fill-20x20"), "winter": rendition(winter, "fill-20x20")}
