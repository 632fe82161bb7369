"""django-q2 tasks: the only code that calls an image provider.

django-q2 guarantees neither exactly-once nor delivery (see the README's architecture section), so
the job row is the source of truth and a message only says "look at job X":

1. A job is claimed with one conditional UPDATE (a lease with an owner token, leases.py); a duplicate
   delivery finds the lease held and returns. The worker renews the short lease while it works (a
   heartbeat), so a dead worker's job is free again about LEASE_SECONDS after the death.
2. The API is called outside any transaction. Its bytes and a manifest go to storage before anything
   else, so a retry after a crash reuses them instead of paying again.
3. Every later write is fenced by the lease token; writes to storage are preceded by a renewal.
4. Transient errors re-schedule the job with backoff (never django-q2's own retry); the reconciler
   (every RECONCILE_SECONDS from the workers, reconciling.py, and a Schedule every minute) revives jobs
   whose message was lost or whose worker died.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import catalog, conf, describing, governance, outputs, pricing, ratelimits, reports
from .catalog import ModelSpec
from .inputs import build_request
from .languages import in_requester_language
from .leases import Heartbeat, LeaseLost, claim, lease_seconds
from .models import GenerationJob, ReconcilerRun
from .provider_files import DatabaseFileCache
from .providers.base import ImageProvider, PartialImage, ProviderError, RateLimited, redact

logger = logging.getLogger(__name__)

RUN_JOB = "wagtail_imagegen.tasks.run_job"
RECONCILE = "wagtail_imagegen.tasks.reconcile"
SCHEDULE_NAME = "wagtail_imagegen.reconcile"
Status, ApiState = GenerationJob.Status, GenerationJob.ApiState


class Deferred(Exception):
    """The provider's rate limit has no room soon enough: try the job again in `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(seconds)


# ---------------------------------------------------------------------------------------------------
# Enqueueing
# ---------------------------------------------------------------------------------------------------


def uses_orm_broker() -> bool:
    from django_q.brokers import get_broker
    from django_q.brokers.orm import ORM

    return isinstance(get_broker(), ORM)


def enqueue(job_id: Any, eta: datetime | None = None) -> None:
    """Send a wake-up for `job_id`, now or at `eta`.

    django-q2 has no eta: the ORM broker gets a message that becomes visible at `eta` (precise to `poll`);
    other brokers get a one-off Schedule (django-q2's scheduler looks about every 30 s).
    """
    from django_q.models import Schedule
    from django_q.tasks import async_task, schedule

    if eta is None:
        async_task(RUN_JOB, str(job_id), ack_failure=True)
    elif uses_orm_broker():
        async_task(RUN_JOB, str(job_id), ack_failure=True, broker=delayed_orm_broker(eta))
    else:
        schedule(RUN_JOB, str(job_id), schedule_type=Schedule.ONCE, next_run=eta, repeats=-1)
    GenerationJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())


def enqueue_on_commit(job_id: Any, eta: datetime | None = None) -> None:
    transaction.on_commit(lambda: enqueue(job_id, eta))


def delayed_orm_broker(eta: datetime) -> Any:
    """An ORM broker whose message becomes visible at `eta` (django-q2 has no eta of its own)."""
    from django_q.brokers.orm import ORM
    from django_q.conf import Conf

    class DelayedORM(ORM):
        def enqueue(self, task: Any) -> int:
            return self.get_connection().create(key=self.list_key or Conf.CLUSTER_NAME, payload=task, lock=eta).pk

    return DelayedORM()


# ---------------------------------------------------------------------------------------------------
# The lease
# ---------------------------------------------------------------------------------------------------


def call_seconds() -> float:
    """The longest a task may live: django-q2 kills it at its timeout + 3 s (or the slowest provider's)."""
    cluster_timeout = (getattr(settings, "Q_CLUSTER", {}) or {}).get("timeout")
    return float(cluster_timeout or max(c.timeout for c in map(conf.provider_config, conf.provider_aliases()))) + 30


def fenced(job: GenerationJob, token: str, **changes: Any) -> None:
    """Write to the job only while we hold its lease."""
    if not GenerationJob.objects.filter(pk=job.pk, lease_owner=token).update(**changes):
        raise LeaseLost(job.pk)
    for field, value in changes.items():
        setattr(job, field, value)


def release(**changes: Any) -> dict[str, Any]:
    return {"lease_owner": "", "lease_expires_at": None, **changes}


# ---------------------------------------------------------------------------------------------------
# The task
# ---------------------------------------------------------------------------------------------------


@in_requester_language
def run_job(job_id: str) -> str:
    """Run one job to its end or its next retry. Safe to call any number of times, concurrently."""
    token = claim(job_id)
    if token is None:
        return "skipped"
    job = GenerationJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        with Heartbeat(job.pk, token) as heartbeat:
            execute(job, token, heartbeat)
    except LeaseLost:
        logger.warning("imagegen job %s: lease lost, another worker or a cancellation took over", job_id)
        return "lease-lost"
    except Deferred as exc:
        return defer(job, token, exc.seconds)
    except ProviderError as exc:
        return handle_provider_error(job, token, exc)
    except ValidationError as exc:  # a source that cannot be read, an image gone, an output refused
        return fail(job, token, getattr(exc, "code", None) or "rejected_output", " ".join(exc.messages))
    except Exception as exc:
        logger.exception("imagegen job %s: unexpected error", job_id)
        return retry_or_fail(job, token, "internal_error", _("An unexpected error stopped the job."),
                             detail=redact(repr(exc), *api_keys()))
    return job.status


def execute(job: GenerationJob, token: str, heartbeat: Heartbeat) -> None:
    if job.started_at is None:
        fenced(job, token, started_at=timezone.now())
    if job.kind == GenerationJob.Kind.DESCRIBE:
        describe(job, token, heartbeat)
        return
    manifest = outputs.load_manifest(job)
    if manifest is None:
        manifest = call_api(job, token, heartbeat)
    record_response(job, token, manifest)
    job.refresh_from_db(fields=["status"])
    if job.status == Status.CANCELLED:
        fenced(job, token, **release())
        return
    for output in job.outputs.order_by("index"):
        heartbeat.confirm()
        outputs.save_as_image(output)
        outputs.discard_raw(output)
    reports.log_generation(job)  # "Generated with AI" in each new image's history
    finish(job, token)


def inline_wait_budget(alias: str) -> float:
    """How long a worker may sleep for a rate-limit slot without risking django-q2's task timeout."""
    cluster_timeout = (getattr(settings, "Q_CLUSTER", {}) or {}).get("timeout")
    if not cluster_timeout:
        return 15.0
    return max(0.0, min(15.0, cluster_timeout - conf.provider_config(alias).timeout - 20))


def wait_for_rate_limit(job: GenerationJob) -> None:
    wait = ratelimits.reserve(job.provider, job.spec.n, max_wait=inline_wait_budget(job.provider))
    if wait is None:
        raise Deferred(ratelimits.wait_hint(job.provider))
    time.sleep(wait)


@contextmanager
def api_slot(job: GenerationJob, heartbeat: Heartbeat) -> Iterator[None]:
    """One of the provider's CONCURRENT_REQUESTS slots (governance.py) for the call, or defer the job; held for
    a lease at a time and renewed with it."""
    with governance.api_slot(job.provider, hold=lease_seconds()) as held:
        if not held:
            raise Deferred(governance.slot_wait())
        with heartbeat.renewing(lambda: held.renew(lease_seconds())):
            yield


@contextmanager
def calling(job: GenerationJob, token: str, heartbeat: Heartbeat) -> Iterator[ImageProvider]:
    """The provider, for one call: a concurrency slot, room in the rate limit, and the call marked as under
    way (a previous attempt that died mid-call may have been charged: the next one says so)."""
    with api_slot(job, heartbeat):
        wait_for_rate_limit(job)
        fenced(job, token, api_state=ApiState.CALLING, api_calls=job.api_calls + 1,
               maybe_charged_twice=job.maybe_charged_twice or job.api_state == ApiState.CALLING)
        with conf.get_provider(job.provider) as provider:
            provider.files = DatabaseFileCache(job.provider, provider.config.api_key)  # inputs uploaded once
            yield provider


def call_api(job: GenerationJob, token: str, heartbeat: Heartbeat) -> dict[str, Any]:
    """Call the provider once; store its bytes before anything else. Returns the stored manifest."""
    request = build_request(job)  # the source files read before anything is sent
    with calling(job, token, heartbeat) as provider:
        started = time.monotonic()
        result = provider.run(request, on_partial=lambda partial: store_partial(job, token, heartbeat, partial))
    job.api_seconds = time.monotonic() - started
    heartbeat.confirm()  # a worker that was frozen past its lease must not store what it got
    return outputs.store_result(job, result)


def describe(job: GenerationJob, token: str, heartbeat: Heartbeat) -> None:
    """Alt text: no bytes to keep, so a retry after a crash calls again (cheap; marked as a possible second
    charge like any call). The text is written and the job finished in one transaction, fenced by the lease."""
    call = describing.prepare(job)  # the image's file read before anything is sent
    with calling(job, token, heartbeat) as provider:
        started = time.monotonic()
        description = call(provider)
    heartbeat.confirm()
    usage = description.usage
    with transaction.atomic():
        outcome = describing.write(job, description)
        fenced(job, token, api_state=ApiState.RESPONDED, usage=usage.as_dict() if usage else None,
               actual_cost=pricing.mainline_cost(usage) if usage else job.estimated_cost,
               provider_request_id=description.request_id or "", response={**job.response, **outcome},
               api_seconds=time.monotonic() - started, error_code="", error_message="", error_detail="")
        if outcome.get("image_deleted"):
            fail(job, token, "image_deleted", str(describing.gone().message))
            return
        if outcome.get("echoed_prompt"):
            fail(job, token, "echoed_prompt", _("The model repeated the image's prompt instead of describing "
                                                "it, so nothing was written."))
            return
        finish(job, token)


def store_partial(job: GenerationJob, token: str, heartbeat: Heartbeat, partial: PartialImage) -> None:
    """Keep the latest streamed preview on the job, for the editor's progress view."""
    heartbeat.confirm()
    extension = outputs.EXTENSIONS.get(partial.mime_type, "png")
    name = outputs.write_file(f"imagegen/partials/{job.pk}.{extension}", partial.data)
    fenced(job, token, partial_image=name)


@transaction.atomic
def record_response(job: GenerationJob, token: str, manifest: dict[str, Any]) -> None:
    usage = outputs.manifest_usage(manifest)
    fenced(
        job, token, api_state=ApiState.RESPONDED, usage=usage.as_dict() if usage else None,
        actual_cost=pricing.cost_of(usage, model_spec_of(job)) if usage else job.estimated_cost,
        provider_request_id=manifest["request_id"], response=manifest["response"],
        api_seconds=job.api_seconds, error_code="", error_message="", error_detail="",
    )
    outputs.create_outputs(job, manifest)


def model_spec_of(job: GenerationJob) -> ModelSpec:
    """The job's model as its provider serves it (a provider removed from settings: the catalog's entry)."""
    try:
        return conf.get_provider(job.provider).model_spec(job.model)
    except ImproperlyConfigured:
        return catalog.model_spec(job.model)


def finish(job: GenerationJob, token: str) -> None:
    partial = job.partial_image.name
    fenced(job, token, **release(status=Status.SUCCEEDED, finished_at=timezone.now(), partial_image=""))
    if partial:
        default_storage.delete(partial)


# ---------------------------------------------------------------------------------------------------
# Failure and retry
# ---------------------------------------------------------------------------------------------------


def api_keys() -> list[str]:
    return [conf.provider_config(alias).api_key or "" for alias in conf.provider_aliases()]


def handle_provider_error(job: GenerationJob, token: str, exc: ProviderError) -> str:
    detail = redact(exc.detail or "", *api_keys())
    # The error's class gives both verdicts. An error answer settles the call; a timeout, a dropped connection
    # or a garbled 200 (base.MayHaveCharged) may have been billed, so the next call is marked as a possible
    # double charge.
    if not exc.may_have_charged:
        job.api_state = ApiState.NOT_CALLED
    if isinstance(exc, RateLimited):
        ratelimits.pause(job.provider, exc.retry_after or backoff(1))
    if exc.retryable:
        return retry_or_fail(job, token, exc.code, exc.message, detail=detail,
                             retry_after=getattr(exc, "retry_after", None))
    return fail(job, token, exc.code, exc.message, detail=detail)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, never sooner than the API asked."""
    base, cap = conf.setting("RETRY_BASE_DELAY"), conf.setting("RETRY_MAX_DELAY")
    delay = min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
    return max(delay, retry_after or 0)


def retry_or_fail(job: GenerationJob, token: str, code: str, message: str, *, detail: str = "",
                  retry_after: float | None = None) -> str:
    """Try a passing failure again later, or give up after max_attempts; the editor's message says which."""
    if job.attempts >= job.max_attempts:
        gave_up = ngettext("It failed %(count)d time; the job was not tried again.",
                           "It failed %(count)d times; the job was not tried again.", job.attempts)
        return fail(job, token, code, f"{message} {gave_up % {'count': job.attempts}}", detail=detail)
    will_retry = _("The job will be retried.")
    message = f"{message} {will_retry}"
    eta = timezone.now() + timedelta(seconds=backoff(job.attempts, retry_after))
    with transaction.atomic():
        fenced(job, token, **release(status=Status.QUEUED, next_attempt_at=eta, api_state=job.api_state,
                                     error_code=code, error_message=message, error_detail=detail))
        enqueue_on_commit(job.pk, eta)
    return "retry"


def defer(job: GenerationJob, token: str, seconds: float) -> str:
    """Put the job back until the rate limit has room; waiting is not a failed attempt."""
    eta = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        fenced(job, token, **release(status=Status.QUEUED, next_attempt_at=eta, attempts=job.attempts - 1))
        enqueue_on_commit(job.pk, eta)
    return "deferred"


def fail(job: GenerationJob, token: str, code: str, message: str, *, detail: str = "") -> str:
    fenced(job, token, **release(status=Status.FAILED, finished_at=timezone.now(), api_state=job.api_state,
                                 error_code=code, error_message=message, error_detail=detail))
    return Status.FAILED


# ---------------------------------------------------------------------------------------------------
# The reconciler
# ---------------------------------------------------------------------------------------------------


def stale_after() -> timedelta:
    """How long a wake-up may wait in the queue (behind calls as long as call_seconds) before the reconciler
    sends another one."""
    return timedelta(seconds=call_seconds())


def lost_messages_before(now: datetime) -> datetime:
    """Queued jobs enqueued before this have presumably lost their wake-up: after stale_after, or after two
    reconciler periods when the broker shows no message at all (the message then died with a cluster that
    had prefetched it, or waits in a live cluster's prefetch, where a second one is harmless)."""
    from django_q.brokers import get_broker

    if get_broker().queue_size() == 0:
        return now - timedelta(seconds=2 * float(conf.setting("RECONCILE_SECONDS")))
    return now - stale_after()


def reconcile() -> dict[str, int]:
    """Fail jobs out of attempts, and wake jobs that are due but have no live message or lease."""
    now = timezone.now()
    idle = GenerationJob.objects.active().exclude(lease_expires_at__gt=now)
    exhausted = idle.filter(attempts__gte=F("max_attempts")).update(
        status=Status.FAILED, finished_at=now, lease_owner="", lease_expires_at=None,
        error_code="attempts_exhausted",
        error_message=_("The job was stopped after too many attempts. Try again later."),
    )
    due = list(
        GenerationJob.objects.claimable(now)
        .exclude(status=Status.QUEUED, enqueued_at__gte=lost_messages_before(now))
        .values_list("pk", flat=True)
    )
    for job_id in due:
        enqueue(job_id)
    ReconcilerRun.objects.update_or_create(name=ReconcilerRun.NAME,
                                           defaults={"ran_at": now, "enqueued": len(due), "failed": exhausted})
    return {"failed": exhausted, "enqueued": len(due)}


def ensure_schedule(**kwargs: Any) -> None:
    """Create the every-minute reconciler schedule once (called after migrate)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": RECONCILE, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
