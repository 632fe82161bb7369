"""The worker task in process, against the fake image API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.models import OrmQ
from PIL import Image as PILImage

from wagtail_imagegen import catalog, jobs, leases, pricing, tasks
from wagtail_imagegen.models import (
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    GenerationJob,
    GenerationOutput,
)
from wagtail_imagegen.providers.base import (
    ConnectionLost,
    InvalidRequest,
    ProviderUnavailable,
    UnusableResponse,
    Usage,
    advised,
)
from wagtail_imagegen.providers.openai import OpenAIImageProvider
from wagtail_imagegen.testing import tokens as fake_tokens

from . import brokers
from .conftest import FAKE_KEY, mask_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
Status = GenerationJob.Status


def stored_bytes(image) -> bytes:
    with image.open_file() as handle:
        return handle.read()


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    return job


def make_due(job: GenerationJob) -> None:
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_generation_becomes_byte_identical_wagtail_images_with_metadata(fake_api, editor, editorial):
    job = run(jobs.submit_generation("A red bicycle", n=2, size="1536x1024", quality="low", user=editor))
    assert job.status == Status.SUCCEEDED, job.error_message
    returned = fake_api.requests[-1].output_images
    outputs = list(job.outputs.select_related("image"))
    assert [stored_bytes(output.image) for output in outputs] == returned
    for output, data in zip(outputs, returned, strict=True):
        image = output.image
        assert output.sha256 == hashlib.sha256(data).hexdigest()
        assert (image.width, image.height) == (1536, 1024)
        assert image.file_size == len(data) and image.file_hash
        assert image.uploaded_by_user == editor
        assert [tag.name for tag in image.tags.all()] == ["ai-generated"]
        assert image.title.startswith("A red bicycle (")
        assert output.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
        assert not output.raw_file  # the provider bytes live on only in the Wagtail image
    usage = Usage.from_dict(job.usage)
    # The fake's own token table, not the catalog's: the two must agree.
    assert usage.output_image_tokens == 2 * fake_tokens.GPT_IMAGE_2_6_TOKENS("low", 1536, 1024)
    assert job.actual_cost == pricing.cost_of(usage, catalog.model_spec("gpt-image-2.6-flare"))
    assert job.provider_request_id.startswith("req_")
    assert job.response["size"] == "1536x1024"
    assert job.api_calls == 1 and job.attempts == 1 and not job.maybe_charged_twice
    assert job.finished_at and job.api_seconds is not None


def test_edit_sends_sources_and_scaled_mask_and_inherits_collection_and_focal_point(fake_api, make_image, settings):
    from wagtail.models import Collection

    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "MAX_INPUT_EDGE": 1024}
    products = Collection.get_first_root_node().add_child(name="Products")
    large = make_image("Chair", 2048, 1536, collection=products, focal_point_x=1024, focal_point_y=768,
                       focal_point_width=200, focal_point_height=100)
    small = make_image("Lamp", 300, 300, "JPEG")
    job = run(jobs.submit_edit([large, small], "Put the lamp beside the chair", mask=mask_bytes(2048, 1536),
                               input_fidelity="high", size="1536x1024"))
    assert job.status == Status.SUCCEEDED, job.error_message
    request = fake_api.requests[-1]
    first, second = request.files["image[]"]
    assert PILImage.open(io.BytesIO(first.data)).size == (1024, 768)  # a bounded rendition of the large one
    assert second.data == stored_bytes(small)  # small enough: the original bytes, not re-encoded
    assert PILImage.open(io.BytesIO(request.files["mask"][0].data)).size == (1024, 768)
    assert "input_fidelity" not in request.form  # the default model keeps every input's detail unasked
    image = job.outputs.get().image
    assert image.collection == products
    assert (image.focal_point_x, image.focal_point_y) == (768, 512)
    assert (image.focal_point_width, image.focal_point_height) == (150, 67)
    assert job.outputs.get().digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA


def test_a_duplicate_delivery_while_the_lease_is_held_does_nothing(fake_api):
    job = jobs.submit_generation("A mug")
    assert leases.claim(job.pk)
    assert tasks.run_job(str(job.pk)) == "skipped"
    assert fake_api.image_calls == 0


def test_a_finished_job_is_never_run_again(fake_api):
    job = run(jobs.submit_generation("A mug"))
    assert tasks.run_job(str(job.pk)) == "skipped"
    assert fake_api.image_calls == 1
    assert job.outputs.count() == 1


def test_a_retry_after_a_crash_reuses_the_stored_response_instead_of_paying_again(fake_api):
    job = jobs.submit_generation("A mug", n=2)
    token = leases.claim(job.pk)
    tasks.call_api(GenerationJob.objects.get(pk=job.pk), token, leases.Heartbeat(job.pk, token))  # ...then dies
    assert fake_api.image_calls == 1
    GenerationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    job = run(job)
    assert job.status == Status.SUCCEEDED
    assert fake_api.image_calls == 1
    assert [stored_bytes(o.image) for o in job.outputs.all()] == fake_api.requests[0].output_images
    assert job.attempts == 2 and job.api_calls == 1 and not job.maybe_charged_twice


def test_a_retry_after_a_crash_mid_call_says_it_may_have_been_charged_twice(fake_api):
    job = jobs.submit_generation("A mug")
    GenerationJob.objects.filter(pk=job.pk).update(api_state=GenerationJob.ApiState.CALLING, attempts=1,
                                                   status=Status.RUNNING)
    job = run(job)
    assert job.status == Status.SUCCEEDED
    assert job.maybe_charged_twice


def test_a_rate_limit_reschedules_with_the_retry_after_and_then_succeeds(fake_api, django_capture_on_commit_callbacks):
    fake_api.inject("rate_limit", retry_after=3)
    job = jobs.submit_generation("A mug")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        job = run(job)
    assert job.status == Status.QUEUED
    assert job.error_code == "rate_limited"
    assert job.next_attempt_at >= before + timedelta(seconds=3)
    if brokers.uses_orm():  # a delayed wake-up, precise to the ORM broker's poll
        assert OrmQ.objects.filter(lock__gte=job.next_attempt_at - timedelta(seconds=1)).exists()
    else:  # the Redis broker cannot delay: a one-off schedule sends the wake-up once it is due
        from django_q.models import Schedule

        wake_up = Schedule.objects.get(func=tasks.RUN_JOB, schedule_type=Schedule.ONCE)
        assert str(job.pk) in wake_up.args and wake_up.next_run == job.next_attempt_at
    assert tasks.run_job(str(job.pk)) == "skipped"  # not before it is due
    make_due(job)
    job = run(job)
    assert job.status == Status.SUCCEEDED and job.error_code == ""
    assert job.attempts == 2 and fake_api.image_calls == 2


TRANSIENT = ["rate_limit", "server_error", "unavailable", "cloudflare_timeout", "hang", "drop_connection",
             "malformed_json", "truncated_base64", "wrong_magic"]
BILLED_FAULTS = {"hang", "drop_connection", "malformed_json", "truncated_base64", "wrong_magic"}
PERMANENT = {
    "moderation_blocked": ("content_rejected", "sexual"),
    "insufficient_quota": ("quota_exceeded", "credit"),
    "comet_invalid_request": ("invalid_request", ""),
    "html_redirect": ("bad_response", "BASE_URL"),
}


@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_faults_are_retried_until_the_job_succeeds(fault, fake_api, settings):
    providers = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN,
                                 "PROVIDERS": {**providers, "default": {**providers["default"], "TIMEOUT": 1}}}
    fake_api.inject(fault)
    job = run(jobs.submit_generation("A mug"))
    assert job.status == Status.QUEUED, (job.error_code, job.error_message)
    assert job.error_message
    make_due(job)
    job = run(job)
    assert job.status == Status.SUCCEEDED
    assert job.outputs.count() == 1
    # A timeout, a dropped connection or a garbled 200 may have been billed; an error answer was not.
    assert job.maybe_charged_twice == (fault in BILLED_FAULTS)


@pytest.mark.parametrize("fault", sorted(PERMANENT))
def test_permanent_faults_fail_the_job_at_once_with_an_editor_message(fault, fake_api):
    code, words = PERMANENT[fault]
    fake_api.inject(fault)
    job = run(jobs.submit_generation("A mug"))
    assert job.status == Status.FAILED
    assert job.error_code == code
    assert words in job.error_message
    assert fake_api.image_calls == 1
    assert not job.outputs.exists()


@pytest.mark.parametrize(("error", "retried", "billed"), [
    (advised(InvalidRequest, True), True, False),  # the API said to try again (x-should-retry: true)
    (advised(ProviderUnavailable, False), False, False),  # ... and not to (x-should-retry: false)
    (ConnectionLost, True, True),
    (UnusableResponse, False, True),
], ids=lambda value: getattr(value, "__qualname__", None))
def test_the_error_class_decides_the_retry_and_the_double_charge_mark(error, retried, billed, fake_api,
                                                                     monkeypatch):
    calls = []
    original = OpenAIImageProvider.run

    def fail_once(provider, request, on_partial=None):
        calls.append(request)
        if len(calls) == 1:
            raise error()
        return original(provider, request, on_partial=on_partial)

    monkeypatch.setattr(OpenAIImageProvider, "run", fail_once)
    job = run(jobs.submit_generation("A mug"))
    assert job.error_code == error.code
    assert job.api_state == (GenerationJob.ApiState.CALLING if billed else GenerationJob.ApiState.NOT_CALLED)
    # The editor's message promises another attempt only when there will be one.
    assert ("will be retried" in job.error_message) is retried
    if not retried:
        assert job.status == Status.FAILED
        return
    assert job.status == Status.QUEUED
    make_due(job)
    job = run(job)
    assert job.status == Status.SUCCEEDED and job.maybe_charged_twice is billed and len(calls) == 2


def test_the_attempts_run_out(fake_api, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "MAX_ATTEMPTS": 2}
    fake_api.inject("server_error", times=5)
    job = run(jobs.submit_generation("A mug"))
    make_due(job)
    job = run(job)
    assert job.status == Status.FAILED
    assert job.error_code == "provider_unavailable"
    assert job.error_message == ("The image service is temporarily unavailable. "
                                 "It failed 2 times; the job was not tried again.")
    assert fake_api.image_calls == 2


def test_the_api_key_appears_in_no_job_row_or_log_line(fake_api, settings, caplog):
    providers = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]
    wrong_key = "sk-wrong-key-that-must-stay-secret"
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        **providers, "default": {**providers["default"], "API_KEY": wrong_key}}}
    caplog.set_level(logging.DEBUG)
    job = run(jobs.submit_generation("A mug"))
    assert job.status == Status.FAILED and job.error_code == "authentication_failed"
    row = json.dumps(list(GenerationJob.objects.filter(pk=job.pk).values())[0], default=str)
    for secret in (wrong_key, wrong_key[:6], FAKE_KEY):
        assert secret not in row
        assert secret not in caplog.text


def test_the_latest_streamed_preview_is_kept_until_the_output_replaces_it(fake_api, monkeypatch):
    seen = []
    original = tasks.store_partial

    def spy(job, token, heartbeat, partial):
        original(job, token, heartbeat, partial)
        stored = GenerationJob.objects.get(pk=job.pk).partial_image.name
        seen.append((partial.index, stored, default_storage.exists(stored)))

    monkeypatch.setattr(tasks, "store_partial", spy)
    job = run(jobs.submit_generation("A mug", partial_images=2))
    assert job.status == Status.SUCCEEDED
    assert [index for index, _name, _exists in seen] == [0, 1]
    assert all(exists for _index, _name, exists in seen)
    assert job.partial_image.name == ""
    assert not default_storage.exists(seen[-1][1])
    assert fake_api.requests[-1].json["stream"] is True


def test_a_job_cancelled_while_the_api_works_saves_no_images(fake_api, monkeypatch):
    job = jobs.submit_generation("A mug")
    original = tasks.outputs.store_result

    def cancel_then_store(job_, result):
        jobs.cancel(job_)
        return original(job_, result)

    monkeypatch.setattr(tasks.outputs, "store_result", cancel_then_store)
    job = run(job)
    assert job.status == Status.CANCELLED
    assert job.actual_cost is not None  # the call was charged, so its cost is recorded
    assert not GenerationOutput.objects.filter(job=job, image__isnull=False).exists()
    assert job.lease_owner == ""


def test_the_reconciler_revives_expired_leases_and_fails_jobs_out_of_attempts(fake_api):
    stuck = jobs.submit_generation("Stuck")
    exhausted = jobs.submit_generation("Exhausted")
    past = timezone.now() - timedelta(seconds=1)
    GenerationJob.objects.filter(pk=stuck.pk).update(status=Status.RUNNING, attempts=1, lease_expires_at=past,
                                                     lease_owner="dead")
    GenerationJob.objects.filter(pk=exhausted.pk).update(status=Status.RUNNING, attempts=5, lease_expires_at=past)
    brokers.purge()
    assert tasks.reconcile() == {"failed": 1, "enqueued": 1}
    assert brokers.queued() == 1
    exhausted.refresh_from_db()
    assert exhausted.status == Status.FAILED and exhausted.error_code == "attempts_exhausted"
    assert run(stuck).status == Status.SUCCEEDED


def test_the_reconciler_leaves_freshly_enqueued_jobs_alone(fake_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.submit_generation("Fresh")
    assert tasks.reconcile() == {"failed": 0, "enqueued": 0}


def test_refining_an_output_edits_that_image(fake_api, make_image):
    source = make_image("Hero", 1024, 1024)
    first = run(jobs.submit_edit([source], "Winter scene", invariants="the house", label="winter"))
    candidate = first.outputs.get()
    second = run(jobs.refine(candidate, "More snow"))
    assert second.status == Status.SUCCEEDED
    sent = fake_api.requests[-1]
    assert sent.files["image"][0].data == stored_bytes(candidate.image)
    assert sent.form["prompt"] == ["More snow\n\nKeep unchanged: the house"]
    kept = jobs.keep(second.outputs.get())
    assert source.imagegen_variants.get(label="winter").image == kept.image


def test_every_image_foreign_key_follows_the_configured_image_model():
    from wagtail.images import get_image_model

    from wagtail_imagegen.models import ImageVariant, JobSourceImage

    for model, field in [(GenerationOutput, "image"), (GenerationJob, "variant_source"), (JobSourceImage, "image"),
                         (ImageVariant, "source"), (ImageVariant, "image")]:
        assert model._meta.get_field(field).related_model is get_image_model()


def test_an_edit_whose_source_file_is_gone_fails_at_once_unbilled_and_unmarked(fake_api, make_image):
    import os

    image = make_image("Red mug", 64, 64)
    job = jobs.submit_edit([image], "Brighter")
    os.remove(image.file.path)
    job = run(job)
    assert job.status == Status.FAILED and job.error_code == "unreadable_source"
    assert "“Red mug” is missing or is not an image" in job.error_message
    assert job.api_state == GenerationJob.ApiState.NOT_CALLED and not job.maybe_charged_twice
    assert fake_api.image_calls == 0
