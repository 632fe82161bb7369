"""Work done for someone, in their language: a worker writes a job's messages and titles in the words of the
editor who asked (Wagtail's UserProfile.preferred_language), as the admin would have shown them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation

Task = TypeVar("Task", bound=Callable[..., Any])


def requester_language(job_id: Any) -> str:
    """The preferred admin language of whoever requested the job; the site's language for scripts."""
    from wagtail.users.models import UserProfile

    from .models import GenerationJob

    user_id = GenerationJob.objects.filter(pk=job_id).values_list("requested_by_id", flat=True).first()
    language = user_id and UserProfile.objects.filter(user_id=user_id).values_list(
        "preferred_language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def in_requester_language(task: Task) -> Task:
    """Run a task that takes a job id first with the requester's language active."""
    @functools.wraps(task)
    def run(job_id: Any, *args: Any, **kwargs: Any) -> Any:
        with translation.override(requester_language(job_id)):
            return task(job_id, *args, **kwargs)

    return run  # type: ignore[return-value]
