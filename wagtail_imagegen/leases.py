"""Heartbeat leases: who holds a job, and a thread that keeps the hold alive while its worker works.

A lease is short (LEASE_SECONDS) and renewed every third of it, with the same conditional UPDATE on the owner
token that fences every write. So a worker that died is replaced about one lease after its death, whatever the
provider's TIMEOUT; and a worker that was frozen and lost its lease finds out at its next renewal and writes
nothing more.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, connections
from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from . import conf
from .models import GenerationJob

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Status = GenerationJob.Status


class LeaseLost(Exception):
    """Another worker (or a cancellation) took the job over; stop without writing."""


def lease_seconds() -> float:
    return float(conf.setting("LEASE_SECONDS"))


def process_name() -> str:
    """This process as an operator finds it: host, django-q2 cluster, and parent (the cluster's sentinel)/pid."""
    from django_q.conf import Conf

    return f"{socket.gethostname()[:63]}:{str(Conf.CLUSTER_NAME)[:40]}:{os.getppid()}/{os.getpid()}"


def owner_token() -> str:
    """A new lease owner: the process's name plus a random part, so that every claim fences its own writes."""
    return f"{process_name()}:{uuid.uuid4().hex[:12]}"


def claim(job_id: Any, clock: Clock = timezone.now) -> str | None:
    """Claim the job with one conditional UPDATE; the owner token, or None if it is not ours to run."""
    token, now = owner_token(), clock()
    # A running job is claimable only once its lease expired: its worker stopped, and this is a take-over.
    retaken = Case(When(status=Status.RUNNING, then=Value(now)), default=F("lease_retaken_at"),
                   output_field=DateTimeField())
    claimed = GenerationJob.objects.filter(pk=job_id).claimable(now).update(
        status=Status.RUNNING, lease_owner=token, lease_expires_at=now + timedelta(seconds=lease_seconds()),
        lease_renewed_at=now, lease_retaken_at=retaken, attempts=F("attempts") + 1, next_attempt_at=None,
    )
    return token if claimed else None


def renew(job_id: Any, token: str, clock: Clock = timezone.now) -> bool:
    """Extend the lease if `token` still holds it; False when it was lost."""
    now = clock()
    return bool(GenerationJob.objects.filter(pk=job_id, lease_owner=token).update(
        lease_expires_at=now + timedelta(seconds=lease_seconds()), lease_renewed_at=now,
    ))


class Heartbeat:
    """Renews a lease from a thread every third of LEASE_SECONDS while the block runs, until it is lost.

    `confirm()` renews at once from the caller's thread: call it before each write that is not itself fenced
    (files in storage, Wagtail images), so a worker that woke up after losing its lease writes nothing.
    """

    def __init__(self, job_id: Any, token: str, *, clock: Clock = timezone.now) -> None:
        self.job_id, self.token, self.clock = job_id, token, clock
        self.lost = threading.Event()
        self._also: list[Callable[[], None]] = []  # more holds renewed with the lease (an API slot)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"imagegen-heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        # Another thread can neither see nor write rows of an open transaction (the test suite's), so inside
        # one only confirm() renews; workers run jobs outside any transaction.
        if not connection.in_atomic_block:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    @contextmanager
    def renewing(self, renew_also: Callable[[], None]) -> Iterator[None]:
        """Call `renew_also` at each beat for the duration of the block."""
        self._also.append(renew_also)
        try:
            yield
        finally:
            self._also.remove(renew_also)

    def confirm(self) -> None:
        if not renew(self.job_id, self.token, self.clock):
            self.lost.set()
            raise LeaseLost(self.job_id)

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(lease_seconds() / 3):
                if not self._renew():
                    self.lost.set()
                    logger.warning("imagegen job %s: lease lost; this worker stops renewing it", self.job_id)
                    return
        finally:
            connections.close_all()  # this thread's own connections

    def _renew(self) -> bool:
        try:
            held = renew(self.job_id, self.token, self.clock)
            for renew_also in list(self._also) if held else []:
                renew_also()
            return held
        except DatabaseError:
            # A busy database is not a lost lease; two more beats remain before it expires.
            logger.warning("imagegen job %s: could not renew the lease this time", self.job_id, exc_info=True)
            return True
