"""The image library in Chromium: the Variants section on an image's edit page (and its Create variant), the
recipe's live estimate, a budget refusal, the usage report and the dashboard line."""

from __future__ import annotations

from typing import Any

import pytest

from wagtail_imagegen import bulk, jobs, tasks
from wagtail_imagegen.catalog import JobSpec
from wagtail_imagegen.models import GenerationBatch

from ..test_bulk import catalog
from .test_bulk import choose_all_and_open_recipe, fill_recipe

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def with_budget(settings: Any, **budgets: Any) -> None:
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": budgets}


def test_the_image_page_shows_its_variants_and_create_variant_opens_the_modal(page, make_image, admin_user,
                                                                               fake_api):
    hero = make_image("Hero", 128, 128)
    job = jobs.submit_edit([hero], "Make it a snowy winter scene", label="winter", quality="low", user=admin_user)
    tasks.run_job(str(job.pk))  # here, not in the worker: the page is about showing it
    jobs.keep(job.outputs.get(), user=admin_user)
    page.goto(f"/admin/images/{hero.pk}/")
    section = page.locator("#imagegen-variants")
    section.wait_for()
    row = section.locator('[data-imagegen-variant="winter"]')
    assert "Make it a snowy winter scene" in row.inner_text() and "gpt-image-2.6-flare" in row.inner_text()
    assert "Set the “winter” variant" in section.locator("[data-imagegen-history]").inner_text()
    section.get_by_role("button", name="Create variant").click()
    modal = page.locator(".modal .imagegen-studio")
    modal.locator("textarea[name=prompt]").wait_for()
    assert modal.locator(f'input[name=images][value="{hero.pk}"]').count() == 1  # an edit of this image
    assert page.js_errors == []


def test_other_edit_pages_are_left_alone(page, test_page):
    page.goto(f"/admin/pages/{test_page.pk}/edit/")
    page.locator("form").first.wait_for()
    assert page.locator("#imagegen-variants").count() == 0
    assert page.js_errors == []


def test_the_estimate_follows_the_recipe_and_a_budget_refusal_shows_its_message(page, make_image, settings,
                                                                                 fake_api):
    images = catalog(make_image, 8)
    with_budget(settings, SITE=0.05)
    choose_all_and_open_recipe(page, None)
    estimate = page.locator("[data-imagegen-recipe-target=estimate]")
    low = estimate.inner_text()
    page.locator("select[name=quality]").select_option("high")
    page.wait_for_function("(low) => document.querySelector('[data-imagegen-recipe-target=estimate]')"
                           ".textContent !== low", arg=low)
    high = bulk.estimate_batch(images, bulk.Recipe(prompt="", label="", spec=JobSpec(quality="high")))
    assert estimate.inner_text() == f"US${high:,.3f}"
    fill_recipe(page, "Put the product on a snowy background", "winter")
    page.get_by_role("button", name="Generate variants").click()
    message = page.locator(".error-message, .help-critical, .messages .error").filter(has_text="budget")
    message.first.wait_for()
    assert "left of this month's budget for AI images for the site (US$0.05)" in message.first.inner_text()
    assert GenerationBatch.objects.count() == 0


def test_the_usage_report_and_the_dashboard(page, make_image, admin_user, fake_api):
    job = jobs.submit_generation("A red bicycle", quality="low", user=admin_user)
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    page.goto("/admin/")
    assert "spent this month" in page.locator(".imagegen-summary:not(.imagegen-health)").inner_text()
    page.get_by_role("button", name="Reports").click()  # Wagtail's Reports menu holds the report
    page.get_by_role("link", name="AI image usage").click()
    page.wait_for_url("**/imagegen/usage/")
    table = page.locator("table.listing")
    assert "gpt-image-2.6-flare" in table.inner_text() and admin_user.get_username() in table.inner_text()
    assert f"US${job.actual_cost:,.3f}" in page.locator("[data-imagegen-usage-totals]").inner_text()
    export = page.request.get("/admin/imagegen/usage/?export=csv")
    assert 'filename="ai-image-usage.csv"' in export.headers["content-disposition"]
    assert export.text().splitlines()[0] == "Month,User,Model,Jobs,Images,Tokens,Cost (USD)"
