"""Addresses a bookmark may hold from before the one URL namespace: they still open their page, or redirect
to it; a redirect shows nothing of its own and the page it leads to still asks the policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import Collection

from wagtail_imagegen import bulk, jobs
from wagtail_imagegen.models import GenerationBatch

from .test_bulk import RECIPE

pytestmark = pytest.mark.django_db
OLD = "/admin/imagegen/library/"


@pytest.fixture
def batch(make_image: Any, editor: Any, editorial: Collection, settings: Any) -> GenerationBatch:
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "RATE_LIMITS": {}}
    return bulk.submit_batch([make_image("Mug", collection=editorial)], RECIPE, user=editor)


def test_the_job_page_keeps_its_address(editor, editor_client, editorial):
    job = jobs.submit_generation("A lighthouse", user=editor)
    assert reverse("wagtail_imagegen:jobs:inspect", args=[job.pk]) == f"/admin/imagegen/jobs/{job.pk}/"
    assert reverse("wagtail_imagegen:jobs:index") == "/admin/imagegen/jobs/"
    assert editor_client.get(f"/admin/imagegen/jobs/{job.pk}/").status_code == 200


@pytest.mark.parametrize(("old", "new"), [
    ("batches/", "wagtail_imagegen:batches:index"),
    ("usage/", "wagtail_imagegen:usage:index"),
    ("usage/results/", "wagtail_imagegen:usage:index_results"),
])
def test_the_librarys_old_pages_redirect_for_good(editor_client, old, new):
    response = editor_client.get(OLD + old)
    assert response.status_code == 301 and response["Location"] == reverse(new)


def test_a_batch_bookmark_redirects_to_the_batch_which_opens(batch, editor_client):
    response = editor_client.get(f"{OLD}batches/{batch.pk}/", follow=True)
    assert response.redirect_chain == [(reverse("wagtail_imagegen:batches:inspect", args=[batch.pk]), 301)]
    assert response.status_code == 200 and batch.label in response.content.decode()


def test_the_redirect_keeps_the_query_string(editor_client, batch):
    response = editor_client.get(f"{OLD}usage/", {"export": "csv", "model": "gpt-image-1.5"})
    assert response["Location"] == reverse("wagtail_imagegen:usage:index") + "?export=csv&model=gpt-image-1.5"
    grid = editor_client.get(f"{OLD}batches/{batch.pk}/grid/", {"p": 2})
    assert grid["Location"] == reverse("wagtail_imagegen:batches:grid", args=[batch.pk]) + "?p=2"


def test_an_images_variants_section_redirects(editor_client, make_image):
    image = make_image()
    response = editor_client.get(f"{OLD}images/{image.pk}/variants/")
    assert response["Location"] == reverse("wagtail_imagegen:image_variants", args=[image.pk])


def test_an_address_that_never_was_is_a_404(editor_client):
    assert editor_client.get(f"{OLD}nothing-here/").status_code == 404
    assert editor_client.get(f"{OLD}library/batches/").status_code == 404


def test_a_redirect_leads_a_colleague_to_a_404_not_to_the_batch(batch, colleague_client):
    response = colleague_client.get(f"{OLD}batches/{batch.pk}/", follow=True)
    assert response.redirect_chain[0][1] == 301 and response.status_code == 404
    assert batch.prompt not in response.content.decode()


def test_anonymous_users_are_sent_to_log_in_first(client, batch):
    response = client.get(f"{OLD}batches/{batch.pk}/")
    assert response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"]
