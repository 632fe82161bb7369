"""The iteration chain of a job: the original image, each candidate it was refined from, then the job itself."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ..models import GenerationJob, GenerationOutput
from .previews import images_with_previews, preview_url

# A chain longer than this is cut at its oldest end (a guard against a cycle in hand-edited data).
MAX_STEPS = 50


def ancestors(job: GenerationJob) -> list[GenerationOutput]:
    """The candidates this job was refined from, oldest first (one query a step; chains are short)."""
    chain: list[GenerationOutput] = []
    output_id = job.parent_output_id
    while output_id and len(chain) < MAX_STEPS:
        output = GenerationOutput.objects.select_related("job", "image").filter(pk=output_id).first()
        if output is None:
            break
        chain.append(output)
        output_id = output.job.parent_output_id
    return chain[::-1]


def refinements(job: GenerationJob) -> list[GenerationJob]:
    """The jobs that refined one of this job's candidates."""
    return list(GenerationJob.objects.filter(parent_output__job=job).select_related("parent_output"))


def step(job: GenerationJob | None, prompt: str, image: Any) -> dict[str, Any]:
    return {
        "job": str(job.pk) if job else None,
        "kind": job.kind if job else "original",
        "prompt": prompt,
        "url": reverse("wagtail_imagegen:job_detail", args=[job.pk]) if job else None,
        "image": preview_url(image) if image else None,
    }


def chain_payload(job: GenerationJob) -> list[dict[str, Any]]:
    """The steps the tray shows: [the original image], each candidate refined with its job's prompt, this job."""
    outputs = ancestors(job)
    original = (outputs[0].job if outputs else job).variant_source
    ids = [image.pk for image in [original, *(output.image for output in outputs)] if image]
    previews = images_with_previews(ids)
    steps = [step(None, original.title, previews.get(original.pk))] if original else []
    steps += [step(output.job, output.job.prompt, previews.get(output.image_id)) for output in outputs]
    return [*steps, step(job, job.prompt, None)]
