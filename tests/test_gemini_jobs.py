"""Gemini end to end: jobs and the CLI on a `gemini` provider alias, against the fake API's Gemini route on
127.0.0.1 (the same fake as the OpenAI tests), through tasks.run_job and real Wagtail images."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from wagtail_imagegen import jobs, tasks
from wagtail_imagegen.forms import ImageGenForm
from wagtail_imagegen.models import GenerationJob

from .conftest import FAKE_KEY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
Status = GenerationJob.Status
DRAFT, FINAL = "gemini-nano-banana-2.1", "gemini-3-pro-image"


@pytest.fixture(autouse=True)
def gemini(settings, served_fake_api):
    """A second provider alias, "gemini", on the fake's Gemini route (as the example site configures it)."""
    providers = {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"], "gemini": {
        "CLASS": "wagtail_imagegen.providers.gemini.GeminiImageProvider",
        "BASE_URL": f"{served_fake_api.url}/v1beta", "API_KEY": FAKE_KEY, "TIMEOUT": 30,
    }}
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": providers}


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    return job


def stored_size(output) -> tuple[int, int]:
    with output.image.open_file() as handle, Image.open(io.BytesIO(handle.read())) as picture:
        return picture.size


def imagegen(*args: str) -> dict:
    out = io.StringIO()
    call_command("imagegen", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_cli_sends_3_2_for_1536x1024_and_stores_the_image_as_made(fake_api):
    result = imagegen("generate", "A harbour at dawn", "--provider", "gemini", "--size", "1536x1024", "--n", "1",
                      "--sync", "--json")
    assert result["status"] == "succeeded", result
    recorded = fake_api.requests[-1]
    assert recorded.path == f"/v1beta/models/{DRAFT}:generateContent" and recorded.headers["x-goog-api-key"]
    assert recorded.json["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2", "imageSize": "2K"}
    job = GenerationJob.objects.get(pk=result["job"])
    output = job.outputs.get()
    with output.image.open_file() as handle:
        assert handle.read() == recorded.output_images[0]  # byte for byte, never rescaled
    assert stored_size(output) == (2528, 1696) and (output.image.width, output.image.height) == (2528, 1696)
    assert job.model == DRAFT and job.actual_cost > 0


def test_two_candidates_are_two_calls_and_one_job(fake_api, admin_user):
    job = run(jobs.submit_generation("A red bicycle", provider="gemini", n=2, size="1024x1024", user=admin_user))
    assert job.status == Status.SUCCEEDED and job.outputs.count() == 2 and len(fake_api.requests) == 2
    assert job.api_calls >= 1 and not job.maybe_charged_twice


def test_an_edit_sends_both_library_images_as_inline_data(fake_api, make_image, admin_user):
    chair, lamp = make_image("Chair", 320, 240), make_image("Lamp", 64, 64, "JPEG")
    job = run(jobs.submit_edit([chair, lamp], "Put the lamp beside the chair", provider="gemini", user=admin_user))
    assert job.status == Status.SUCCEEDED, job.error_message
    parts = fake_api.requests[-1].json["contents"][0]["parts"]
    sent = [(part["inlineData"]["mimeType"], base64.b64decode(part["inlineData"]["data"])) for part in parts[1:]]
    expected = []
    for image in (chair, lamp):
        with image.open_file() as handle:
            expected.append(handle.read())
    assert [data for _mime, data in sent] == expected and [mime for mime, _data in sent] == ["image/png", "image/jpeg"]


def test_refining_a_candidate_resends_the_conversation_with_the_model_s_signature(fake_api, admin_user):
    first = run(jobs.submit_generation("A red bicycle", provider="gemini", n=1, size="1024x1024", user=admin_user))
    candidate = first.outputs.get()
    refined = run(jobs.refine(candidate, "Make it blue", user=admin_user, invariants="the basket"))
    assert refined.status == Status.SUCCEEDED, refined.error_message
    contents = fake_api.requests[-1].json["contents"]
    assert [content["role"] for content in contents] == ["user", "model", "user"]
    assert contents[0]["parts"] == [{"text": "A red bicycle"}]
    image_part = next(part for part in contents[1]["parts"] if "inlineData" in part)
    with candidate.image.open_file() as handle:
        assert base64.b64decode(image_part["inlineData"]["data"]) == handle.read()
    assert image_part["thoughtSignature"]  # the fake refuses a Gemini 3 model turn without it
    assert contents[2]["parts"] == [{"text": refined.sent_prompt}] and "the basket" in refined.sent_prompt
    # A third turn carries the whole chain.
    again = run(jobs.refine(refined.outputs.get(), "Now at night", user=admin_user))
    assert again.status == Status.SUCCEEDED, again.error_message
    assert [c["role"] for c in fake_api.requests[-1].json["contents"]] == ["user", "model", "user", "model", "user"]


def test_final_quality_re_renders_on_pro(fake_api, admin_user):
    draft = run(jobs.submit_generation("A red bicycle", provider="gemini", n=1, size="1536x1024", user=admin_user))
    final = run(jobs.final_quality(draft.outputs.get(), "Final", user=admin_user))
    assert final.status == Status.SUCCEEDED, final.error_message
    assert final.model == FINAL and fake_api.requests[-1].path == f"/v1beta/models/{FINAL}:generateContent"


def test_a_safety_block_fails_the_job_in_one_call_with_an_editor_message(fake_api, admin_user):
    fake_api.inject("gemini_safety", finish_reason="IMAGE_SAFETY")
    job = run(jobs.submit_generation("A red bicycle", provider="gemini", n=2, user=admin_user))
    assert job.status == Status.FAILED and job.error_code == "content_rejected"
    assert "safety system refused the finished image" in job.error_message and "IMAGE_SAFETY" in job.error_message
    assert len(fake_api.requests) == 1 and not job.outputs.exists()


def test_a_text_only_answer_fails_the_job_not_a_success_without_images(fake_api, admin_user):
    fake_api.inject("gemini_text_only")
    job = run(jobs.submit_generation("A red bicycle", provider="gemini", n=1, user=admin_user))
    assert job.status == Status.FAILED and "without an image" in job.error_message and not job.outputs.exists()


def test_a_429_with_retry_info_is_retried_after_its_delay(fake_api, admin_user):
    fake_api.inject("rate_limit", retry_after=4)
    job = jobs.submit_generation("A red bicycle", provider="gemini", n=1, user=admin_user)
    before = timezone.now()
    job = run(job)
    assert job.status == Status.QUEUED and job.next_attempt_at >= before + timedelta(seconds=4)
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert run(job).status == Status.SUCCEEDED


@pytest.mark.parametrize(("options", "field", "text"), [
    ({"size": "3000x1000"}, "size", "nearest to 3000x1000 is 21:9"),
    ({"size": "9000x9000"}, "size", "At 1:1 this model makes 1024x1024, 2048x2048, 4096x4096"),
    ({"background": "transparent"}, "background", "cannot make transparent"),
    ({"quality": "high"}, "quality", "offers the qualities auto"),
])
def test_what_gemini_cannot_do_is_refused_at_submit(fake_api, admin_user, options, field, text):
    with pytest.raises(ValidationError) as refused:
        jobs.submit_generation("A kite", provider="gemini", user=admin_user, **options)
    assert text in " ".join(refused.value.message_dict[field])
    assert not GenerationJob.objects.exists() and fake_api.requests == []


def test_a_mask_is_refused_at_submit(fake_api, make_image, admin_user):
    from .conftest import mask_bytes

    image = make_image("Product", 64, 64)
    with pytest.raises(ValidationError) as refused:
        jobs.submit_edit([image], "Brighter", mask=mask_bytes(64, 64), provider="gemini", user=admin_user)
    assert "mask" in refused.value.message_dict and not GenerationJob.objects.exists()


def test_the_form_offers_the_model_s_ratios_and_tiers_and_hides_what_it_cannot_do():
    form = ImageGenForm(data={"provider": "gemini", "prompt": "x"})
    assert form.model.name == DRAFT
    aspects = [value for value, _label in form.fields["aspect"].choices]
    assert "8:1" in aspects and "custom" not in aspects
    assert [value for value, _label in form.fields["resolution"].choices] == ["1K", "2K", "4K"]
    assert not {"quality", "background", "output_format", "input_fidelity"} & set(form.fields)
    assert any("transparent" in str(limit) for limit in form.limits)
    form = ImageGenForm(data={"provider": "gemini", "prompt": "A kite", "aspect": "16:9", "resolution": "4K", "n": 1})
    assert form.is_valid(), form.errors
    assert form.spec().size == "5504x3072" and form.spec().quality == "auto"


# -- one prompt, two image services ---------------------------------------------------------------------


def submit_url(name: str = "submit") -> str:
    from django.urls import reverse

    return reverse(f"wagtail_imagegen:{name}")


def test_one_prompt_to_two_services_queues_two_jobs_and_the_estimate_covers_both(client, admin_user, fake_api):
    client.force_login(admin_user)
    form = {"prompt": "A lighthouse at dusk", "provider": "default", "compare": "gemini", "aspect": "3:2",
            "resolution": "1K", "quality": "low", "n": 2}
    alone = client.post(submit_url("estimate"), {**form, "compare": ""}).json()
    both = client.post(submit_url("estimate"), form).json()
    assert float(both["cost"]) == pytest.approx(float(alone["cost"]) + float(both["compare_cost"]))
    assert float(both["compare_cost"]) > 0
    response = client.post(submit_url(), form)
    assert response.status_code == 201, response.json()
    data = response.json()
    first, second = GenerationJob.objects.get(pk=data["job"]), GenerationJob.objects.get(pk=data["compare"]["job"])
    assert (first.provider, second.provider) == ("default", "gemini")
    assert (first.model, second.model) == ("gpt-image-2.6-flare", DRAFT)
    # The same prompt, each in what its model takes: Gemini has no quality tiers and makes 3:2 at its own sizes.
    assert first.prompt == second.prompt and first.params["quality"] == "low" and second.params["quality"] == "auto"
    assert second.params["n"] == 2
    for job in (first, second):
        assert run(job).status == Status.SUCCEEDED, job.error_message
    assert data["compare"]["provider"] == "gemini" and data["compare"]["model"] == DRAFT


def test_a_side_by_side_submission_counts_once_against_the_per_minute_limit(editor_client, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "USER_SUBMISSIONS_PER_MINUTE": 2}
    form = {"prompt": "A lighthouse at dusk", "provider": "default", "compare": "gemini", "quality": "low", "n": 1}
    for _ in range(2):  # two clicks, four jobs
        response = editor_client.post(submit_url(), form)
        assert response.status_code == 201, response.json()
    assert GenerationJob.objects.count() == 4
    refused = editor_client.post(submit_url(), form)
    assert refused.status_code == 400
    assert "2 requests for AI images in the last minute" in json.dumps(refused.json()["errors"])
    assert GenerationJob.objects.count() == 4


def test_when_the_second_service_refuses_neither_job_is_queued(client, admin_user, make_image):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import mask_bytes

    client.force_login(admin_user)
    image = make_image("Product", 64, 64)
    mask = SimpleUploadedFile("mask.png", mask_bytes(64, 64), content_type="image/png")
    response = client.post(submit_url(), {"prompt": "Brighter", "provider": "default", "compare": "gemini",
                                          "images": [image.pk], "mask": mask, "n": 1})
    assert response.status_code == 400
    assert "gemini: " in response.json()["errors"]["compare"][0] and "mask" in response.json()["errors"]["compare"][0]
    assert not GenerationJob.objects.exists()


def test_a_bulk_recipe_on_gemini_makes_one_variant_each(client, admin_user, make_image, fake_api):
    from wagtail_imagegen.models import GenerationBatch

    from .test_library_views import action_url

    client.force_login(admin_user)
    images = [make_image(f"Product {number}", 96, 64) for number in range(3)]
    page = client.get(action_url(*images) + "&provider=gemini")
    assert page.status_code == 200 and "compare" not in page.context["form"].fields
    response = client.post(action_url(*images), {"prompt": "Put it on snow", "label": "winter", "provider": "gemini",
                                                 "aspect": "3:2", "resolution": "1K"})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    batch = GenerationBatch.objects.get()
    batch_jobs = list(batch.jobs.all())
    assert len(batch_jobs) == 3 and {job.provider for job in batch_jobs} == {"gemini"}
    for job in batch_jobs:
        assert run(job).status == Status.SUCCEEDED, job.error_message
    assert {request.json["generationConfig"]["imageConfig"]["aspectRatio"] for request in fake_api.requests} == {"3:2"}


def test_imagegen_models_lists_the_gemini_lineup_with_its_dates():
    rows = {row["name"]: row for row in imagegen("models", "--provider", "gemini", "--json")}
    assert rows[DRAFT]["state"] == "current" and "16:9" in rows[DRAFT]["sizes"] and "4K" in rows[DRAFT]["sizes"]
    assert rows["gemini-3.1-flash-image"]["state"] == "retired"
    assert rows["gemini-3.1-flash-image"]["shutdown"] == "2026-10-29"
    assert not any(name.startswith("gpt-image") for name in rows)


def test_an_image_service_s_own_budget_applies_to_its_jobs_only(settings, admin_user, fake_api):
    from decimal import Decimal

    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"PROVIDERS": {"gemini": 0.05}}}
    first = jobs.submit_generation("A kite", provider="gemini", n=1, size="1024x1024", user=admin_user)
    assert first.estimated_cost < Decimal("0.05")
    with pytest.raises(ValidationError) as refused:  # the first one's reservation leaves too little
        jobs.submit_generation("A kite", provider="gemini", n=1, size="1024x1024", user=admin_user)
    assert "the image service “gemini”" in refused.value.messages[0]
    jobs.submit_generation("A kite", provider="default", n=1, user=admin_user)  # the other service is not capped
    assert GenerationJob.objects.count() == 2
