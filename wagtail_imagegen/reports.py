"""What was spent and what happened: usage figures for the report and the dashboard, and the audit trail
(Wagtail log entries on the images, so generation, keep, discard and variant changes show in their history).
"""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter, log

from .governance import spend
from .models import GenerationJob, GenerationOutput

GENERATE = "wagtail_imagegen.generate"
KEEP = "wagtail_imagegen.keep"
DISCARD = "wagtail_imagegen.discard"
VARIANT = "wagtail_imagegen.variant"
# Long prompts are cut in log entries; the job keeps the whole prompt.
LOGGED_PROMPT_CHARS = 200


# ---------------------------------------------------------------------------------------------------
# Usage
# ---------------------------------------------------------------------------------------------------


def images_made() -> Subquery:
    """How many images a job's call returned (what the API billed for), whether or not they were kept."""
    outputs = GenerationOutput.objects.filter(job=OuterRef("pk")).order_by().values("job")
    return Subquery(outputs.annotate(count=Count("pk")).values("count"), output_field=IntegerField())


def usage_figures() -> dict[str, Any]:
    """The aggregates of the report, for any grouping of jobs."""
    tokens = Cast(KT("usage__total_tokens"), BigIntegerField())
    return {
        "jobs": Count("pk"),
        "images": Coalesce(Sum(images_made()), Value(0)),
        "tokens": Coalesce(Sum(tokens), Value(0), output_field=BigIntegerField()),
        "cost": Sum(spend()),
    }


def usage_rows(jobs: QuerySet[GenerationJob], *, per_user: bool = True) -> QuerySet:
    """One row a user (unless not `per_user`), month and model: jobs, images, tokens and cost (newest month
    first)."""
    keys = ["requested_by", "month", "model"] if per_user else ["month", "model"]
    return (
        jobs.order_by()
        .annotate(month=TruncMonth("created_at"))
        .values(*keys)
        .annotate(**usage_figures())
        .order_by("-month", *[key for key in keys if key != "month"])
    )


def usage_totals(jobs: QuerySet[GenerationJob]) -> dict[str, Any]:
    return jobs.order_by().aggregate(**usage_figures())


# ---------------------------------------------------------------------------------------------------
# The audit trail
# ---------------------------------------------------------------------------------------------------


class EntryData(dict):
    """A log entry's data for a message template; a missing key prints as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


class ImagegenLogFormatter(LogFormatter):
    template: Any = ""  # %(name)s placeholders, filled from the entry's data

    def format_message(self, log_entry: Any) -> str:
        return str(self.template) % EntryData(log_entry.data or {})


class GenerateFormatter(ImagegenLogFormatter):
    label = _("Generate with AI")
    template = _("Generated with AI (%(model)s): “%(prompt)s”")


class KeepFormatter(ImagegenLogFormatter):
    label = _("Keep AI image")
    template = _("Kept this AI image")


class DiscardFormatter(ImagegenLogFormatter):
    label = _("Discard AI image")
    template = _("Discarded this AI image")


class VariantFormatter(ImagegenLogFormatter):
    label = _("Change AI variant")
    template = _("Set the “%(label)s” variant to “%(image_title)s”")


FORMATTERS = {GENERATE: GenerateFormatter, KEEP: KeepFormatter, DISCARD: DiscardFormatter, VARIANT: VariantFormatter}


def register_log_actions(actions: Any) -> None:
    for action, formatter in FORMATTERS.items():
        actions.register_action(action)(formatter)


def log_generation(job: GenerationJob) -> None:
    """Each image a job made: "Generated with AI", by whoever asked for it."""
    data = {"job": str(job.pk), "model": job.model, "prompt": job.prompt[:LOGGED_PROMPT_CHARS],
            "source": job.variant_source_id}
    for output in job.outputs.select_related("image").exclude(image=None):
        log(output.image, GENERATE, user=job.requested_by, data={**data, "output": output.pk})


def log_kept(output: GenerationOutput, *, user: Any, label: str) -> None:
    """The kept image; with a label, the source image's variant change too."""
    log(output.image, KEEP, user=user, data={"job": str(output.job_id), "output": output.pk, "label": label})
    source = output.job.variant_source
    if label and source is not None:
        log(source, VARIANT, user=user, data={"label": label, "image": output.image_id,
                                               "image_title": output.image.title, "output": output.pk})


def log_discarded(output: GenerationOutput, *, user: Any) -> None:
    if output.image_id is not None:
        log(output.image, DISCARD, user=user, data={"job": str(output.job_id), "output": output.pk})
