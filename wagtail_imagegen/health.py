"""The health of the job queue, for `imagegen health`, the health endpoint and the dashboard.

A few aggregate queries, and only counts and ages in the answer (no prompt, no user, no job id, no setting),
so the endpoint can answer load balancers and process managers without a login.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .models import GenerationJob, ReconcilerRun, WorkerPresence

Status = GenerationJob.Status
HOUR = timedelta(hours=1)
RUNNING_SHOWN = 50  # heartbeat ages listed at most (the count is exact)
NOT_PROVIDER_ERRORS = ("", "cancelled", "attempts_exhausted")


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: list[str]
    queued: int
    oldest_queued_seconds: float | None
    running: int
    # Seconds since each running job's last heartbeat, the longest first.
    running_heartbeat_ages: list[float] = field(default_factory=list)
    workers_stopped: int = 0  # running jobs whose worker stopped renewing the lease
    live_workers: int = 0
    retaken_last_hour: int = 0
    reconciler_age_seconds: float | None = None
    jobs_last_hour: int = 0
    error_rate_last_hour: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 1)


def check(now: datetime | None = None) -> Health:
    """The queue's health now; not OK when jobs wait with no live worker, or the reconciler stopped."""
    now = now or timezone.now()
    jobs = GenerationJob.objects
    queue = jobs.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=Status.QUEUED).aggregate(
        count=Count("pk"), oldest=Min(Coalesce("next_attempt_at", "created_at")))
    running = list(jobs.filter(status=Status.RUNNING).values_list("lease_renewed_at", "lease_expires_at"))
    hour = jobs.filter(started_at__gte=now - HOUR).aggregate(
        total=Count("pk"), errors=Count("pk", filter=~Q(error_code__in=NOT_PROVIDER_ERRORS)))
    figures = {
        "queued": queue["count"],
        "oldest_queued_seconds": seconds_since(queue["oldest"], now),
        "running": len(running),
        "running_heartbeat_ages": sorted((seconds_since(renewed, now) or 0.0 for renewed, _expires in running),
                                         reverse=True)[:RUNNING_SHOWN],
        "workers_stopped": sum(1 for _renewed, expires in running if expires and expires < now),
        "live_workers": WorkerPresence.objects.filter(seen_at__gte=now - live_window()).count(),
        "retaken_last_hour": jobs.filter(lease_retaken_at__gte=now - HOUR).count(),
        "reconciler_age_seconds": seconds_since(
            ReconcilerRun.objects.filter(name=ReconcilerRun.NAME).values_list("ran_at", flat=True).first(), now),
        "jobs_last_hour": hour["total"],
        "error_rate_last_hour": round(hour["errors"] / hour["total"], 3) if hour["total"] else None,
    }
    problems = find_problems(figures)
    return Health(ok=not problems, problems=problems, **figures)


def live_window() -> timedelta:
    """A worker is alive while it said so within three of its beats (reconciling.py)."""
    return timedelta(seconds=3 * float(conf.setting("RECONCILE_SECONDS")))


def find_problems(figures: dict[str, Any]) -> list[str]:
    problems = []
    waited, max_wait = figures["oldest_queued_seconds"], float(conf.setting("HEALTH_MAX_QUEUE_WAIT"))
    if waited is not None and waited > max_wait and not figures["live_workers"]:
        problems.append(_("A job has waited %(seconds)d s and no worker is running.") % {"seconds": waited})
    age, max_age = figures["reconciler_age_seconds"], float(conf.setting("HEALTH_MAX_RECONCILER_AGE"))
    if age is None:
        problems.append(_("The reconciler has never run: is a qcluster running?"))
    elif age > max_age:
        problems.append(_("The reconciler has not run for %(seconds)d s.") % {"seconds": age})
    return problems
