"""An editor in Chromium: generate into a page's hero field and publish, edit with a painted mask, refine twice,
the same inside StreamField blocks, and a refusal explained. Jobs run in a real qcluster."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from PIL import Image as PILImage
from wagtail.models import GroupPagePermission

from wagtail_imagegen.models import GenerationJob, GenerationOutput

from .conftest import log_in
from .pages import BrowserTestPage

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# The studio's own tray (a second one, for a second image service, may sit beside it).
TRAY = ".imagegen-studio__results > .imagegen-tray"
JOB_SECONDS = 20_000  # ms: a job through the worker and the fake API takes about one


def fresh(model: Any, **lookup: Any) -> Any:
    connection.close()  # read what the worker and the live server committed
    return model.objects.get(**lookup)


def open_editor(page: Any, test_page: BrowserTestPage) -> None:
    page.goto(f"/admin/pages/{test_page.pk}/edit/")


def field(page: Any, name: str) -> Any:
    return page.locator(f'[data-field][data-contentpath="{name}"]')


def generate(modal: Any, prompt: str, *, invariants: str = "", provider: str = "", count: int = 1) -> None:
    modal.locator("textarea[name=prompt]").fill(prompt)
    if invariants:
        modal.locator("textarea[name=invariants]").fill(invariants)
    if provider:
        choose(modal, "provider", provider)
    modal.locator("input[name=n]").fill(str(count))
    modal.locator(".imagegen-form button[type=submit]").click()


def choose(modal: Any, name: str, value: str) -> None:
    """Choose a model or a service: the window re-renders that model's options; wait until it has."""
    modal.locator(f"select[name={name}]").select_option(value)
    modal.locator("[data-imagegen-form-target=options]:not([aria-busy])").wait_for()


def candidates(page: Any, count: int) -> Any:
    cards = page.locator(".imagegen-candidate")
    cards.nth(count - 1).wait_for(timeout=JOB_SECONDS)
    return cards


def publish(page: Any) -> None:
    page.locator("footer .w-dropdown__toggle, footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()


@pytest.mark.parametrize("provider", ["default", "demo"])
def test_generate_into_the_hero_field_and_publish(page, test_page, fake_api, provider):
    open_editor(page, test_page)
    hero = field(page, "hero_image")
    assert hero.get_by_role("button", name="Edit with AI").is_disabled()  # nothing chosen yet
    hero.get_by_role("button", name="Generate").click()
    modal = page.locator(".modal .imagegen-studio")
    modal.locator("textarea[name=prompt]").fill("A red lighthouse on a cliff at dusk")
    assert modal.locator(".imagegen-counter").inner_text() == "35 of 32,000 characters"
    page.wait_for_function("document.querySelector('[data-imagegen-form-target=estimate]').textContent.includes('US$')")
    generate(modal, "A red lighthouse on a cliff at dusk", provider=provider, count=2)
    cards = candidates(page, 2)
    assert "Succeeded" in modal.locator(f"{TRAY} [data-imagegen-job-target=status]").inner_text().title()
    cards.first.get_by_role("button", name="Use this").click()
    page.locator(".modal").wait_for(state="detached")

    output = fresh(GenerationOutput, job__provider=provider, index=0)
    assert hero.locator("input[type=hidden]").input_value() == str(output.image_id)
    assert output.image.title in hero.inner_text()
    assert hero.get_by_role("button", name="Edit with AI").is_enabled()
    assert output.state == GenerationOutput.State.KEPT
    assert (fake_api.image_calls == 1) is (provider == "default")  # the demo provider never calls out

    publish(page)
    assert fresh(BrowserTestPage, pk=test_page.pk).hero_image_id == output.image_id
    assert not page.js_errors


def test_edit_a_chosen_image_with_a_painted_mask(page, test_page, fake_api, make_image):
    test_page.hero_image = make_image("Product photo", 640, 480)
    test_page.save_revision().publish()
    open_editor(page, test_page)
    field(page, "hero_image").get_by_role("button", name="Edit with AI").click()
    modal = page.locator(".modal .imagegen-studio")
    assert "Product photo" in modal.locator(".imagegen-source").inner_text()
    canvas = modal.locator(".imagegen-mask__canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3, steps=8)
    page.mouse.up()
    generate(modal, "Replace the blue square with a green circle")
    candidates(page, 1).first.get_by_role("button", name="Use this").click()
    page.locator(".modal").wait_for(state="detached")

    job = fresh(GenerationJob, kind="edit")
    with job.mask.open("rb") as handle, PILImage.open(io.BytesIO(handle.read())) as mask:
        assert mask.size == (640, 480) and mask.mode == "RGBA"
        assert mask.getpixel((128, 96))[3] == 0  # painted: the API may change it
        assert mask.getpixel((600, 450))[3] == 255  # untouched: kept
    edit = next(request for request in reversed(fake_api.requests) if request.path == "/v1/images/edits")
    assert "mask" in edit.files  # (the keep's alt text request may come after it)
    output = job.outputs.get()
    assert field(page, "hero_image").locator("input[type=hidden]").input_value() == str(output.image_id)


def test_a_preset_fills_the_edit_form_and_its_options_reach_the_api(page, test_page, fake_api, make_image):
    test_page.hero_image = make_image("Product photo", 640, 480)
    test_page.save_revision().publish()
    open_editor(page, test_page)
    hero = field(page, "hero_image")
    hero.get_by_role("button", name="Edit with AI").click()
    modal = page.locator(".modal .imagegen-studio")
    modal.get_by_role("button", name="Remove background").click()
    prompt = modal.locator("textarea[name=prompt]")
    assert prompt.input_value().startswith("Remove the background completely")
    assert modal.locator("textarea[name=invariants]").input_value().startswith("Keep the subject exactly")
    assert modal.locator("select[name=background]").input_value() == "transparent"
    assert modal.locator("select[name=output_format]").input_value() == "png"
    counter = modal.locator(".imagegen-counter").inner_text()
    assert counter == f"{len(prompt.input_value())} of 32,000 characters"

    modal.get_by_role("button", name="Replace background").click()  # ends open, for the editor to finish
    page.keyboard.insert_text("a sunny beach")  # where the preset left the caret: at the end of the prompt
    page.wait_for_function("document.querySelector('.modal textarea[name=prompt]').value.endsWith('sunny beach')")
    assert prompt.input_value() == "Replace the background with a sunny beach"
    assert modal.locator("select[name=background]").input_value() == "opaque"
    modal.locator(".imagegen-form button[type=submit]").click()
    candidates(page, 1)

    job = fresh(GenerationJob, kind="edit")
    assert job.prompt == "Replace the background with a sunny beach"
    sent = fake_api.requests[-1].form
    # The current models keep inputs at high fidelity by themselves: the preset's fidelity is not sent.
    assert sent["background"] == ["opaque"] and "input_fidelity" not in sent
    assert "Keep the subject exactly as it is" in sent["prompt"][0]
    assert not page.js_errors


def test_presets_show_only_when_editing(page, test_page, make_image):
    make_image("Product photo", 64, 48)
    open_editor(page, test_page)
    field(page, "hero_image").get_by_role("button", name="Generate").click()
    modal = page.locator(".modal .imagegen-studio")
    modal.locator("textarea[name=prompt]").wait_for()
    preset = modal.locator("[data-preset-key=remove-background]")
    assert preset.count() == 1 and not preset.is_visible()  # nothing to edit yet
    modal.get_by_role("button", name="Add an image from the library").click()
    modal.locator(".imagegen-picker__item").first.click()
    preset.wait_for(state="visible")


@pytest.fixture(params=["images", "responses"])
def api_mode(request, settings, monkeypatch) -> str:
    """The default provider through the Images API, or through the Responses API (here and in the worker)."""
    if request.param == "responses":
        monkeypatch.setenv("IMAGEGEN_TEST_OPENAI_API", "responses")
        providers = dict(settings.WAGTAIL_IMAGEGEN["PROVIDERS"])
        providers["default"] = {**providers["default"], "OPTIONS": {"API": "responses"}}
        settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": providers}
    return request.param


def test_refine_twice_with_invariants_in_the_library(api_mode, page, fake_api):
    page.goto("/admin/imagegen/generate/")
    studio = page.locator(".imagegen-studio")
    generate(studio, "A red lighthouse", invariants="the red lighthouse and its white door")
    for step, instruction in enumerate(["Add fog", "Make it night"], start=2):
        card = candidates(page, 1).first
        card.get_by_role("button", name="Refine").click()
        refine = card.locator(".imagegen-refine")
        assert refine.locator("textarea[name=invariants]").input_value() == "the red lighthouse and its white door"
        refine.locator("textarea[name=prompt]").fill(instruction)
        refine.get_by_role("button", name="Refine").click()
        page.locator(".imagegen-chain__step").nth(step - 1).wait_for()
    page.locator(f"{TRAY} [data-imagegen-job-target=status][data-status=succeeded]").wait_for(timeout=JOB_SECONDS)
    chain = [step.inner_text() for step in page.locator(".imagegen-chain__label").all()]
    assert chain == ["A red lighthouse", "Add fog", "Make it night"]
    candidates(page, 1).first.get_by_role("button", name="Keep").click()
    page.locator(".imagegen-candidate[data-state=kept]").wait_for()

    last = fresh(GenerationJob, prompt="Make it night")
    assert last.invariants == "the red lighthouse and its white door"
    assert last.sent_prompt.endswith("Keep unchanged: the red lighthouse and its white door")
    assert last.parent_output.job.prompt == "Add fog" and last.parent_output.job.parent_output.job.kind == "generate"
    assert last.outputs.get().state == GenerationOutput.State.KEPT
    if api_mode == "responses":  # each refinement continued the model's conversation, with no image bytes
        calls = [request.json for request in fake_api.requests if request.path == "/v1/responses"]
        assert len(calls) == 3 and "previous_response_id" not in calls[0]
        assert all(call["previous_response_id"].startswith("resp_") and "image_url" not in str(call)
                   for call in calls[1:])


def test_model_choice_and_the_aspect_and_resolution_picker(page, fake_api):
    page.goto("/admin/imagegen/generate/")
    studio = page.locator(".imagegen-studio")
    studio.locator("textarea[name=prompt]").fill("A harbour at dawn")
    labels = [option.inner_text() for option in studio.locator("select[name=model] option").all()]
    assert "GPT Image 2.6 Flare — Flare — fast drafts" in labels and not any("1.5" in label for label in labels)
    choose(studio, "model", "gpt-image-2.6-sunburst")
    studio.locator("select[name=aspect]").select_option("16:9")
    studio.locator("select[name=resolution]").select_option("2K")
    page.wait_for_function("document.querySelector('[data-imagegen-form-target=size]').textContent === '2736x1536'")
    assert not studio.locator("input[name=size]").is_visible()

    studio.locator("select[name=aspect]").select_option("custom")  # exact pixels, validated as they are typed
    studio.locator("input[name=size]").fill("512x512")
    field(studio, "size").locator(".error-message").wait_for()
    assert "at least 655,360 pixels" in field(studio, "size").inner_text()
    studio.locator("input[name=size]").fill("2560x1440")
    field(studio, "size").locator(".error-message").wait_for(state="detached")

    tiers = {option.get_attribute("value"): option.inner_text()
             for option in studio.locator("select[name=quality] option").all()}
    assert {"xhigh", "max"} <= set(tiers) and "US$" in tiers["xhigh"]  # each tier with its cost
    studio.locator("select[name=quality]").select_option("xhigh")
    studio.locator("input[name=n]").fill("1")
    studio.locator(".imagegen-form button[type=submit]").click()
    candidates(page, 1)
    job = fresh(GenerationJob, prompt="A harbour at dawn")
    assert (job.model, job.params["size"], job.params["quality"]) == ("gpt-image-2.6-sunburst", "2560x1440", "xhigh")
    assert fake_api.requests[-1].json["size"] == "2560x1440" and fake_api.requests[-1].json["model"] == job.model

    choose(studio, "model", "gpt-image-2")  # a model without the top tiers: its own options
    values = [option.get_attribute("value") for option in studio.locator("select[name=quality] option").all()]
    assert values == ["low", "medium", "high", "auto"]
    assert studio.locator("select[name=complexity]").count() == 0
    assert not page.js_errors


def add_block(page: Any, label: str) -> Any:
    """Add a block to the body StreamField through Wagtail's block chooser; the new block's element."""
    body = field(page, "body")
    before = body.locator("[data-contentpath] .imagegen-field").count()
    body.locator("button[title='Insert a block']").last.click()
    page.get_by_role("option", name=label, exact=True).click()
    block = body.locator(".imagegen-field").nth(before)
    block.wait_for()
    return block


def test_generate_into_streamfield_blocks_and_publish(page, test_page, fake_api):
    open_editor(page, test_page)
    for label, prompt in [("Image", "A harbour at noon"), ("Image with alt text", "A boat at night")]:
        block = add_block(page, label)
        block.get_by_role("button", name="Generate").click()
        generate(page.locator(".modal .imagegen-studio"), prompt)
        candidates(page, 1).first.get_by_role("button", name="Use this").click()
        page.locator(".modal").wait_for(state="detached")
        output = fresh(GenerationOutput, job__prompt=prompt)
        assert block.locator("input[type=hidden]").input_value() == str(output.image_id)
    alt_text = field(page, "body").locator("input[name$='-alt_text']")
    assert alt_text.input_value() == ""  # the prompt is never offered as alt text
    alt_text.fill("A fishing boat under the stars")
    publish(page)

    body = fresh(BrowserTestPage, pk=test_page.pk).body
    assert [block.block_type for block in body] == ["image", "figure"]
    assert body[0].value.title.startswith("A harbour at noon")
    assert body[1].value.contextual_alt_text == "A fishing boat under the stars"


@pytest.mark.parametrize(("provider", "marker", "category"), [
    ("default", "[fake:moderation_blocked]", "sexual"),
    ("demo", "[demo:refuse]", "demo"),
])
def test_a_moderation_refusal_is_explained(page, fake_api, provider, marker, category):
    page.goto("/admin/imagegen/generate/")
    generate(page.locator(".imagegen-studio"), f"A lighthouse {marker}", provider=provider)
    message = page.locator(f"{TRAY} [data-imagegen-job-target=message]")
    message.wait_for(timeout=JOB_SECONDS)
    text = message.inner_text()
    assert "The image service refused this request" in text
    assert "safety system refused" in text and f"({category})" in text
    assert page.locator(".imagegen-candidate").count() == 0
    assert fresh(GenerationJob, prompt=f"A lighthouse {marker}").status == GenerationJob.Status.FAILED


def test_editors_without_the_permission_see_no_ai_buttons(page, test_page, live_server, django_user_model):
    group = Group.objects.create(name="Editors without AI")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    GroupPagePermission.objects.create(group=group, page=test_page,
                                       permission=Permission.objects.get(codename="change_page"))
    user = django_user_model.objects.create_user("writer", password="password")
    user.groups.add(group)
    log_in(page.context, user, live_server.url)
    open_editor(page, test_page)
    hero = field(page, "hero_image")
    hero.get_by_role("button", name="Choose an image").wait_for()  # Wagtail's own chooser is there
    assert hero.locator(".imagegen-field__actions").is_hidden()
    assert page.get_by_role("button", name="Generate").count() == 0


@pytest.fixture
def gemini_beside(settings, use_fake_api, monkeypatch):
    """A "gemini" provider on the fake's Gemini route, here and in the worker started after it."""
    base_url = f"{use_fake_api.url}/v1beta"
    monkeypatch.setenv("IMAGEGEN_TEST_GEMINI_BASE_URL", base_url)
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        **settings.WAGTAIL_IMAGEGEN["PROVIDERS"], "gemini": {
            "CLASS": "wagtail_imagegen.providers.gemini.GeminiImageProvider", "API_KEY": settings.WAGTAIL_IMAGEGEN[
                "PROVIDERS"]["default"]["API_KEY"], "BASE_URL": base_url, "TIMEOUT": 30}}}


def test_one_prompt_to_openai_and_gemini_side_by_side(gemini_beside, page, fake_api):
    page.goto("/admin/imagegen/generate/")
    studio = page.locator(".imagegen-studio")
    studio.locator("textarea[name=prompt]").fill("A lighthouse at dusk")
    choose(studio, "compare", "gemini")
    studio.locator("select[name=aspect]").select_option("3:2")
    studio.locator("input[name=n]").fill("2")
    page.wait_for_function("document.querySelector('[data-imagegen-form-target=estimate]').textContent.includes('US$')")
    studio.locator(".imagegen-form button[type=submit]").click()

    compare = page.locator(".imagegen-studio__compare")
    compare.wait_for()
    compare.locator(".imagegen-candidate").nth(1).wait_for(timeout=JOB_SECONDS)
    page.locator(".imagegen-studio__results > .imagegen-tray .imagegen-candidate").nth(1).wait_for(timeout=JOB_SECONDS)
    services = [card.locator("[data-candidate-service]").inner_text()
                for card in page.locator(".imagegen-candidate").all()]
    assert sorted(services) == ["default · GPT Image 2.6 Flare"] * 2 + ["gemini · Nano Banana 2.1"] * 2
    costs = page.locator("[data-imagegen-job-target=cost]").all_inner_texts()
    assert len(costs) == 2 and all("US$" in cost for cost in costs)

    openai_job, gemini_job = (fresh(GenerationJob, provider=alias) for alias in ("default", "gemini"))
    assert openai_job.prompt == gemini_job.prompt == "A lighthouse at dusk"
    assert {request.path for request in fake_api.requests} == {
        "/v1/images/generations", "/v1beta/models/gemini-nano-banana-2.1:generateContent"}
    gemini_call = next(r for r in fake_api.requests if "generateContent" in r.path)
    assert gemini_call.json["generationConfig"]["imageConfig"]["aspectRatio"] == "3:2"

    # Gemini as the first service: its own ratios and tiers; what it cannot do is no field, and said.
    choose(studio, "provider", "gemini")
    aspects = [option.get_attribute("value") for option in studio.locator("select[name=aspect] option").all()]
    assert "8:1" in aspects and "custom" not in aspects
    assert studio.locator("select[name=quality]").count() == studio.locator("select[name=background]").count() == 0
    assert "cannot make transparent backgrounds" in studio.locator(".imagegen-limit").first.inner_text()
    studio.locator("select[name=aspect]").select_option("16:9")
    studio.locator("select[name=resolution]").select_option("4K")
    page.wait_for_function("document.querySelector('[data-imagegen-form-target=size]').textContent === '5504x3072'")
    assert not page.js_errors
