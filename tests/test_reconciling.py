"""The workers' reconciler: one turn per period for all workers, presence for the health check, lost wake-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wagtail_imagegen import jobs, reconciling, tasks
from wagtail_imagegen.models import GenerationJob, ReconcilerRun, WorkerPresence

from . import brokers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
T0 = timezone.now().replace(microsecond=0)


def at(seconds: float):
    return lambda: T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def period(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "RECONCILE_SECONDS": 15}


def test_only_one_worker_reconciles_in_each_period():
    assert reconciling.take_turn(T0, 15)
    assert not reconciling.take_turn(at(14)(), 15)
    assert reconciling.take_turn(at(15)(), 15)


def test_each_beat_records_the_worker_and_the_first_in_a_period_reconciles():
    WorkerPresence.objects.create(owner="long-gone", seen_at=T0 - timedelta(hours=2))
    assert reconciling.beat("host:imagegen:1/2", clock=at(0)) == {"failed": 0, "enqueued": 0}
    assert reconciling.beat("host:imagegen:1/3", clock=at(1)) is None
    assert sorted(WorkerPresence.objects.values_list("owner", flat=True)) == ["host:imagegen:1/2", "host:imagegen:1/3"]
    assert ReconcilerRun.objects.get().ran_at is not None


def test_no_beacon_starts_outside_a_qcluster_worker():
    assert reconciling.start_beacon(proc_name="MainProcess") is None


def queued_job(enqueued_seconds_ago: float) -> GenerationJob:
    job = jobs.submit_generation("Waiting")
    GenerationJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(seconds=enqueued_seconds_ago))
    return job


def test_a_queued_job_with_no_message_in_the_broker_is_woken_after_two_periods():
    queued_job(31)
    brokers.purge()  # its message died with the cluster that had prefetched it
    assert tasks.reconcile()["enqueued"] == 1
    assert brokers.queued() == 1


def test_a_queued_job_is_left_alone_while_the_broker_holds_messages():
    queued_job(31)
    brokers.purge()
    tasks.enqueue(jobs.submit_generation("Another").pk)  # a message still waiting: the queue is moving
    assert tasks.reconcile()["enqueued"] == 0


def test_a_queued_job_is_given_two_periods_for_its_message_to_be_taken():
    queued_job(29)
    brokers.purge()  # a pusher took it: it waits in a cluster's prefetch
    assert tasks.reconcile()["enqueued"] == 0
