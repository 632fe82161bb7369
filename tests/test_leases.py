"""Heartbeat leases: claimed, renewed and lost with one conditional UPDATE each, on an injected clock."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf

from wagtail_imagegen import jobs, leases, outputs, tasks
from wagtail_imagegen.models import GenerationJob

from .workers import wait_until, worker_db

pytestmark = pytest.mark.usefixtures("use_fake_api")
T0 = timezone.now().replace(microsecond=0)


def at(seconds: float):
    return lambda: T0 + timedelta(seconds=seconds)


def row(job) -> GenerationJob:
    return GenerationJob.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_a_lease_owner_names_its_host_cluster_and_process_and_is_new_for_every_claim():
    first, second = leases.owner_token(), leases.owner_token()
    host, cluster, processes, _nonce = first.split(":")
    assert (host, cluster, processes) == (socket.gethostname()[:63], Conf.CLUSTER_NAME, f"{os.getppid()}/{os.getpid()}")
    assert first != second and len(first) <= GenerationJob._meta.get_field("lease_owner").max_length


@pytest.mark.django_db
def test_a_claim_lasts_lease_seconds_and_each_renewal_extends_it(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "LEASE_SECONDS": 45}
    job = jobs.submit_generation("A mug")
    token = leases.claim(job.pk, clock=at(0))
    assert (row(job).lease_expires_at, row(job).lease_renewed_at, row(job).lease_retaken_at) == (at(45)(), T0, None)
    assert leases.claim(job.pk, clock=at(44)) is None  # held
    assert leases.renew(job.pk, token, clock=at(30))
    assert (row(job).lease_expires_at, row(job).lease_renewed_at) == (at(75)(), at(30)())


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_and_the_first_owner_can_neither_renew_nor_confirm(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "LEASE_SECONDS": 45}
    job = jobs.submit_generation("A mug")
    first = leases.claim(job.pk, clock=at(0))
    second = leases.claim(job.pk, clock=at(46))
    assert second and second != first
    assert row(job).lease_retaken_at == at(46)() and row(job).attempts == 2
    assert not leases.renew(job.pk, first, clock=at(47))
    heartbeat = leases.Heartbeat(job.pk, first, clock=at(47))
    with pytest.raises(leases.LeaseLost):
        heartbeat.confirm()
    assert heartbeat.lost.is_set() and row(job).lease_owner == second


@worker_db
def test_the_heartbeat_renews_the_lease_and_the_api_slot_and_stops_once_the_lease_is_lost(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "LEASE_SECONDS": 0.3}  # a beat every 0.1 s
    job = jobs.submit_generation("A mug")
    token = leases.claim(job.pk)
    claimed, slot_renewals = row(job).lease_renewed_at, []
    with leases.Heartbeat(job.pk, token) as heartbeat, heartbeat.renewing(lambda: slot_renewals.append(1)):
        wait_until(lambda: row(job).lease_renewed_at > claimed and slot_renewals, 5, "a renewal of both")
        GenerationJob.objects.filter(pk=job.pk).update(lease_owner="someone-else")
        wait_until(heartbeat.lost.is_set, 5, "the heartbeat to notice")
        renewed, renewals = row(job).lease_renewed_at, len(slot_renewals)
        wait_until(lambda: not heartbeat._thread.is_alive(), 5, "the heartbeat to stop")
    assert row(job).lease_renewed_at == renewed and len(slot_renewals) == renewals


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_during_the_call_stores_nothing(fake_api, monkeypatch):
    from wagtail_imagegen.providers.openai import OpenAIImageProvider

    job = jobs.submit_generation("A mug")
    original = OpenAIImageProvider.run

    def taken_over_meanwhile(provider, request, on_partial=None):
        GenerationJob.objects.filter(pk=job.pk).update(lease_owner="another-worker")
        return original(provider, request, on_partial=on_partial)

    monkeypatch.setattr(OpenAIImageProvider, "run", taken_over_meanwhile)
    assert tasks.run_job(str(job.pk)) == "lease-lost"
    assert fake_api.image_calls == 1
    assert outputs.load_manifest(job) is None and not job.outputs.exists()
    assert row(job).status == GenerationJob.Status.RUNNING  # the other worker's, untouched
