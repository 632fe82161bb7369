"""Alt text through a real qcluster: an editor keeps a generated image, the keep queues a describe job, the worker
asks the fake's vision model over HTTP and writes the description in the site's language (German here)."""

from __future__ import annotations

import pytest
from django.db import connection
from wagtail.images import get_image_model

from wagtail_imagegen import jobs
from wagtail_imagegen.models import GenerationJob, MachineDescription

from .workers import qcluster, wait_until, worker_db, worker_environment

pytestmark = [pytest.mark.worker, worker_db]
Status, Kind = GenerationJob.Status, GenerationJob.Kind
PROMPT = "A red bicycle leaning on a harbour wall"


def finished(job: GenerationJob) -> GenerationJob | None:
    connection.close()  # see the worker's commits
    row = GenerationJob.objects.get(pk=job.pk)
    return row if row.is_finished else None


def test_a_kept_image_gets_german_alt_text_from_the_worker(use_fake_api, fake_api, editor, editorial, settings,
                                                         tmp_path):
    settings.LANGUAGE_CODE = "de"
    log = tmp_path / "qcluster.log"
    with qcluster(worker_environment(use_fake_api.base_url, IMAGEGEN_TEST_LANGUAGE_CODE="de"), log):
        made = jobs.submit_generation(PROMPT, n=1, quality="low", user=editor)
        made = wait_until(lambda: finished(made), 60, "the generation to finish")
        assert made.status == Status.SUCCEEDED, (made.error_message, log.read_text()[-3000:])
        image = jobs.keep(made.outputs.get(), user=editor).image
        described = GenerationJob.objects.get(kind=Kind.DESCRIBE)
        described = wait_until(lambda: finished(described), 60, "the description to finish")
    assert described.status == Status.SUCCEEDED, (described.error_message, log.read_text()[-3000:])
    image = get_image_model().objects.get(pk=image.pk)
    assert image.description.startswith("Ein Bild, überwiegend in ") and image.description != PROMPT
    assert MachineDescription.objects.get(image=image).job_id == described.pk
    assert described.requested_by == editor and described.described_image_id == image.pk
    assert described.usage["mainline_model"] == "gpt-5.6-luna" and described.actual_cost > 0
    (call,) = [request for request in fake_api.requests if request.path == "/v1/responses"]
    assert PROMPT not in str(call.json) and "in German" in call.json["input"][0]["content"][0]["text"]
