"""The JSON the editor's scripts read: a job's status for the tray, and a chosen image for the chooser widget.

The status is polled by every open tray once a second, so it costs a constant, small number of queries:
the job, its outputs (serializers.job_as_dict), and — once there are images — those images with their
preview renditions.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.admin_url_finder import AdminURLFinder

from .. import catalog
from ..governance import format_cost
from ..models import GenerationJob
from ..serializers import job_as_dict
from .lineage import chain_payload
from .previews import images_with_previews, preview

Status = GenerationJob.Status


def chosen_data(image: Any) -> dict[str, Any]:
    """What Wagtail's image chooser modal returns for an image (chooser.widget.setStateFromModalData)."""
    rendition = preview(image)
    return {
        "id": image.pk,
        "title": image.title,
        "edit_url": AdminURLFinder().get_edit_url(image),
        "preview": {"url": rendition.url, "width": rendition.width, "height": rendition.height},
        # Never the title: a generated image's title is its prompt, and a prompt is not alt text.
        "default_alt_text": getattr(image, "description", "") or "",
    }


def elapsed_seconds(job: GenerationJob) -> int:
    end = job.finished_at or timezone.now()
    return max(0, int((end - job.created_at).total_seconds()))


ERROR_TITLES = {
    "content_rejected": gettext_lazy("The image service refused this request"),
    "rate_limited": gettext_lazy("The image service is busy"),
    "quota_exceeded": gettext_lazy("The image service account is out of credit"),
    "budget_exceeded": gettext_lazy("The budget for AI images is spent"),
    "attempts_exhausted": gettext_lazy("The job was stopped after too many attempts"),
    "cancelled": gettext_lazy("Cancelled"),
}


def editor_message(job: GenerationJob) -> dict[str, Any] | None:
    """What went wrong, or what the job is waiting for, in an editor's words."""
    if job.status in (Status.FAILED, Status.CANCELLED):
        title = ERROR_TITLES.get(job.error_code, _("The image could not be made"))
        level = "info" if job.status == Status.CANCELLED else "error"
        return {"level": level, "code": job.error_code, "title": str(title),
                "text": _(job.error_message)}  # a reconciler's message was stored in the site's language
    if job.status == Status.QUEUED and job.error_code and job.next_attempt_at:
        seconds = max(0, int((job.next_attempt_at - timezone.now()).total_seconds()))
        text = _("%(message)s Next try in about %(seconds)d s (at %(time)s).") % {
            "message": job.error_message, "seconds": seconds,
            "time": date_format(timezone.localtime(job.next_attempt_at), "TIME_FORMAT"),
        }
        return {"level": "warning", "code": job.error_code, "title": str(ERROR_TITLES.get(
            job.error_code, _("Waiting to try again"))), "text": text, "retry_in": seconds}
    if job.worker_stopped:
        return {"level": "warning", "code": "worker_stopped", "title": _("The worker stopped"),
                "text": _("Another worker will continue the job in about a minute.")}
    return None


def partial_url(job: GenerationJob) -> str | None:
    """The latest streamed preview; the query string makes the browser fetch each new one."""
    if not job.partial_image or job.is_finished:
        return None
    try:
        version = int(job.partial_image.storage.get_modified_time(job.partial_image.name).timestamp() * 1000)
    except (OSError, NotImplementedError):
        version = int(timezone.now().timestamp() * 1000)
    return f"{job.partial_image.url}?v={version}"


def service_label(job: GenerationJob) -> str:
    """"gemini · Nano Banana 2.1": the provider alias and the model's name in the catalog (else its id)."""
    model = catalog.model_spec(job.model)
    return f"{job.provider} · {job.model if model.guessed else model.label}"


def job_payload(job: GenerationJob) -> dict[str, Any]:
    """serializers.job_as_dict plus what the tray shows: progress, the editor message, chosen data."""
    data = job_as_dict(job)
    images = images_with_previews([output["image_id"] for output in data["outputs"] if output["image_id"]])
    for output in data["outputs"]:
        image = images.get(output["image_id"])
        output["chosen"] = chosen_data(image) if image else None
    data.update({
        "status_label": str(job.get_status_display()),
        "kind_label": str(job.get_kind_display()),
        "prompt": job.prompt,
        "invariants": job.invariants,
        "label": job.label,
        "params": job.params,
        "is_finished": job.is_finished,
        "created_at": job.created_at.isoformat(),
        "elapsed": elapsed_seconds(job),
        "partial_url": partial_url(job),
        "message": editor_message(job),
        "cost_label": format_cost(job.cost),
        # Which service and model made it, beside its candidates (one prompt may go to two services).
        "service_label": service_label(job),
        "detail_url": reverse("wagtail_imagegen:jobs:inspect", args=[job.pk]),
        "parent_output": job.parent_output_id,
        "restricted": False,
    })
    return data


def restricted_payload(job: GenerationJob) -> dict[str, Any]:
    """What anyone who may see a restricted job learns of it: that it exists, and how far it is."""
    return {"job": str(job.pk), "kind": job.kind, "status": job.status, "restricted": True,
            "status_label": str(job.get_status_display()), "is_finished": job.is_finished, "outputs": [],
            "detail_url": reverse("wagtail_imagegen:jobs:inspect", args=[job.pk])}


def form_errors(form: Any) -> dict[str, list[str]]:
    """A form's errors by field name ("__all__" for the rest), as the editor's scripts show them."""
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def new_job_payload(job: GenerationJob, user: Any) -> dict[str, Any]:
    """A job just queued, with its iteration chain (which polling leaves out)."""
    return {**job_payload(job), "chain": chain_payload(job, user)}
