"""Real qcluster processes: a worker SIGKILLed in flight, then a new one, finishes the job exactly once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone
from wagtail.images import get_image_model

from wagtail_imagegen import jobs, tasks
from wagtail_imagegen.models import GenerationJob

from .workers import kill_group, qcluster, wait_until, worker_db, worker_environment

pytestmark = [pytest.mark.worker, worker_db]
Status = GenerationJob.Status


def job_row(job: GenerationJob) -> GenerationJob:
    connection.close()  # see the workers' commits, not a stale snapshot
    return GenerationJob.objects.get(pk=job.pk)


def expire_lease(job: GenerationJob) -> None:
    """What waiting out the lease would do, without the wait."""
    GenerationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())


def stored_bytes(image) -> bytes:
    with image.open_file() as handle:
        return handle.read()


def finish_with_new_worker(job, env, log) -> GenerationJob:
    expire_lease(job)
    with qcluster(env, log):
        tasks.reconcile()  # the every-minute schedule, run now
        return wait_until(lambda: (row := job_row(job)).is_finished and row, 60, "the job to finish")


def test_a_worker_killed_while_the_api_works_is_replaced_and_the_job_completes_once(
    use_fake_api, fake_api, tmp_path
):
    fake_api.latency = 3
    env = worker_environment(use_fake_api.base_url)
    log = tmp_path / "qcluster.log"
    with qcluster(env, log) as cluster:
        job = jobs.submit_generation("A lighthouse at dusk", n=2)
        wait_until(lambda: fake_api.image_calls == 1, 30, "the worker to call the API")
        kill_group(cluster)
    assert job_row(job).status == Status.RUNNING
    job = finish_with_new_worker(job, env, log)
    assert job.status == Status.SUCCEEDED, (job.error_message, log.read_text()[-3000:])
    assert fake_api.image_calls == 2  # the first call never got its answer home
    assert job.maybe_charged_twice
    images = get_image_model().objects.all()
    assert images.count() == 2
    assert sorted(stored_bytes(i) for i in images) == sorted(fake_api.requests[-1].output_images)


def test_a_worker_killed_after_the_api_answered_never_calls_it_again(use_fake_api, fake_api, tmp_path):
    marker = tmp_path / "saving-started"
    env = worker_environment(use_fake_api.base_url, IMAGEGEN_TEST_SAVE_MARKER=str(marker))
    log = tmp_path / "qcluster.log"
    with qcluster(env, log) as cluster:
        job = jobs.submit_generation("A lighthouse at dawn", n=3)
        wait_until(marker.exists, 30, "the worker to start saving the first image")
        kill_group(cluster)
    assert fake_api.image_calls == 1
    job = finish_with_new_worker(job, env, log)
    assert job.status == Status.SUCCEEDED, (job.error_message, log.read_text()[-3000:])
    assert fake_api.image_calls == 1
    assert not job.maybe_charged_twice
    images = get_image_model().objects.order_by("pk")
    assert [stored_bytes(i) for i in images] == fake_api.requests[0].output_images
    assert [o.image_id for o in job.outputs.order_by("index")] == [i.pk for i in images]
