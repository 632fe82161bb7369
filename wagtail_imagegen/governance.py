"""Who may spend what, and how fast: monthly budgets, per-user submissions per minute, and a cap on the
API calls a provider has in flight at once.

Everything shared lives in the database, like the provider-wide rate limits of ratelimits.py (whose GCRA
this module reuses): Django's cache API has no compare-and-set, so it cannot keep N workers on N machines
under a limit.

WAGTAIL_IMAGEGEN["BUDGETS"] = {"SITE": 500, "PER_USER": 25, "USERS": {"alice": 100}, "GROUPS": {"Marketing": 200}}
(US dollars a calendar month); WAGTAIL_IMAGEGEN["USER_SUBMISSIONS_PER_MINUTE"] = 10;
WAGTAIL_IMAGEGEN["RATE_LIMITS"]["default"]["CONCURRENT_REQUESTS"] = 4.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, DecimalField, Expression, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import conf, ratelimits
from .models import BudgetLock, ConcurrencySlot, GenerationJob

ZERO = Decimal(0)
MONEY = DecimalField(max_digits=12, decimal_places=6)
# A job that finds every API slot taken tries again after about this many seconds.
SLOT_RETRY_SECONDS = 3.0


# ---------------------------------------------------------------------------------------------------
# Spend
# ---------------------------------------------------------------------------------------------------


def spend() -> Expression:
    """What a job costs: the API's usage once known, the estimate while it runs, nothing if it never ran."""
    pending = Case(When(status__in=GenerationJob.ACTIVE_STATUSES, then="estimated_cost"), default=Value(ZERO),
                   output_field=MONEY)
    return Coalesce("actual_cost", pending, output_field=MONEY)


def month_start(now: datetime | None = None) -> datetime:
    """Midnight on the first day of this month, in the current time zone."""
    return timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def this_month() -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(created_at__gte=month_start())


def total_spend(jobs: QuerySet[GenerationJob]) -> Decimal:
    return jobs.aggregate(total=Sum(spend()))["total"] or ZERO


def format_usd(amount: Decimal, places: int = 2) -> str:
    # The active language's separators: US$1,234.567 in English, 1.234,567 US$ in German.
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-places))  # number_format would truncate
    return _("US$%(amount)s") % {"amount": number_format(rounded, decimal_pos=places, force_grouping=True)}


def format_cost(amount: Decimal | None) -> str:
    """A job's or a report's cost, to a tenth of a cent (a low-quality image costs about one cent)."""
    return format_usd(amount or ZERO, places=3)


# ---------------------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """One monthly budget that applies to a submission, and what is spent of it this month."""

    key: str  # "site", "user", "group0", ...
    scope: str  # said to the editor: "the site", "you", "the group “Marketing”"
    limit: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.limit - self.spent)


def budget_settings() -> dict[str, Any]:
    return conf.setting("BUDGETS") or {}


def user_limit(user: Any) -> Any:
    """The user's own monthly budget: USERS[username], else PER_USER, else None."""
    settings = budget_settings()
    return (settings.get("USERS") or {}).get(user.get_username(), settings.get("PER_USER"))


def group_members(name: str) -> QuerySet:
    return get_user_model().objects.filter(groups__name=name).values("pk")


def applicable_limits(user: Any, provider: str | None = None) -> dict[str, tuple[str, Any, Q]]:
    """Each budget that applies to `user` on `provider`: key -> (scope, limit, which jobs count against it)."""
    settings = budget_settings()
    limits: dict[str, tuple[str, Any, Q]] = {}
    if settings.get("SITE") is not None:
        limits["site"] = (_("the site"), settings["SITE"], Q())
    provider_limit = (settings.get("PROVIDERS") or {}).get(provider) if provider else None
    if provider_limit is not None:  # one image service's own monthly cap, whoever submits
        limits["provider"] = (_("the image service “%(alias)s”") % {"alias": provider}, provider_limit,
                              Q(provider=provider))
    if user is None:
        return limits
    if user_limit(user) is not None:
        limits["user"] = (_("you"), user_limit(user), Q(requested_by=user))
    groups = settings.get("GROUPS") or {}
    for index, name in enumerate(sorted(set(groups) & set(user.groups.values_list("name", flat=True)))):
        scope = _("the group “%(name)s”") % {"name": name}
        limits[f"group{index}"] = (scope, groups[name], Q(requested_by__in=group_members(name)))
    return limits


def budgets_for(user: Any, provider: str | None = None) -> list[Budget]:
    """The budgets a submission by `user` (to `provider`) must fit in, with this month's spend (one query)."""
    limits = applicable_limits(user, provider)
    if not limits:
        return []
    spent = this_month().aggregate(**{key: Sum(spend(), filter=where) for key, (_s, _l, where) in limits.items()})
    return [Budget(key, scope, Decimal(str(limit)), spent[key] or ZERO) for key, (scope, limit, _w) in limits.items()]


def check_budgets(user: Any, cost: Decimal, provider: str | None = None) -> None:
    """Refuse a submission whose estimate does not fit in what is left of a monthly budget."""
    for budget in budgets_for(user, provider):
        if cost > budget.remaining:
            raise ValidationError(
                _("This request would cost about %(cost)s, but only %(remaining)s is left of this month's "
                  "budget for AI images for %(scope)s (%(limit)s). Ask an administrator to raise the budget, "
                  "or choose a lower quality or fewer images.") % {
                    "cost": format_usd(cost), "remaining": format_usd(budget.remaining),
                    "scope": budget.scope, "limit": format_usd(budget.limit)},
                code="budget_exceeded",
            )


def lock_budgets() -> None:
    """Hold the budget row lock until the transaction ends (SQLite's IMMEDIATE transactions already do), so
    two submissions cannot both spend the last dollar."""
    BudgetLock.objects.select_for_update().get_or_create(name=BudgetLock.NAME)


# ---------------------------------------------------------------------------------------------------
# Per-user submissions per minute
# ---------------------------------------------------------------------------------------------------


def check_submission_rate(user: Any) -> None:
    """Count one submission against USER_SUBMISSIONS_PER_MINUTE (a whole bulk batch is one).

    ratelimits.py's GCRA with a burst of a minute's worth: N at once, then one every 60/N seconds.
    """
    per_minute = conf.setting("USER_SUBMISSIONS_PER_MINUTE")
    if user is None or not per_minute:
        return
    interval = 60 / per_minute
    limit = ratelimits.Limit(f"user:{user.pk}:submissions", interval, 1)
    wait = ratelimits.reserve_one(limit, max_wait=60 - interval)
    if wait < 0:
        seconds = max(1, round(-wait - (60 - interval)))
        raise ValidationError(
            _("You have sent %(limit)d requests for AI images in the last minute, the most allowed. "
              "Try again in %(seconds)d s.") % {"limit": per_minute, "seconds": seconds},
            code="rate_limited",
        )


# Set inside one_submission(): the admissions inside it have been counted already.
_counted_submission: ContextVar[bool] = ContextVar("imagegen_counted_submission", default=False)


@contextmanager
def one_submission(user: Any) -> Iterator[None]:
    """Count everything submitted inside as one submission (one click in the editor that queues a job on two
    image services side by side); the jobs' budgets are still checked one by one."""
    check_submission_rate(user)
    with counted_already():
        yield


@contextmanager
def counted_already() -> Iterator[None]:
    """What is submitted inside follows from something the user did and was counted for (a description queued
    because they kept an image): it does not count against USER_SUBMISSIONS_PER_MINUTE again."""
    token = _counted_submission.set(True)
    try:
        yield
    finally:
        _counted_submission.reset(token)


@contextmanager
def admission(user: Any, cost: Decimal, provider: str | None = None) -> Iterator[None]:
    """Admit a submission of estimated `cost`: the jobs created inside count at once against the budgets.

    Raises ValidationError (nothing is reserved or created) when a budget or the submission rate says no.
    """
    with transaction.atomic():
        if not _counted_submission.get():
            check_submission_rate(user)
        if budget_settings():
            lock_budgets()
            check_budgets(user, cost, provider)
        yield


# ---------------------------------------------------------------------------------------------------
# Concurrent API calls per provider
# ---------------------------------------------------------------------------------------------------


def concurrency_cap(alias: str) -> int:
    return int(((conf.setting("RATE_LIMITS") or {}).get(alias) or {}).get("CONCURRENT_REQUESTS") or 0)


@dataclass(frozen=True)
class Slot:
    """A held slot: its row, and the expiry written into it (which also identifies the holder)."""

    key: str
    expires: float


def acquire_slot(alias: str, hold: float) -> Slot | None:
    """Take a free slot of the provider's cap for at most `hold` seconds, or None when all are taken.

    A slot is a row whose value is its holder's expiry: one conditional UPDATE takes a free or expired
    slot, so a worker that died holding one frees it when `hold` runs out.
    """
    keys = [f"{alias}:slot:{index}" for index in range(concurrency_cap(alias))]
    ConcurrencySlot.objects.bulk_create([ConcurrencySlot(key=key) for key in keys], ignore_conflicts=True)
    random.shuffle(keys)  # spread the workers over the rows
    for key in keys:
        now = time.time()
        expires = now + hold
        if ConcurrencySlot.objects.filter(pk=key, expires__lt=now).update(expires=expires):
            return Slot(key, expires)
    return None


def slot_wait() -> float:
    """When a job that found no free slot should look again (jittered, so waiting jobs do not stampede)."""
    return SLOT_RETRY_SECONDS * random.uniform(0.5, 1.5)  # noqa: S311


def release_slot(slot: Slot) -> None:
    ConcurrencySlot.objects.filter(pk=slot.key, expires=slot.expires).update(expires=0.0)


def renew_slot(slot: Slot, hold: float) -> Slot | None:
    """The slot held for another `hold` seconds; None if it had expired and another worker took it."""
    expires = time.time() + hold
    if ConcurrencySlot.objects.filter(pk=slot.key, expires=slot.expires).update(expires=expires):
        return Slot(slot.key, expires)
    return None


class SlotHold:
    """What api_slot yields: true when the call may go; `renew()` keeps a held slot for a long call (from the
    job's heartbeat thread, hence the lock), so a dead worker's slot frees after one short hold."""

    def __init__(self, slot: Slot | None, free: bool) -> None:
        self.slot, self.free = slot, free
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return self.free

    def renew(self, hold: float) -> None:
        with self._lock:
            if self.slot is not None:
                self.slot = renew_slot(self.slot, hold) or self.slot

    def release(self) -> None:
        with self._lock:
            if self.slot is not None:
                release_slot(self.slot)


@contextmanager
def api_slot(alias: str, hold: float) -> Iterator[SlotHold]:
    """Hold one of the provider's CONCURRENT_REQUESTS slots for the block; yields a false SlotHold when none is
    free (always true when the provider has no cap)."""
    if not concurrency_cap(alias):
        yield SlotHold(None, True)
        return
    slot = acquire_slot(alias, hold)
    held = SlotHold(slot, slot is not None)
    try:
        yield held
    finally:
        held.release()
