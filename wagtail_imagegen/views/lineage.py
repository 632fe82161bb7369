"""The iteration chain of a job: the original image, each candidate it was refined from, then the job itself.

Only the steps the user may see in full are shown (permissions.py)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from .. import permissions
from ..models import GenerationJob, GenerationOutput
from .previews import images_with_previews, preview_url

# A chain longer than this is cut at its oldest end (a guard against a cycle in hand-edited data).
MAX_STEPS = 50


def ancestors(job: GenerationJob, user: Any) -> list[GenerationOutput]:
    """The candidates this job was refined from that the user may see, oldest first (one query a step; chains
    are short)."""
    chain: list[GenerationOutput] = []
    output_id = job.parent_output_id
    while output_id and len(chain) < MAX_STEPS:
        output = GenerationOutput.objects.select_related("job", "image").filter(pk=output_id).first()
        if output is None:
            break
        chain.append(output)
        output_id = output.job.parent_output_id
    shown = set(permissions.shown_jobs(user).filter(pk__in=[o.job_id for o in chain]).values_list("pk", flat=True))
    return [output for output in chain[::-1] if output.job_id in shown]


def refinements(job: GenerationJob, user: Any) -> list[GenerationJob]:
    """The jobs the user may see that refined one of this job's candidates."""
    return list(permissions.shown_jobs(user, GenerationJob.objects.filter(parent_output__job=job))
                .select_related("parent_output"))


def step(job: GenerationJob | None, prompt: str, image: Any) -> dict[str, Any]:
    return {
        "job": str(job.pk) if job else None,
        "kind": job.kind if job else "original",
        "prompt": prompt,
        "url": reverse("wagtail_imagegen:jobs:inspect", args=[job.pk]) if job else None,
        "image": preview_url(image) if image else None,
    }


def chain_payload(job: GenerationJob, user: Any) -> list[dict[str, Any]]:
    """The steps the tray shows: [the original image], each candidate refined with its job's prompt, this job."""
    outputs = ancestors(job, user)
    original = (outputs[0].job if outputs else job).variant_source
    if original and not permissions.can_choose_image(user, original):
        original = None
    ids = [image.pk for image in [original, *(output.image for output in outputs)] if image]
    previews = images_with_previews(ids)
    steps = [step(None, original.title, previews.get(original.pk))] if original else []
    steps += [step(output.job, output.job.prompt, previews.get(output.image_id)) for output in outputs]
    return [*steps, step(job, job.prompt, None)]
