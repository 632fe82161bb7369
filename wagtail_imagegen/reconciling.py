"""Prompt reconciling: every qcluster worker says it is alive and, in turn, runs the reconciler.

django-q2's scheduler looks at Schedules only every 30 s, and the every-minute run it enqueues waits behind
the very jobs it should rescue; so a small thread in each worker process (started by django-q2's
`post_spawn` signal, that is also when a qcluster starts) records the worker's presence every
RECONCILE_SECONDS and runs tasks.reconcile when no other worker did within that time. An expired lease is
then taken over within RECONCILE_SECONDS of its expiry; the Schedule stays as a second line.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Q
from django.utils import timezone

from . import conf, tasks
from .leases import process_name
from .models import ReconcilerRun, WorkerPresence

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]
FORGET_AFTER = timedelta(hours=1)  # presence rows of workers gone longer than this are deleted


def reconcile_seconds() -> float:
    return float(conf.setting("RECONCILE_SECONDS"))


def take_turn(now: datetime, period: float) -> bool:
    """True for the one caller that may reconcile now: no run within `period` (one conditional UPDATE)."""
    ReconcilerRun.objects.get_or_create(name=ReconcilerRun.NAME)
    return bool(
        ReconcilerRun.objects.filter(name=ReconcilerRun.NAME)
        .filter(Q(ran_at__isnull=True) | Q(ran_at__lte=now - timedelta(seconds=period)))
        .update(ran_at=now)
    )


def beat(owner: str, clock: Clock = timezone.now) -> dict[str, int] | None:
    """Say `owner` is alive; reconcile if it is this worker's turn. The reconciler's counts, or None."""
    now, period = clock(), reconcile_seconds()
    WorkerPresence.objects.update_or_create(owner=owner, defaults={"seen_at": now},
                                            create_defaults={"started_at": now, "seen_at": now})
    WorkerPresence.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return tasks.reconcile() if take_turn(now, period) else None


class Beacon(threading.Thread):
    """The thread that calls beat() every RECONCILE_SECONDS for as long as its worker process lives."""

    def __init__(self, owner: str, clock: Clock = timezone.now) -> None:
        super().__init__(name="imagegen-reconciler", daemon=True)
        self.owner, self.clock = owner, clock
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                beat(self.owner, self.clock)
            except Exception:  # a database or broker hiccup must not end the thread: try again next beat
                logger.warning("imagegen: the reconciler could not run this time", exc_info=True)
            finally:
                connections.close_all()  # this thread's own: no idle connection held between beats
            if self.stopped.wait(reconcile_seconds()):
                return


def start_beacon(sender: Any = None, proc_name: str = "", **kwargs: Any) -> Beacon | None:
    """django-q2's post_spawn receiver: a beacon in each worker process of a qcluster."""
    # django-q2 also sends post_spawn when it runs a task in-process (sync mode): no beacon there.
    if multiprocessing.parent_process() is None:
        return None
    beacon = Beacon(process_name())
    beacon.start()
    return beacon
