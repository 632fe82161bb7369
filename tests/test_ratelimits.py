"""Provider-wide rate limits shared by all workers, and how the worker honours them."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection

from wagtail_imagegen import jobs, ratelimits, tasks
from wagtail_imagegen.models import GenerationJob, RateLimitState

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN,
                                 "RATE_LIMITS": {"default": {"IMAGES_PER_MINUTE": 60, "REQUESTS_PER_MINUTE": 600}}}


@pytest.fixture
def frozen_clock(monkeypatch):
    """The limiter's clock stands still, so the waits are exact, however slow the machine is today."""
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: 1_000_000.0))


@pytest.mark.usefixtures("limited", "frozen_clock")
def test_reservations_are_spaced_by_the_images_per_minute():
    interval = ratelimits.SAFETY * 60 / 60
    waits = [ratelimits.reserve("default", images=1, max_wait=10) for _ in range(4)]
    assert waits == pytest.approx([0, interval, 2 * interval, 3 * interval])
    two = ratelimits.reserve("default", images=2, max_wait=10)
    assert ratelimits.reserve("default", images=1, max_wait=30) - two == pytest.approx(2 * interval)


@pytest.mark.usefixtures("limited", "frozen_clock")
def test_a_reservation_too_far_off_is_refused_and_costs_nothing():
    ratelimits.reserve("default", images=5, max_wait=10)
    before = RateLimitState.objects.get(pk="default:images").tat
    assert ratelimits.reserve("default", images=1, max_wait=1) is None
    assert RateLimitState.objects.get(pk="default:images").tat == before
    assert ratelimits.wait_hint("default") == pytest.approx(5 * ratelimits.SAFETY)


def test_without_limits_only_a_pause_holds_calls_back():
    assert ratelimits.reserve("default", images=10, max_wait=0) == 0
    ratelimits.pause("default", 20)
    assert ratelimits.reserve("default", images=1, max_wait=5) is None
    assert ratelimits.paused_for("default") == pytest.approx(20, abs=0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("limited")
def test_concurrent_workers_never_get_the_same_slot():
    """20 reservations from 4 threads at once take 20 slots one interval apart: the arrival time ends exactly
    20 intervals after the first slot. A slot given twice would leave it an interval short.

    (Checked on the stored arrival time, not on wall-clock times taken around each call: those drift by
    however long a thread waits for the database lock, and made an earlier form of this test flaky.)
    """
    ratelimits.state("default:images")
    ratelimits.state("default:requests")
    interval = ratelimits.SAFETY * 60 / 60
    granted: list[float] = []
    returned: list[float] = []

    def worker() -> None:
        for _ in range(5):
            wait = ratelimits.reserve("default", images=1, max_wait=60)
            returned.append(time.time())
            if wait is not None:
                granted.append(wait)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    before = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 20
    first_slot = RateLimitState.objects.get(pk="default:images").tat - 20 * interval
    assert before <= first_slot <= min(returned)


@pytest.mark.usefixtures("limited", "use_fake_api")
def test_a_job_without_room_is_deferred_without_using_an_attempt(fake_api):
    ratelimits.reserve("default", images=30, max_wait=60)
    job = jobs.submit_generation("A mug")
    assert tasks.run_job(str(job.pk)) == "deferred"
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.QUEUED and job.attempts == 0
    assert job.next_attempt_at is not None
    assert fake_api.image_calls == 0


@pytest.mark.usefixtures("use_fake_api")
def test_a_429_pauses_the_provider_for_every_worker(fake_api):
    fake_api.inject("rate_limit", retry_after=30)
    tasks.run_job(str(jobs.submit_generation("A mug").pk))
    assert ratelimits.paused_for("default") == pytest.approx(30, abs=1)
    assert tasks.run_job(str(jobs.submit_generation("Another mug").pk)) == "deferred"
    assert fake_api.image_calls == 1
