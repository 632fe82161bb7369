"""Broker-agnostic views of django-q2's queue, so the suite runs on the ORM and the Redis broker alike."""

from __future__ import annotations

from django.conf import settings
from django_q.brokers import get_broker
from django_q.models import OrmQ


def uses_orm() -> bool:
    return "orm" in settings.Q_CLUSTER


def queued() -> int:
    """Wake-up messages waiting in the queue (delayed ones included on the ORM broker)."""
    if uses_orm():
        return OrmQ.objects.count()
    return get_broker().queue_size()


def purge() -> None:
    get_broker().purge_queue()
