"""Bulk variants from the admin in Chromium, run by a real qcluster with two workers against a fake API that
allows 60 images a minute (and answers 429 beyond): the shared RATE_LIMITS keep the workers inside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from wagtail.models import Collection

from wagtail_imagegen import bulk
from wagtail_imagegen.models import GenerationBatch, GenerationOutput, ImageVariant

from ..test_bulk import catalog
from ..workers import qcluster, worker_environment

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
IMAGES_PER_MINUTE = 60
CATALOG_SIZE = 200
# 200 images at 60 a minute take 200 s; the rest is margin.
FINISH_MS = 420_000


@pytest.fixture
def worker(use_fake_api: Any, fake_api: Any, tmp_path: Path) -> Iterator[Path]:
    """Overrides the package's worker: one qcluster with two workers, configured with the API's limit
    (RATE_LIMITS IMAGES_PER_MINUTE 60), against a fake API that enforces it."""
    fake_api.ipm, fake_api.latency = IMAGES_PER_MINUTE, 0.3
    env = worker_environment(use_fake_api.base_url, IMAGEGEN_TEST_IPM=str(IMAGES_PER_MINUTE),
                             IMAGEGEN_TEST_WORKERS="2")
    log = tmp_path / "qcluster.log"
    with qcluster(env, log):
        yield log


def choose_all_and_open_recipe(page: Any, collection: Collection | None) -> None:
    """Image listing (of one collection) > select all > "Generate variants…"."""
    # The list layout has a "select all" checkbox in its header (the grid shows checkboxes on hover).
    page.goto("/admin/images/?layout=list" + (f"&collection_id={collection.pk}" if collection else ""))
    page.locator("thead [data-bulk-action-select-all-checkbox]").check()
    select_all = page.locator("[data-bulk-action-num-objects-in-listing]")
    if select_all.is_visible():
        select_all.click()
    page.locator("[data-bulk-action-button]", has_text="Generate variants").click()
    page.locator("[data-controller=imagegen-recipe]").wait_for()


def fill_recipe(page: Any, instruction: str, label: str) -> None:
    page.locator("textarea[name=prompt]").fill(instruction)
    page.locator("input[name=label]").fill(label)
    page.locator("select[name=quality]").select_option("low")


def count(page: Any, name: str) -> int:
    return int(page.locator(f"[data-imagegen-batch-target=count][data-count={name}]").inner_text())


def test_bulk_variants_of_a_200_image_collection_stay_inside_the_apis_limit(page, make_image, fake_api):
    collection = Collection.get_first_root_node().add_child(name="Catalog")
    catalog(make_image, CATALOG_SIZE, collection=collection, prefix="Product")
    choose_all_and_open_recipe(page, collection)
    assert "each of 200 images" in page.locator(".imagegen-recipe__count").inner_text()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url)
            if request.resource_type in ("document", "fetch", "xhr") else None)
    fill_recipe(page, "Put the product on a plain white studio background", "white")
    page.get_by_role("button", name="Generate variants").click()
    page.wait_for_url("**/imagegen/batches/*/")
    submit_requests = len(requests)
    started = time.monotonic()
    page.wait_for_function("() => document.querySelector('[data-controller=imagegen-batch]').dataset.finished "
                           "=== 'true'", timeout=FINISH_MS, polling=1000)
    elapsed = time.monotonic() - started
    assert (count(page, "succeeded"), count(page, "failed")) == (CATALOG_SIZE, 0)  # the live counts
    rejected = sum(request.status == 429 for request in fake_api.requests)
    print(f"\n{CATALOG_SIZE} variants in {elapsed:.0f} s; {rejected} of {fake_api.image_calls} calls got a 429; "
          f"{submit_requests} browser requests to submit")
    assert submit_requests <= 8, requests  # the recipe's estimate, the POST, the batch page: not one per image
    assert rejected <= 5
    assert elapsed >= CATALOG_SIZE / IMAGES_PER_MINUTE * 60 * 0.9  # the limit was honoured, not bypassed

    page.get_by_role("button", name="Approve all").click()
    page.locator(".messages", has_text="Approved 200 images").wait_for(timeout=60_000)
    connection.close()  # read what the live server committed
    batch = GenerationBatch.objects.get()
    assert bulk.batch_counts(batch)["succeeded"] == CATALOG_SIZE
    assert ImageVariant.objects.filter(label="white").count() == CATALOG_SIZE
    assert GenerationOutput.objects.filter(job__batch=batch, state="kept").count() == CATALOG_SIZE
    assert page.js_errors == []
