"""Plain-dict views of jobs, shared by the CLI's --json output and the admin's status endpoint."""

from __future__ import annotations

from typing import Any

from .models import GenerationJob, GenerationOutput


def output_as_dict(output: GenerationOutput) -> dict[str, Any]:
    image = output.image
    return {
        "id": output.pk,
        "index": output.index,
        "state": output.state,
        "image_id": image.pk if image else None,
        "title": image.title if image else None,
        "width": image.width if image else None,
        "height": image.height if image else None,
        "url": image.file.url if image else None,
        "sha256": output.sha256,
    }


def job_as_dict(job: GenerationJob) -> dict[str, Any]:
    """The job as the `imagegen --json` interface documents it."""
    error = {"code": job.error_code, "message": job.error_message} if job.status == job.Status.FAILED else None
    return {
        "job": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "error": error,
        "outputs": [output_as_dict(output) for output in job.outputs.select_related("image")],
        "usage": job.usage,
        "cost_usd": str(job.cost),
        "estimated_cost_usd": str(job.estimated_cost),
        "attempts": job.attempts,
        "provider": job.provider,
        "model": job.model,
        "maybe_charged_twice": job.maybe_charged_twice,
    }
