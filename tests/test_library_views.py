"""The image library's admin views: the Variants section, the "Generate variants…" bulk action, batch pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Collection

from wagtail_imagegen import bulk, jobs, tasks
from wagtail_imagegen.catalog import JobSpec
from wagtail_imagegen.models import GenerationBatch, GenerationJob, GenerationOutput, ImageVariant

from .conftest import grant
from .test_bulk import RECIPE, catalog, run_batch

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
ACTION_URL = reverse("wagtail_bulk_action", args=["wagtailimages", "image", "imagegen_variants"])


def action_url(*images: Any, extra: str = "") -> str:
    return ACTION_URL + "?" + "&".join(f"id={image.pk}" for image in images) + extra


RECIPE_DATA = {"prompt": "Put the product on a snowy background", "label": "winter", "size": "1024x1024",
               "quality": "low", "background": "auto", "output_format": "png", "invariants": "the logo"}


@pytest.fixture
def finished_batch(make_image: Any, editor: Any, editorial: Collection, use_fake_api: Any) -> GenerationBatch:
    batch = bulk.submit_batch(catalog(make_image, 3, editorial), RECIPE, user=editor)
    run_batch(batch)
    return batch


# --- the Variants section ---------------------------------------------------------------------------


@pytest.mark.usefixtures("use_fake_api")
def test_variants_section_shows_each_variant_and_the_generations_that_used_the_image(make_image, editor_client,
                                                                                    editor, editorial):
    hero = make_image("Hero", 128, 128, collection=editorial, uploaded_by_user=editor)  # theirs to change
    job = jobs.submit_edit([hero], "Make it a snowy winter scene", label="winter", quality="low", user=editor)
    tasks.run_job(str(job.pk))
    jobs.keep(job.outputs.get(), user=editor)
    html = editor_client.get(reverse("wagtail_imagegen:image_variants", args=[hero.pk])).content.decode()
    assert 'data-imagegen-variant="winter"' in html
    assert "Make it a snowy winter scene" in html and "gpt-image-2.6-flare" in html
    assert "US$0." in html and f"<td>{editor.get_username()}</td>" in html  # its cost, and who kept it
    assert reverse("wagtail_imagegen:jobs:inspect", args=[job.pk]) in html
    assert 'data-controller="imagegen-launcher"' in html and f'image-id-value="{hero.pk}"' in html
    assert "Set the “winter” variant to" in html  # the history (Wagtail log entries)


def test_variants_section_needs_the_change_permission(make_image, client, editor):
    client.force_login(editor)
    image = make_image("Not yours")
    response = client.get(reverse("wagtail_imagegen:image_variants", args=[image.pk]))
    assert response.status_code == 403


def test_every_edit_page_gets_the_controller_that_adds_the_section_on_image_pages(make_image, editor_client,
                                                                                  editor, editorial):
    image = make_image(collection=editorial, uploaded_by_user=editor)
    html = editor_client.get(reverse("wagtailimages:edit", args=[image.pk])).content.decode()
    assert 'data-controller="imagegen-variants"' in html and "wagtail_imagegen/library/variants.js" in html
    section_url = reverse("wagtail_imagegen:image_variants", args=[0])
    assert f'data-imagegen-variants-section-url-value="{section_url}"' in html


# --- the bulk action ---------------------------------------------------------------------------------


def test_the_action_is_offered_in_the_image_listing(make_image, editor_client, editorial):
    make_image(collection=editorial)
    html = editor_client.get(reverse("wagtailimages:index")).content.decode()
    assert ACTION_URL in html and "Generate variants…" in html


def test_the_recipe_page_shows_the_estimate_of_the_whole_selection_before_submitting(make_image, editor_client,
                                                                                     editorial):
    images = catalog(make_image, 30, editorial)
    response = editor_client.get(action_url(*images))
    assert response.status_code == 200
    expected = bulk.estimate_batch(images, bulk.Recipe(prompt="", label="", spec=JobSpec(quality="low")))
    assert response.context["estimate"] == f"US${expected:,.3f}"
    assert len(response.context["sample"]) == 12 and response.context["more"] == 18
    assert GenerationJob.objects.count() == 0


def test_the_live_estimate_follows_the_recipe(make_image, editor_client, editorial):
    images = catalog(make_image, 5, editorial)
    low = editor_client.post(action_url(*images), {**RECIPE_DATA, "estimate": "1"}).json()
    high = editor_client.post(action_url(*images), {**RECIPE_DATA, "quality": "high", "estimate": "1"}).json()
    recipe = bulk.Recipe(prompt=RECIPE_DATA["prompt"], label="winter", invariants="the logo",
                         spec=JobSpec(size="1024x1024", quality="high", background="auto", output_format="png"))
    assert low["images"] == 5 and Decimal(high["cost"]) == bulk.estimate_batch(images, recipe) > Decimal(low["cost"])
    assert GenerationJob.objects.count() == 0


def test_submitting_the_recipe_creates_the_batch_and_opens_its_page(make_image, editor_client, editorial):
    images = catalog(make_image, 4, editorial)
    response = editor_client.post(action_url(*images, extra="&next=/admin/images/"), RECIPE_DATA)
    batch = GenerationBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("wagtail_imagegen:batches:inspect", args=[batch.pk])
    assert batch.jobs.count() == 4 and batch.label == "winter" and batch.params["quality"] == "low"


def test_select_all_in_the_listing_of_a_collection(make_image, editor_client, editor, editorial):
    catalog_collection = editorial.add_child(name="Catalog")
    grant(editor, collections={catalog_collection: ("change",)})  # Wagtail's listing: images one may change
    catalog(make_image, 40, collection=catalog_collection)
    make_image("Elsewhere", collection=editorial, uploaded_by_user=editor)  # theirs too, but not in the catalog
    response = editor_client.post(ACTION_URL + f"?id=all&childOf={catalog_collection.pk}", RECIPE_DATA)
    assert response.status_code == 302
    assert GenerationJob.objects.count() == 40


def test_a_budget_refusal_is_shown_on_the_recipe_form(make_image, editor_client, editorial, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 0.01}}
    response = editor_client.post(action_url(*catalog(make_image, 10, editorial)), RECIPE_DATA)
    assert response.status_code == 200
    assert "budget for AI images for the site" in response.content.decode()
    assert GenerationBatch.objects.count() == GenerationJob.objects.count() == 0


def test_an_invalid_recipe_stays_on_the_form(make_image, editor_client, editorial):
    response = editor_client.post(action_url(make_image(collection=editorial)), {**RECIPE_DATA, "label": "Not a slug!"})
    assert response.status_code == 200 and response.context["form"].errors["label"]
    assert GenerationBatch.objects.count() == 0


def test_editors_without_the_permission_cannot_open_the_recipe(make_image, client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)  # noqa: S106
    client.force_login(user)
    assert client.get(action_url(make_image())).status_code in (302, 403)


def test_images_the_editor_may_not_use_are_listed_apart(make_image, client, editor):
    client.force_login(editor)
    mine = make_image("Mine", collection=Collection.objects.get(name="Editorial"))
    other = make_image("Other")
    response = client.get(action_url(mine, other))
    assert [item["item"] for item in response.context["items"]] == [mine]
    assert [item["item"] for item in response.context["items_with_no_access"]] == [other]


# --- the batch page ----------------------------------------------------------------------------------


def test_batch_page_shows_counts_cost_and_the_review_grid(finished_batch, editor_client):
    response = editor_client.get(reverse("wagtail_imagegen:batches:inspect", args=[finished_batch.pk]))
    progress = response.context["progress"]
    assert (progress["total"], progress["succeeded"], progress["finished"]) == (3, 3, True)
    html = response.content.decode()
    assert html.count('class="imagegen-grid__tile"') == 3
    assert html.count(">Approve</button>") == 3


def test_status_endpoint_reports_live_counts(make_image, editor_client, editor, editorial):
    batch = bulk.submit_batch(catalog(make_image, 2, editorial), RECIPE, user=editor)
    data = editor_client.get(reverse("wagtail_imagegen:batches:status", args=[batch.pk])).json()
    assert (data["queued"], data["done"], data["finished"]) == (2, 0, False)
    assert data["estimated_cost"].startswith("US$")


def test_approve_reject_and_approve_all_from_the_grid(finished_batch, editor_client):
    outputs = list(GenerationOutput.objects.filter(job__batch=finished_batch).order_by("pk"))
    page = reverse("wagtail_imagegen:batches:inspect", args=[finished_batch.pk])
    editor_client.post(reverse("wagtail_imagegen:batches:output_approve", args=[outputs[0].pk]), {"next": page})
    editor_client.post(reverse("wagtail_imagegen:batches:output_reject", args=[outputs[1].pk]), {"next": page})
    response = editor_client.post(reverse("wagtail_imagegen:batches:approve_all", args=[finished_batch.pk]))
    assert response.status_code == 302 and response.url == page
    states = dict(GenerationOutput.objects.filter(job__batch=finished_batch).values_list("pk", "state"))
    assert states == {outputs[0].pk: "kept", outputs[1].pk: "discarded", outputs[2].pk: "kept"}
    assert ImageVariant.objects.filter(label="winter").count() == 2


@pytest.mark.usefixtures("use_fake_api")
def test_retry_the_failed_from_the_page(make_image, editor_client, editor, editorial, fake_api):
    batch = bulk.submit_batch(catalog(make_image, 2, editorial), RECIPE, user=editor)
    fake_api.inject("moderation_blocked")
    run_batch(batch)
    editor_client.post(reverse("wagtail_imagegen:batches:retry", args=[batch.pk]))
    assert bulk.batch_counts(batch)["queued"] == 1


def test_other_editors_batches_are_not_theirs_to_see(make_image, client, editor, colleague):
    batch = bulk.submit_batch(catalog(make_image, 1, Collection.objects.get(name="Editorial")), RECIPE,
                              user=colleague)
    client.force_login(editor)
    # Someone else's batch is, to an editor without view_all_jobs, a batch that does not exist.
    assert client.get(reverse("wagtail_imagegen:batches:inspect", args=[batch.pk])).status_code == 404
    assert batch.label not in client.get(reverse("wagtail_imagegen:batches:index")).content.decode()


def test_batch_list_shows_the_users_batches(make_image, editor_client, editor, editorial):
    batch = bulk.submit_batch(catalog(make_image, 3, editorial), RECIPE, user=editor)
    response = editor_client.get(reverse("wagtail_imagegen:batches:index"))
    assert [(b.pk, b.images) for b in response.context["page_obj"]] == [(batch.pk, 3)]


def grid_queries(client: Any, batch: GenerationBatch, django_assert_num_queries: Any) -> int:
    url = reverse("wagtail_imagegen:batches:inspect", args=[batch.pk])
    client.get(url)  # makes the thumbnails' renditions once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    with django_assert_num_queries(len(queries)):
        client.get(url)
    return len(queries)


@pytest.mark.usefixtures("use_fake_api")
def test_batch_page_takes_the_same_queries_for_3_or_60_images(make_image, editor_client, editor, editorial,
                                                             django_assert_num_queries):
    small = bulk.submit_batch(catalog(make_image, 3, editorial, prefix="Small"), RECIPE, user=editor)
    large = bulk.submit_batch(catalog(make_image, 60, editorial, prefix="Large"), RECIPE, user=editor)
    for batch in (small, large):
        run_batch(batch)
    assert grid_queries(editor_client, small, django_assert_num_queries) == grid_queries(
        editor_client, large, django_assert_num_queries)


def test_a_thousand_image_batch_pages_through_its_grid(make_image, editor_client, editor, editorial):
    batch = bulk.submit_batch(catalog(make_image, 1000, editorial), RECIPE, user=editor)
    response = editor_client.get(reverse("wagtail_imagegen:batches:grid", args=[batch.pk]) + "?p=21")
    page = response.context["page_obj"]
    assert page.paginator.num_pages == 21 and len(page) == 1000 - 20 * 48
    assert get_image_model().objects.count() == 1000  # nothing made while only queued
