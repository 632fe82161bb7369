"""Provider-wide rate limits shared by every worker on every machine.

A generic cell rate algorithm (GCRA): one "theoretical arrival time" per limit, advanced with a
compare-and-set UPDATE on a database row. The database is what every worker already shares, and unlike
Django's cache API it offers an atomic compare-and-set, so N workers on N machines together stay exactly
under the API's images- and requests-per-minute limits, with no bursts. A 429 from the API pushes the
arrival time past its retry-after, which slows every worker down at once.

WAGTAIL_IMAGEGEN["RATE_LIMITS"] = {"default": {"IMAGES_PER_MINUTE": 60, "REQUESTS_PER_MINUTE": 50}}
(keyed by provider alias).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from . import conf
from .models import RateLimitState

# A little under the API's own rate, so clock skew and the API's window edges never tip us over.
SAFETY = 1.03


@dataclass(frozen=True)
class Limit:
    key: str
    interval: float  # seconds per unit
    units: int


def limits_for(alias: str, images: int) -> list[Limit]:
    settings = (conf.setting("RATE_LIMITS") or {}).get(alias) or {}
    limits = []
    if settings.get("IMAGES_PER_MINUTE"):
        limits.append(Limit(f"{alias}:images", SAFETY * 60 / settings["IMAGES_PER_MINUTE"], images))
    if settings.get("REQUESTS_PER_MINUTE"):
        limits.append(Limit(f"{alias}:requests", SAFETY * 60 / settings["REQUESTS_PER_MINUTE"], 1))
    return limits


def state(key: str) -> float:
    try:
        return RateLimitState.objects.get(pk=key).tat
    except RateLimitState.DoesNotExist:
        try:
            with transaction.atomic():
                RateLimitState.objects.create(key=key, tat=0.0)
        except IntegrityError:
            pass  # another worker created it first
        return RateLimitState.objects.get(pk=key).tat


def reserve_one(limit: Limit, max_wait: float) -> float:
    """Reserve `limit.units` now or within `max_wait`; the seconds to wait, or -seconds when it is too far off."""
    while True:
        now = time.time()
        tat = state(limit.key)
        start = max(tat, now)
        if start - now > max_wait:
            return -(start - now)
        if RateLimitState.objects.filter(pk=limit.key, tat=tat).update(tat=start + limit.interval * limit.units):
            return start - now
        # Another worker moved the arrival time between our read and write: read it again.


def reserve(alias: str, images: int, max_wait: float) -> float | None:
    """Reserve room for one call of `images` images. Returns the seconds to sleep before calling, or None
    when the call is more than `max_wait` seconds away (the caller should reschedule; use `wait_hint`).
    """
    paused = paused_for(alias)
    if paused > max_wait:
        return None
    waits = [paused]
    for limit in limits_for(alias, images):
        wait = reserve_one(limit, max_wait)
        if wait < 0:
            return None
        waits.append(wait)
    return max(waits)


def wait_hint(alias: str) -> float:
    """Seconds until the provider's limits have room again (for rescheduling)."""
    now = time.time()
    return max([paused_for(alias), *(state(limit.key) - now for limit in limits_for(alias, 1))])


def pause(alias: str, seconds: float) -> None:
    """The API said 429: no worker calls this provider for `seconds`."""
    until = time.time() + seconds
    for limit in limits_for(alias, 1) or [Limit(f"{alias}:images", 0, 0)]:
        state(limit.key)
        RateLimitState.objects.filter(pk=limit.key, tat__lt=until).update(tat=until)


def paused_for(alias: str) -> float:
    """Seconds left of a pause set by `pause()` (0 when calls may go ahead)."""
    keys = [limit.key for limit in limits_for(alias, 1)] or [f"{alias}:images"]
    latest = max(RateLimitState.objects.filter(pk__in=keys).values_list("tat", flat=True), default=0.0)
    return max(0.0, latest - time.time())
