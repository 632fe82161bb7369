"""Bulk variants: a batch is checked as a whole, created in a constant number of queries, and reviewed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.models import Collection

from wagtail_imagegen import bulk, jobs, tasks
from wagtail_imagegen.catalog import JobSpec
from wagtail_imagegen.models import GenerationBatch, GenerationJob, GenerationOutput, ImageVariant, JobSourceImage

from . import brokers

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
RECIPE = bulk.Recipe(prompt="Put the product on a snowy background", label="winter",
                     invariants="the product and its logo", spec=JobSpec(quality="low", size="1024x1024"))


def catalog(make_image: Any, count: int, collection: Collection | None = None, prefix: str = "Item") -> list[Any]:
    """`count` library images sharing one real file (quick to make in the hundreds)."""
    first = make_image(f"{prefix} 0", 64, 48, collection=collection)
    image_model = get_image_model()
    image_model.objects.bulk_create(
        image_model(title=f"{prefix} {i}", file=first.file.name, width=64, height=48, collection=first.collection,
                    file_size=first.file_size, file_hash=first.file_hash)
        for i in range(1, count)
    )
    return list(image_model.objects.filter(title__startswith=prefix).order_by("pk"))


def run_batch(batch: GenerationBatch) -> None:
    for job_id in batch.jobs.filter(status=Status.QUEUED).values_list("pk", flat=True):
        tasks.run_job(str(job_id))


def test_a_batch_has_one_job_per_image_with_the_recipe_enqueued_on_commit(make_image, admin_user,
                                                                          django_capture_on_commit_callbacks):
    images = catalog(make_image, 3)
    with django_capture_on_commit_callbacks(execute=True):
        batch = bulk.submit_batch(images, RECIPE, user=admin_user)
    assert brokers.queued() == 3
    assert batch.label == "winter"
    assert batch.params == {"provider": "default", "quality": "low", "size": "1024x1024", "background": "auto",
                            "output_format": "png", "n": 1, "moderation": "auto"}
    batch_jobs = list(batch.jobs.order_by("variant_source"))
    assert [job.variant_source for job in batch_jobs] == images
    assert {(job.kind, job.label, job.params["n"], job.params["quality"]) for job in batch_jobs} == {
        (GenerationJob.Kind.EDIT, "winter", 1, "low")}
    assert batch_jobs[0].sent_prompt == jobs.compose_prompt(RECIPE.prompt, RECIPE.invariants)
    assert list(JobSourceImage.objects.filter(job__batch=batch).values_list("image", flat=True).order_by("image")) == [
        image.pk for image in images]


def test_the_plan_costs_what_the_single_edits_would(make_image):
    images = [make_image("Wide", 1600, 900), make_image("Small", 300, 300)]
    plan = bulk.plan_batch(images, RECIPE)
    singles = [jobs.estimate_cost(RECIPE.prompt, images=[image], invariants=RECIPE.invariants, quality="low",
                                  size="1024x1024", partial_images=0) for image in images]
    assert plan.estimated_cost == sum(singles)
    assert singles[0] != singles[1]  # the input image's size counts
    assert GenerationJob.objects.count() == 0  # planning saves nothing


def test_submitting_a_thousand_images_takes_bulk_inserts_not_a_query_per_image(make_image, admin_user):
    small, large = catalog(make_image, 10, prefix="Small"), catalog(make_image, 1000, prefix="Large")
    counts = []
    for images in (small, large):
        with CaptureQueriesContext(connection) as queries:
            bulk.submit_batch(images, RECIPE, user=admin_user)  # wake-ups are sent after commit
        counts.append(len(queries))
    # Only the INSERTs grow, in chunks the database's parameter limit allows (28 jobs a query on SQLite).
    assert counts[0] <= 8 and counts[1] <= counts[0] + 1000 / 20, counts
    assert GenerationJob.objects.count() == 1010


def test_images_the_editor_may_not_use_are_left_out(make_image, editor):
    editorial = Collection.objects.get(name="Editorial")
    allowed = make_image("Allowed", collection=editorial)
    forbidden = make_image("Forbidden")
    plan = bulk.plan_batch([allowed, forbidden], RECIPE, user=editor)
    assert [job.variant_source for job in plan.jobs] == [allowed]
    assert [image for image, _why in plan.skipped] == [forbidden]
    with pytest.raises(ValidationError) as exc_info:
        bulk.submit_batch([forbidden], RECIPE, user=editor)
    assert "None of the chosen images" in exc_info.value.message_dict["images"][0]


def test_variants_of_images_in_a_collection_closed_to_adding_go_to_the_generation_collection(
        make_image, editor, editorial):
    from .conftest import grant

    products = Collection.get_first_root_node().add_child(name="Products")
    grant(editor, collections={products: ("choose",)}, group_name="Products choosers")
    mug, poster = make_image("Red mug", collection=products), make_image("Poster", collection=editorial)
    plan = bulk.plan_batch([mug, poster], RECIPE, user=editor)
    assert [(job.variant_source, job.collection) for job in plan.jobs] == [(mug, editorial), (poster, editorial)]
    assert [job.collection for job in bulk.plan_batch([mug], RECIPE).jobs] == [products]


def test_non_raster_images_are_left_out_with_the_reason(make_image):
    good, bad = make_image("Photo"), make_image("Drawing")
    bad.file.name = "original_images/drawing.svg"
    plan = bulk.plan_batch([good, bad], RECIPE)
    assert plan.skipped == [(bad, "“Drawing” is not a raster image (PNG, JPEG or WebP).")]


@pytest.mark.parametrize(("recipe", "field"), [
    (bulk.Recipe(prompt="", label="winter"), "prompt"),
    (bulk.Recipe(prompt="Snow", label=""), "label"),
    (bulk.Recipe(prompt="Snow", label="Winter Sale"), "label"),
    (bulk.Recipe(prompt="Snow", label="winter", spec=JobSpec(quality="ultra")), "quality"),
    (bulk.Recipe(prompt="Snow", label="winter", spec=JobSpec(quality="xhigh", model="gpt-image-2")), "quality"),
    (bulk.Recipe(prompt="Snow", label="winter", spec=JobSpec(model="gpt-image-1.5")), "model"),
])
def test_an_invalid_recipe_is_refused_field_by_field(make_image, recipe, field):
    with pytest.raises(ValidationError) as exc_info:
        bulk.submit_batch([make_image()], recipe)
    assert field in exc_info.value.message_dict
    assert GenerationBatch.objects.count() == 0


def test_a_recipe_makes_one_candidate_an_image_whatever_it_asks(make_image):
    plan = bulk.plan_batch([make_image()], bulk.Recipe(prompt="Snow", label="winter", spec=JobSpec(n=4)))
    assert [job.params["n"] for job in plan.jobs] == [1]


def test_a_user_without_the_permission_cannot_submit_a_batch(make_image, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")  # noqa: S106
    with pytest.raises(PermissionDenied):
        bulk.submit_batch([make_image()], RECIPE, user=user)


@pytest.mark.usefixtures("use_fake_api")
def test_approving_makes_the_current_variant_and_rejecting_discards(make_image, admin_user):
    first, second = make_image("First", 96, 96), make_image("Second", 96, 96)
    batch = bulk.submit_batch([first, second], RECIPE, user=admin_user)
    run_batch(batch)
    approved = bulk.approve(GenerationOutput.objects.get(job__variant_source=first), user=admin_user)
    rejected = bulk.reject(GenerationOutput.objects.get(job__variant_source=second), user=admin_user)
    assert approved.state == GenerationOutput.State.KEPT and approved.kept_by == admin_user
    assert rejected.state == GenerationOutput.State.DISCARDED
    variant = ImageVariant.objects.get()
    assert (variant.source, variant.label, variant.image) == (first, "winter", approved.image)
    assert bulk.review_counts(batch) == {"candidate": 0, "kept": 1, "discarded": 1}


@pytest.mark.usefixtures("use_fake_api")
def test_approve_all_keeps_every_candidate_not_yet_reviewed(make_image, admin_user):
    images = catalog(make_image, 4)
    batch = bulk.submit_batch(images, RECIPE, user=admin_user)
    run_batch(batch)
    bulk.reject(GenerationOutput.objects.get(job__variant_source=images[0]), user=admin_user)
    assert bulk.approve_all(batch, user=admin_user) == 3
    assert bulk.approve_all(batch, user=admin_user) == 0
    assert set(ImageVariant.objects.values_list("source", flat=True)) == {image.pk for image in images[1:]}


@pytest.mark.usefixtures("use_fake_api")
def test_counts_follow_the_jobs_and_a_retry_replaces_the_failed_job(make_image, admin_user, fake_api):
    images = catalog(make_image, 3)
    batch = bulk.submit_batch(images, RECIPE, user=admin_user)
    fake_api.inject("moderation_blocked")  # a permanent failure for the first job run
    run_batch(batch)
    counts = bulk.batch_counts(batch)
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["queued"]) == (3, 2, 1, 0)
    assert counts["cost"] == sum(job.actual_cost or 0 for job in batch.jobs.all())
    assert bulk.retry_failed(batch, user=admin_user) == 1
    counts = bulk.batch_counts(batch)
    assert (counts["total"], counts["failed"], counts["queued"]) == (3, 0, 1)
    run_batch(batch)
    assert bulk.batch_counts(batch)["succeeded"] == 3
    assert batch.jobs.count() == 4  # the failed attempt stays, for the audit and the cost
    assert bulk.retry_failed(batch, user=admin_user) == 0


def test_a_retry_is_checked_like_a_new_submission(make_image, admin_user, settings):
    batch = bulk.submit_batch(catalog(make_image, 2), RECIPE, user=admin_user)
    batch.jobs.update(status=Status.FAILED)
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 0}}
    with pytest.raises(ValidationError) as exc_info:
        bulk.retry_failed(batch, user=admin_user)
    assert exc_info.value.code == "budget_exceeded"
    assert batch.jobs.count() == 2


def test_a_batch_over_budget_is_refused_whole(make_image, admin_user, settings):
    images = catalog(make_image, 20)
    one = bulk.plan_batch(images[:1], RECIPE).estimated_cost
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": float(one * 10)}}
    with pytest.raises(ValidationError) as exc_info:
        bulk.submit_batch(images, RECIPE, user=admin_user)
    assert "budget" in exc_info.value.messages[0]
    assert GenerationBatch.objects.count() == GenerationJob.objects.count() == 0
    bulk.submit_batch(images[:10], RECIPE, user=admin_user)  # exactly what is left
    assert GenerationJob.objects.count() == 10


# --- the command line --------------------------------------------------------------------------------


def bulk_command(*args: str) -> dict[str, Any]:
    from io import StringIO

    out = StringIO()
    call_command("imagegen", "bulk", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_cli_dry_run_shows_the_selection_and_estimate_and_queues_nothing(make_image):
    catalog(make_image, 5, collection=Collection.get_first_root_node().add_child(name="Catalog"))
    make_image("Elsewhere")
    data = bulk_command("--collection", "Catalog", "--prompt", "Snow", "--label", "winter", "--quality", "low",
                        "--dry-run")
    assert data["dry_run"] is True and data["images"] == 5 and data["batch"] is None
    assert Decimal(data["estimated_cost_usd"]) > 0
    assert GenerationJob.objects.count() == 0


def test_cli_submits_by_tag_and_by_id(make_image):
    tagged, other = make_image("Tagged"), make_image("Other")
    tagged.tags.add("spring")
    data = bulk_command("--tag", "spring", "--prompt", "Add blossoms", "--label", "spring")
    batch = GenerationBatch.objects.get(pk=data["batch"])
    assert [job.variant_source for job in batch.jobs.all()] == [tagged]
    data = bulk_command(str(tagged.pk), str(other.pk), "--prompt", "Add blossoms", "--label", "spring",
                        "--fidelity", "high", "--invariants", "the logo")
    assert data["images"] == 2
    assert GenerationJob.objects.filter(batch=data["batch"], params__input_fidelity="high").count() == 2


def test_cli_refusals_are_command_errors(make_image, settings):
    make_image()
    with pytest.raises(CommandError, match="label"):
        bulk_command("--collection", "Root", "--prompt", "Snow", "--label", "Not A Slug")
    with pytest.raises(CommandError, match="No image matches"):
        bulk_command("--tag", "none", "--prompt", "Snow", "--label", "winter")
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 0}}
    with pytest.raises(CommandError, match="budget"):
        bulk_command("--collection", "Root", "--prompt", "Snow", "--label", "winter")
