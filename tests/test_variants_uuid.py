"""Variants of a custom image model keyed by UUID: keys go to the database and come back as the ORM's would.

Run with `--ds tests.settings_uuid_image` (scripts/test does); under other settings it is skipped. Only the
variant lookups are tested this way: Wagtail itself does not take UUID image keys everywhere (its API v2
routes and taggit's integer object ids).
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from wagtail.images import get_image_model

from wagtail_imagegen import variants
from wagtail_imagegen.models import ImageVariant

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(getattr(settings, "WAGTAILIMAGES_IMAGE_MODEL", "") != "testapp.UUIDImage",
                       reason="needs --ds tests.settings_uuid_image (a UUID-keyed image model)"),
]


def fresh(image):
    return get_image_model().objects.get(pk=image.pk)


def test_a_uuid_keyed_image_finds_its_variant_and_prefetches_it(make_image, django_assert_num_queries):
    hero, plain = make_image("Hero", 64, 48), make_image("Plain", 64, 48)
    winter = make_image("Hero (winter)", 64, 48)
    ImageVariant.objects.create(source=hero, label="winter", image=winter)
    assert isinstance(hero.pk, uuid.UUID)
    assert variants.variant_or_source(fresh(hero), "winter") == winter
    found = variants.prefetch_variants([fresh(hero), fresh(plain), fresh(winter)], ["winter"])
    with django_assert_num_queries(0):
        shown = [variants.variant_or_source(image, "winter") for image in found]
    assert shown == [winter, found[1], found[2]]  # a variant's variant for its own label is itself
    assert variants.current_variants(found[0]) == {"winter": winter}
