"""The Responses API mode end to end: jobs on the default provider with OPTIONS["API"] = "responses", against the
fake's /v1/responses on 127.0.0.1, through tasks.run_job: a refinement chain continues the model's conversation."""

from __future__ import annotations

import pytest

from wagtail_imagegen import jobs, tasks
from wagtail_imagegen.models import GenerationJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
Status = GenerationJob.Status


@pytest.fixture(autouse=True)
def responses_mode(settings, use_fake_api):
    providers = dict(settings.WAGTAIL_IMAGEGEN["PROVIDERS"])
    providers["default"] = {**providers["default"], "OPTIONS": {"API": "responses"}}
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": providers}


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    return job


def test_generate_refine_refine_again_continue_the_conversation_without_image_data(fake_api, admin_user):
    first = run(jobs.submit_generation("A red bicycle", n=1, quality="low", user=admin_user))
    assert first.status == Status.SUCCEEDED, first.error_message
    second = run(jobs.refine(first.outputs.get(), "Make it blue", user=admin_user))
    third = run(jobs.refine(second.outputs.get(), "Now at night", user=admin_user))
    assert second.status == third.status == Status.SUCCEEDED, (second.error_message, third.error_message)
    calls = [request for request in fake_api.requests if request.path == "/v1/responses"]
    assert len(calls) == 3 and "previous_response_id" not in calls[0].json
    for call, parent in zip(calls[1:], (first, second), strict=True):
        assert call.json["previous_response_id"] == parent.response["turns"][0]["parts"][0]["response_id"]
        assert "image_url" not in str(call.json) and "file_id" not in str(call.json)
    # Each job keeps the ids of its response and image call, and its cost counts the mainline model too.
    assert third.response["turns"][0]["parts"][0]["image_call_id"].startswith("ig_")
    assert third.usage["mainline_model"] == "gpt-5.6-luna" and third.actual_cost > 0


def test_a_forced_expiry_falls_back_to_an_edit_and_the_chain_goes_on(fake_api, admin_user):
    first = run(jobs.submit_generation("A red bicycle", n=1, quality="low", user=admin_user))
    fake_api.expire_responses()
    second = run(jobs.refine(first.outputs.get(), "Make it blue", user=admin_user))
    assert second.status == Status.SUCCEEDED, second.error_message
    assert second.response["fallback"] == "images/edits" and fake_api.requests[-1].path == "/v1/images/edits"
    with first.outputs.get().image.open_file() as handle:
        assert fake_api.requests[-1].files["image"][0].data == handle.read()  # the candidate's own bytes
    third = run(jobs.refine(second.outputs.get(), "Now at night", user=admin_user))
    assert third.status == Status.SUCCEEDED, third.error_message
    # The fallback made no response to continue, so the next turn starts a new one from the candidate.
    assert fake_api.requests[-1].path == "/v1/responses" and "previous_response_id" not in fake_api.requests[-1].json
    assert fake_api.requests[-1].json["input"][0]["content"][1]["type"] == "input_image"


def test_a_refusal_inside_a_response_fails_the_job_with_the_editor_message(fake_api, admin_user):
    fake_api.inject("moderation_blocked", categories=["violence"], stage="input")
    job = run(jobs.submit_generation("A red bicycle", n=1, user=admin_user))
    assert job.status == Status.FAILED and job.error_code == "content_rejected" and "violence" in job.error_message


def uploads(fake_api) -> list:
    return [request for request in fake_api.requests if request.method == "POST" and request.path == "/v1/files"]


def test_an_edit_of_the_same_library_image_in_two_jobs_uploads_it_once(fake_api, make_image, admin_user):
    from wagtail_imagegen.models import ProviderFile

    from .conftest import FAKE_KEY

    chair = make_image("Chair", 320, 240)
    for prompt in ("Put it on a beach", "Put it in snow"):
        assert run(jobs.submit_edit([chair], prompt, n=1, user=admin_user)).status == Status.SUCCEEDED
    assert len(uploads(fake_api)) == 1 and uploads(fake_api)[0].form["purpose"] == ["vision"]
    calls = [request for request in fake_api.requests if request.path == "/v1/responses"]
    file_ids = [call.json["input"][0]["content"][1]["file_id"] for call in calls]
    assert file_ids[0] == file_ids[1] == ProviderFile.objects.get().file_id
    row = ProviderFile.objects.get()
    assert row.expires_at is not None and FAKE_KEY not in f"{row.key_fingerprint} {row.file_id} {row.sha256}"


def test_an_expired_upload_is_uploaded_again(fake_api, make_image, admin_user):
    chair = make_image("Chair", 320, 240)
    run(jobs.submit_edit([chair], "Put it on a beach", n=1, user=admin_user))
    fake_api.expire_files()
    job = run(jobs.submit_edit([chair], "Put it in snow", n=1, user=admin_user))
    assert job.status == Status.SUCCEEDED, job.error_message
    assert len(uploads(fake_api)) == 2  # the fake forgot the file: the job sent it again and went on


def test_purge_files_deletes_the_uploads_at_the_provider_and_here(fake_api, make_image, admin_user):
    import io

    from django.core.management import call_command

    from wagtail_imagegen.models import ProviderFile

    run(jobs.submit_edit([make_image("Chair", 320, 240)], "Put it on a beach", n=1, user=admin_user))
    file_id = ProviderFile.objects.get().file_id
    out = io.StringIO()
    call_command("imagegen", "purge", "--files", stdout=out)
    assert "Deleted 1 uploaded input file(s)." in out.getvalue() and not ProviderFile.objects.exists()
    assert any(r.method == "DELETE" and r.path == f"/v1/files/{file_id}" for r in fake_api.requests)


def test_the_job_page_shows_the_response_and_image_call_ids_and_a_fallback(client, fake_api, admin_user):
    from django.urls import reverse

    client.force_login(admin_user)
    first = run(jobs.submit_generation("A red bicycle", n=1, quality="low", user=admin_user))
    ids = first.response["turns"][0]["parts"][0]
    page = client.get(reverse("wagtail_imagegen:jobs:inspect", args=[first.pk])).content.decode()
    assert ids["response_id"] in page and ids["image_call_id"] in page
    fake_api.expire_responses()
    second = run(jobs.refine(first.outputs.get(), "Make it blue", user=admin_user))
    page = client.get(reverse("wagtail_imagegen:jobs:inspect", args=[second.pk])).content.decode()
    assert "The earlier response was gone" in page
