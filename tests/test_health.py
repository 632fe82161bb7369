"""The queue's health: the figures, when it is not OK and why, the command and the public endpoint."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from wagtail_imagegen import health, jobs
from wagtail_imagegen.models import GenerationJob, ReconcilerRun, WorkerPresence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
Status = GenerationJob.Status
SECRET_PROMPT = "A confidential product launch"


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "HEALTH_MAX_QUEUE_WAIT": 120,
                                 "HEALTH_MAX_RECONCILER_AGE": 120, "RECONCILE_SECONDS": 15}


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def waiting_job(seconds: float) -> GenerationJob:
    job = jobs.submit_generation(SECRET_PROMPT)
    GenerationJob.objects.filter(pk=job.pk).update(created_at=ago(seconds))
    return job


def reconciled(seconds_ago: float = 5) -> None:
    ReconcilerRun.objects.create(name=ReconcilerRun.NAME, ran_at=ago(seconds_ago))


def test_a_job_waiting_past_the_threshold_with_no_live_worker_is_not_ok():
    reconciled()
    waiting_job(130)
    WorkerPresence.objects.create(owner="gone", seen_at=ago(46))  # older than three beats
    report = health.check()
    assert not report.ok and report.queued == 1 and 129 < report.oldest_queued_seconds < 140
    assert report.problems == ["A job has waited 130 s and no worker is running."]


def test_a_live_worker_with_a_backlog_is_ok():
    reconciled()
    waiting_job(130)
    WorkerPresence.objects.create(owner="busy", seen_at=ago(10))
    assert health.check().ok


def test_a_reconciler_that_never_ran_or_stopped_is_not_ok():
    assert health.check().problems == ["The reconciler has never run: is a qcluster running?"]
    reconciled(121)
    assert health.check().problems == ["The reconciler has not run for 121 s."]


def test_the_figures_count_running_jobs_heartbeats_take_overs_and_errors():
    reconciled()
    alive, orphaned, failed, done = (jobs.submit_generation(f"Job {i}") for i in range(4))
    GenerationJob.objects.filter(pk=alive.pk).update(status=Status.RUNNING, started_at=ago(20),
                                                     lease_renewed_at=ago(10), lease_expires_at=ago(-35),
                                                     lease_retaken_at=ago(600))
    GenerationJob.objects.filter(pk=orphaned.pk).update(status=Status.RUNNING, started_at=ago(90),
                                                        lease_renewed_at=ago(60), lease_expires_at=ago(15))
    GenerationJob.objects.filter(pk=failed.pk).update(status=Status.FAILED, started_at=ago(30),
                                                      error_code="server_error")
    GenerationJob.objects.filter(pk=done.pk).update(status=Status.SUCCEEDED, started_at=ago(7200),
                                                    lease_retaken_at=ago(7000))
    report = health.check()
    assert (report.running, report.workers_stopped, report.retaken_last_hour) == (2, 1, 1)
    assert [round(age) for age in report.running_heartbeat_ages] == [60, 10]
    assert (report.jobs_last_hour, report.error_rate_last_hour) == (3, 0.333)


def test_the_command_prints_the_figures_and_exits_1_when_not_ok(capsys):
    reconciled()
    call_command("imagegen", "health")
    assert "Health: OK" in capsys.readouterr().out
    waiting_job(130)
    with pytest.raises(CommandError) as failed:
        call_command("imagegen", "health", "--json")
    assert failed.value.returncode == 1 and "no worker is running" in str(failed.value)
    assert json.loads(capsys.readouterr().out)["queued"] == 1


def test_the_endpoint_answers_anyone_with_counts_and_ages_only(client):
    reconciled()
    ok = client.get("/imagegen/health/")
    assert ok.status_code == 200 and ok.json()["ok"] and "no-cache" in ok["Cache-Control"]
    job = waiting_job(130)
    failing = client.get("/imagegen/health/")
    assert failing.status_code == 503 and not failing.json()["ok"]
    body = failing.content.decode()
    assert SECRET_PROMPT not in body and str(job.pk) not in body and "sk-test" not in body
    assert client.post("/imagegen/health/").status_code == 405


def test_superusers_see_the_queue_s_health_on_the_dashboard(admin_client, client, editor):
    waiting_job(130)
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "AI image queue: NOT OK" in html and "no worker is running" in html and "1 queued, 0 running" in html
    client.force_login(editor)
    assert "AI image queue" not in client.get(reverse("wagtailadmin_home")).content.decode()
