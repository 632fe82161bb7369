"""variants.py: finding the current variant of an image, the fallback to the source, caching, disclosure."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import JsonResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from wagtail.images import get_image_model

from wagtail_imagegen import jobs, tasks, variants
from wagtail_imagegen.models import (
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    GenerationJob,
    GenerationOutput,
    ImageVariant,
)

pytestmark = pytest.mark.django_db


def add_output(image: Any, *, kind: str = GenerationJob.Kind.EDIT, source: Any = None,
               label: str = "") -> GenerationOutput:
    """Record `image` as a finished job's output, as the worker does (without calling an API)."""
    job = GenerationJob.objects.create(kind=kind, prompt="Make it snow", provider="default", model="gpt-image-1.5",
                                       status=GenerationJob.Status.SUCCEEDED, variant_source=source, label=label)
    return GenerationOutput.objects.create(job=job, image=image, mime_type="image/png", sha256="0" * 64,
                                           digital_source_type=job.digital_source_type)


def add_variant(make_image: Any, source: Any, label: str) -> Any:
    """An AI edit of `source`, kept as its `label` variant through the service API."""
    image = make_image(f"{source.title} ({label})", 64, 48)
    jobs.keep(add_output(image, source=source, label=label))
    return image


def without_rendition_cache(settings: Any) -> None:
    """Renditions come from the database (or a prefetch) only: no test sees another's cached renditions."""
    settings.CACHES = {**settings.CACHES, "renditions": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def fresh(image: Any) -> Any:
    return get_image_model().objects.get(pk=image.pk)


def test_variant_is_found_and_missing_label_falls_back_to_the_source(make_image):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    assert variants.variant_or_source(fresh(hero), "winter") == winter
    unchanged = fresh(hero)
    assert variants.variant_or_source(unchanged, "summer") is unchanged


@pytest.mark.parametrize("label", ["o'brien", "winter') OR 1=1 --", '"; DROP TABLE x; --', "été"])
def test_any_label_is_a_value_not_sql(make_image, label):
    hero = make_image("Hero", 64, 48)
    add_variant(make_image, hero, "winter")
    image = fresh(hero)
    assert variants.variant_or_source(image, label) is image
    assert variants.prefetch_variants([fresh(hero)], [label, "winter"])[0] == hero


def test_nothing_that_is_not_a_saved_image_raises(make_image):
    hero = make_image("Hero", 64, 48)
    assert variants.variant_or_source(None, "winter") is None
    assert variants.variant_or_source("a string", "winter") == "a string"
    assert variants.variant_or_source(hero, "") is hero
    assert variants.variant_or_source(hero, None) is hero
    assert variants.current_variants(None) == {}
    assert variants.ai_disclosure(None) is None
    assert variants.ai_disclosure(get_image_model()(title="Unsaved")) is None


def test_variants_of_a_variant_are_looked_up_on_its_own_source(make_image):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    summer = add_variant(make_image, hero, "summer")
    assert variants.variant_or_source(fresh(winter), "summer") == summer
    assert variants.variant_or_source(fresh(winter), "winter") == winter
    unchanged = fresh(winter)
    assert variants.variant_or_source(unchanged, "autumn") is unchanged  # the image given, not its source
    assert variants.current_variants(fresh(summer)) == {"summer": summer, "winter": winter}


def test_a_variant_whose_image_was_deleted_falls_back_to_the_source(make_image):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    with variants.request_cache():
        assert variants.variant_or_source(fresh(hero), "winter") == winter
        winter.delete()
        again = fresh(hero)
        assert variants.variant_or_source(again, "winter") is again


def test_a_variant_kept_during_a_request_is_seen_at_once(make_image):
    hero = make_image("Hero", 64, 48)
    with variants.request_cache():
        unchanged = fresh(hero)
        assert variants.variant_or_source(unchanged, "winter") is unchanged
        winter = add_variant(make_image, hero, "winter")
        assert variants.variant_or_source(fresh(hero), "winter") == winter


def test_current_variants_by_label(make_image):
    hero = make_image("Hero", 64, 48)
    assert variants.current_variants(hero) == {}
    summer = add_variant(make_image, hero, "summer")
    winter = add_variant(make_image, hero, "winter")
    found = variants.current_variants(fresh(hero))
    assert list(found) == ["summer", "winter"] and found == {"summer": summer, "winter": winter}


def test_prefetch_answers_its_labels_without_queries_and_other_labels_with_one(make_image, django_assert_num_queries):
    hero, plain = make_image("Hero", 64, 48), make_image("Plain", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    summer = add_variant(make_image, hero, "summer")
    images = variants.prefetch_variants(get_image_model().objects.filter(pk__in=[hero.pk, plain.pk]).order_by("pk"),
                                        ["winter"])
    with django_assert_num_queries(0):
        assert [variants.variant_or_source(image, "winter") for image in images] == [winter, images[1]]
    with django_assert_num_queries(0):  # a variant comes with its disclosure data
        assert variants.ai_disclosure(variants.variant_or_source(images[0], "winter")).digital_source_type
    with django_assert_num_queries(1):  # the batch's: for the whole batch, at the first disclosure
        assert variants.ai_disclosure(images[1]) is None
        assert variants.ai_disclosure(images[0]) is None
    with django_assert_num_queries(1):
        assert variants.variant_or_source(images[0], "summer") == summer
    with django_assert_num_queries(0):  # both labels are known now
        assert variants.variant_or_source(images[0], "winter") == winter


def test_prefetching_variant_images_takes_one_more_query_for_their_sources_variants(make_image,
                                                                                  django_assert_num_queries):
    hero = make_image("Hero", 64, 48)
    winter, summer = add_variant(make_image, hero, "winter"), add_variant(make_image, hero, "summer")
    images = [fresh(hero), fresh(winter)]
    with django_assert_num_queries(1):  # the source is in the batch
        variants.prefetch_variants(images, ["winter", "summer"])
    alone = [fresh(winter)]
    with django_assert_num_queries(2):  # it is not
        variants.prefetch_variants(alone, ["winter", "summer"])
    with django_assert_num_queries(0):
        assert [variants.variant_or_source(image, "summer") for image in (*images, *alone)] == [summer] * 3
        assert variants.variant_or_source(alone[0], "winter") is alone[0]


def test_a_variant_knows_its_disclosure_from_the_newest_output_that_is_it(make_image, django_assert_num_queries):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    add_output(winter, kind=GenerationJob.Kind.GENERATE)  # a newer output that is the same image
    plain = make_image("Plain", 64, 48)
    summer = make_image("Plain (summer)", 64, 48)
    ImageVariant.objects.create(source=plain, label="summer", image=summer)  # no job made it
    found = variants.prefetch_variants([fresh(hero), fresh(plain)], ["winter", "summer"])
    with django_assert_num_queries(0):
        assert variants.ai_disclosure(variants.variant_or_source(found[0], "winter")).digital_source_type == (
            TRAINED_ALGORITHMIC_MEDIA)
        assert variants.ai_disclosure(variants.variant_or_source(found[1], "summer")) is None


def test_prefetch_accepts_lists_with_none_and_returns_them_unchanged(make_image):
    hero = make_image("Hero", 64, 48)
    items = [None, hero]
    assert variants.prefetch_variants(items, "winter") == items
    assert variants.prefetch_variants([], "winter") == []


def test_prefetch_without_labels_knows_every_label(make_image, django_assert_num_queries):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    [image] = variants.prefetch_variants([fresh(hero)])
    with django_assert_num_queries(0):
        assert variants.current_variants(image) == {"winter": winter}
        assert variants.variant_or_source(image, "summer") is image


def test_prefetch_fetches_the_renditions_of_the_images_and_their_variants(make_image, settings,
                                                                         django_assert_num_queries):
    without_rendition_cache(settings)
    hero, plain = make_image("Hero", 64, 48), make_image("Plain", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    for image in (plain, winter):
        image.get_renditions("width-20", "width-40")
    images = variants.prefetch_variants([fresh(hero), fresh(plain)], ["winter"], renditions=["width-{20,40}"])
    with django_assert_num_queries(0):
        for image in images:
            shown = variants.variant_or_source(image, "winter")
            assert shown.get_rendition("width-40").width == 40
            assert shown.get_rendition("width-20").width == 20


def test_prefetch_with_no_label_fetches_the_renditions_of_the_images(make_image, settings,
                                                                     django_assert_num_queries):
    without_rendition_cache(settings)
    hero = make_image("Hero", 64, 48)
    add_variant(make_image, hero, "winter")
    hero.get_rendition("width-20")
    [image] = variants.prefetch_variants([fresh(hero)], (), renditions=["width-20"])
    with django_assert_num_queries(0):
        assert variants.variant_or_source(image, "").get_rendition("width-20").width == 20


def two_lookups(request: Any) -> JsonResponse:
    """Two instances of one image, looked up in the same request."""
    first, second = (get_image_model().objects.get(pk=request.GET["pk"]) for _ in range(2))
    with CaptureQueriesContext(connection) as queries:
        found = [variants.variant_or_source(image, "winter").pk for image in (first, second)]
    return JsonResponse({"found": found, "queries": len(queries)})


urlpatterns = [path("two-lookups/", two_lookups)]


@pytest.mark.urls("tests.test_variants")
def test_request_cache_shares_lookups_between_instances_only_during_a_request(make_image, client,
                                                                              django_assert_num_queries):
    hero = make_image("Hero", 64, 48)
    winter = add_variant(make_image, hero, "winter")
    assert client.get("/two-lookups/", {"pk": hero.pk}).json() == {"found": [winter.pk, winter.pk], "queries": 1}
    first, second = fresh(hero), fresh(hero)
    with django_assert_num_queries(2):  # the request is over: nothing is shared any more
        assert variants.variant_or_source(first, "winter") == variants.variant_or_source(second, "winter")


def test_outside_a_request_an_instance_still_remembers_its_own_lookups(make_image, django_assert_num_queries):
    hero = make_image("Hero", 64, 48)
    image = fresh(hero)
    with django_assert_num_queries(1):
        for _ in range(3):
            assert variants.variant_or_source(image, "winter") is image


def test_disclosure_names_the_iptc_digital_source_type(make_image):
    generated, edited, photo = (make_image(title, 64, 48) for title in ("Generated", "Edited", "Photo"))
    add_output(generated, kind=GenerationJob.Kind.GENERATE)
    add_output(edited)
    assert variants.ai_disclosure(photo) is None
    disclosure = variants.ai_disclosure(generated)
    assert disclosure.digital_source_type == TRAINED_ALGORITHMIC_MEDIA and disclosure.label == "AI-generated"
    disclosure = variants.ai_disclosure(edited)
    assert disclosure.digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    assert disclosure.label == "AI-modified"


def test_json_ld_cannot_close_the_script_element(make_image):
    image = make_image("Hero", 64, 48)
    image.title = "</script><script>alert(1)</script> & co"
    json_ld = variants.Disclosure(image, TRAINED_ALGORITHMIC_MEDIA).json_ld("https://example.com/a.png?x=<")
    assert "<" not in json_ld and ">" not in json_ld and "&" not in json_ld
    import json

    assert json.loads(json_ld)["name"] == image.title


@pytest.mark.usefixtures("use_fake_api")
def test_kept_edit_from_a_real_job_becomes_the_variant_and_is_disclosed_as_ai_modified(make_image):
    hero = make_image("Hero", 256, 256)
    job = jobs.submit_edit([hero], "Make it a snowy winter scene", size="1024x1024", quality="low")
    tasks.run_job(str(job.pk))
    output = job.outputs.get()
    jobs.keep(output, label="winter")
    shown = variants.variant_or_source(fresh(hero), "winter")
    assert shown == output.image
    assert variants.ai_disclosure(shown).digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    assert variants.ai_disclosure(fresh(hero)) is None
