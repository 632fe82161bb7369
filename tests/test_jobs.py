"""The service API: everything is validated before anything is queued."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import Collection

from wagtail_imagegen import catalog, jobs, pricing
from wagtail_imagegen.models import GenerationJob, GenerationOutput, ImageVariant

from . import brokers
from .conftest import mask_bytes

pytestmark = pytest.mark.django_db


def field_errors(exc_info: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc_info.value.message_dict


def test_generation_is_queued_with_its_estimate_and_enqueued_only_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = jobs.submit_generation("A red bicycle", size="1536x1024", quality="high", n=2)
        assert brokers.queued() == 0  # nothing is sent before the transaction commits
    assert len(callbacks) == 1
    assert brokers.queued() == 1
    assert job.status == GenerationJob.Status.QUEUED
    assert job.params == {"size": "1536x1024", "quality": "high", "background": "auto", "output_format": "png",
                          "n": 2, "moderation": "auto", "partial_images": 0}
    assert job.model == "gpt-image-2.6-flare"  # the default provider's current draft model
    expected = pricing.estimate_cost(catalog.model_spec(job.model), job.spec, prompt="A red bicycle")
    assert job.estimated_cost == expected
    # Two high-quality 1536×1024 images: 2 × 1,372 output tokens (2.6 counts high as 2.5 does) at $30/M.
    assert Decimal("0.08") < expected < Decimal("0.09")


def test_an_invalid_request_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("x" * 32_001)
    assert "at most 32,000" in field_errors(exc_info)["prompt"][0]
    assert GenerationJob.objects.count() == 0
    assert brokers.queued() == 0


def test_invariants_count_towards_the_prompt_limit():
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("x" * 31_990, invariants="the logo and the lighting")
    assert "prompt" in field_errors(exc_info)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"size": "1254x836"}, "size"),
        ({"n": 11}, "n"),
        ({"n": 0}, "n"),
        ({"quality": "ultra"}, "quality"),
        ({"output_format": "gif"}, "output_format"),
        ({"background": "transparent", "output_format": "jpeg"}, "background"),
        ({"output_compression": 80}, "output_compression"),
        ({"output_format": "webp", "output_compression": 101}, "output_compression"),
        ({"input_fidelity": "high"}, "input_fidelity"),
        ({"moderation": "none"}, "moderation"),
        ({"partial_images": 4}, "partial_images"),
    ],
)
def test_options_outside_the_models_capabilities_are_refused_by_field(options, field):
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A lighthouse", **options)
    assert list(field_errors(exc_info)) == [field]


def test_custom_sizes_follow_gpt_image_2_rules(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        "default": {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"]["default"], "MODEL": "gpt-image-2"}}}
    assert jobs.submit_generation("A lighthouse", size="2048x1152").params["size"] == "2048x1152"
    with pytest.raises(ValidationError, match="multiples of 16"):
        jobs.submit_generation("A lighthouse", size="1000x1000")
    with pytest.raises(ValidationError, match="at most 3 times as wide"):
        jobs.submit_generation("A lighthouse", size="3840x1264")
    with pytest.raises(ValidationError, match="at least 655,360 pixels"):
        jobs.submit_generation("A lighthouse", size="512x512")
    with pytest.raises(ValidationError, match="longer edge may be at most 3,840"):
        jobs.submit_generation("A lighthouse", size="4000x1008")
    with pytest.raises(ValidationError, match="offers the qualities low, medium, high, auto"):
        jobs.submit_generation("A lighthouse", quality="xhigh")
    # Transparency is in preview on gpt-image-2: accepted.
    assert jobs.submit_generation("A lighthouse", background="transparent").params["background"] == "transparent"


def test_input_fidelity_is_refused_for_models_without_it(settings, make_image):
    # A gateway that still serves gpt-image-1-mini says so with its own date in the provider's MODELS.
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        "default": {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"]["default"], "MODEL": "gpt-image-1-mini",
                    "MODELS": [{"NAME": "gpt-image-1-mini", "SHUTDOWN": "2027-06-30"}]}}}
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_edit([make_image()], "Make it blue", input_fidelity="high")
    assert list(field_errors(exc_info)) == ["input_fidelity"]


def test_input_fidelity_on_a_model_that_always_keeps_it_high(make_image):
    assert jobs.submit_edit([make_image()], "Make it blue", input_fidelity="high").params["input_fidelity"] == "high"
    with pytest.raises(ValidationError, match="always keeps input images at high fidelity"):
        jobs.submit_edit([make_image()], "Make it blue", input_fidelity="low")


def test_unknown_provider_alias_is_a_field_error():
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A lighthouse", provider="nope")
    assert "nope" in field_errors(exc_info)["provider"][0]


def test_edit_records_ordered_sources_mask_and_variant_source(make_image):
    first, second = make_image("Chair", 800, 600), make_image("Lamp", 300, 300)
    job = jobs.submit_edit([first, second], "Put the lamp next to the chair", mask=mask_bytes(800, 600),
                           label="with-lamp", input_fidelity="high")
    assert job.kind == GenerationJob.Kind.EDIT
    assert job.source_images() == [first, second]
    assert job.mask.name.startswith("imagegen/masks/")
    assert job.variant_source == first
    assert job.collection == first.collection
    assert job.label == "with-lamp"


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (b"not an image at all", "not an image"),
        ("jpeg", "must be a PNG"),
        ("opaque", "needs transparency"),
        ("small", "is 400×300 pixels but the image is 800×600"),
    ],
)
def test_bad_masks_are_refused_with_a_clear_message(make_image, mask, message):
    from .conftest import image_bytes

    data = {
        "jpeg": image_bytes(800, 600, "JPEG"),
        "opaque": image_bytes(800, 600, "PNG"),
        "small": mask_bytes(400, 300),
    }.get(mask, mask)
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_edit([make_image(width=800, height=600)], "Fix it", mask=data)
    assert message in field_errors(exc_info)["mask"][0]


def test_more_images_than_the_model_takes_are_refused(make_image):
    image = make_image()
    with pytest.raises(ValidationError, match="between 1 and 16 images"):
        jobs.submit_edit([image] * 17, "Combine them")


def test_a_non_raster_source_is_refused(make_image):
    image = make_image()
    image.file.name = "original_images/drawing.svg"
    with pytest.raises(ValidationError, match="not a raster image"):
        jobs.submit_edit([image], "Colour it in")


def test_users_without_the_permission_are_refused(django_user_model):
    user = django_user_model.objects.create_user("visitor")
    with pytest.raises(PermissionDenied):
        jobs.submit_generation("A lighthouse", user=user)
    assert GenerationJob.objects.count() == 0


def test_editors_may_only_use_images_they_may_choose(editor, make_image):
    editorial = Collection.objects.get(name="Editorial")
    allowed, hidden = make_image("Allowed", collection=editorial), make_image("Hidden")
    assert jobs.submit_edit([allowed], "Brighter", user=editor).requested_by == editor
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_edit([allowed, hidden], "Combine", user=editor)
    assert "Hidden" in field_errors(exc_info)["images"][0]


def test_editors_may_only_generate_into_collections_they_may_add_to(editor):
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A lighthouse", user=editor)  # the root collection
    assert "Root" in field_errors(exc_info)["collection"][0]
    assert jobs.submit_generation("A lighthouse", user=editor, collection="Editorial").collection.name == "Editorial"


def test_an_edit_goes_to_its_source_collection_only_where_the_editor_may_add_images(editor, editorial, make_image,
                                                                                    settings):
    from .conftest import grant

    products = Collection.get_first_root_node().add_child(name="Products")
    grant(editor, collections={products: ("choose",)}, group_name="Products choosers")
    mug = make_image("Red mug", collection=products)
    # Wagtail lets this editor choose the mug but add nothing to Products: the edit goes to COLLECTION.
    assert jobs.submit_edit([mug], "Brighter", user=editor).collection == editorial
    assert jobs.submit_edit([make_image("Poster", collection=editorial)], "Brighter", user=editor).collection \
        == editorial
    assert jobs.submit_edit([mug], "Brighter").collection == products  # the CLI acts for the site
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "COLLECTION": "Products"}  # closed to them too
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_edit([mug], "Brighter", user=editor)
    assert "collection" in field_errors(exc_info)


def test_generations_go_to_the_configured_collection(settings):
    products = Collection.get_first_root_node().add_child(name="Products")
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "COLLECTION": "Products"}
    assert jobs.submit_generation("A mug").collection == products
    with pytest.raises(ValidationError, match="no collection"):
        jobs.submit_generation("A mug", collection="Nowhere")


def test_the_prompt_sent_repeats_the_invariants():
    job = jobs.submit_generation("A red mug on a table", invariants="the logo and the lighting")
    assert job.sent_prompt == "A red mug on a table\n\nKeep unchanged: the logo and the lighting"


def make_candidate(job: GenerationJob, image) -> GenerationOutput:
    return GenerationOutput.objects.create(job=job, index=0, image=image, mime_type="image/png", sha256="0" * 64,
                                           digital_source_type=job.digital_source_type)


def test_refine_carries_invariants_parameters_and_variant_source(make_image):
    source, candidate_image = make_image("Hero"), make_image("Candidate")
    job = jobs.submit_edit([source], "Winter scene", invariants="the house", label="winter", quality="low")
    refined = jobs.refine(make_candidate(job, candidate_image), "More snow")
    assert refined.source_images() == [candidate_image]
    assert refined.variant_source == source
    assert refined.label == "winter"
    assert refined.params["quality"] == "low"
    assert refined.sent_prompt == "More snow\n\nKeep unchanged: the house"
    assert refined.parent_output.job == job


def test_keeping_with_a_label_replaces_the_current_variant(make_image):
    source = make_image("Hero")
    job = jobs.submit_edit([source], "Winter scene", label="winter")
    first = jobs.keep(make_candidate(job, make_image("One")))
    assert first.state == GenerationOutput.State.KEPT
    second_job = jobs.submit_edit([source], "Winter scene, dusk", label="winter")
    jobs.keep(make_candidate(second_job, make_image("Two")))
    variant = ImageVariant.objects.get(source=source, label="winter")
    assert variant.image.title == "Two"
    assert ImageVariant.objects.count() == 1


def test_a_generation_cannot_become_a_variant(make_image):
    job = jobs.submit_generation("A mug")
    with pytest.raises(ValidationError, match="Only edits"):
        jobs.keep(make_candidate(job, make_image()), label="winter")


def test_discard_and_cancel(make_image):
    job = jobs.submit_generation("A mug")
    output = jobs.discard(make_candidate(job, make_image()))
    assert output.state == GenerationOutput.State.DISCARDED
    assert jobs.cancel(job) is True
    assert job.status == GenerationJob.Status.CANCELLED
    assert jobs.cancel(job) is False
