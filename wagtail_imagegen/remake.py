"""Re-making kept images on a newer model: each kept output's recipe (the prompt and invariants as sent, its
source images, its mask, its parameters translated to what the new model takes) replayed as a batch.

A re-make is a candidate like any other: the batch's review grid approves it, and only then does it become
the current variant of its source; until then nothing shown on the site changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import catalog, governance, jobs
from .catalog import JobSpec, ModelSpec
from .models import GenerationBatch, GenerationJob, GenerationOutput


@dataclass(frozen=True)
class RemakePlan:
    """What a re-make would do, before anything is saved: a job per output, and the outputs left out."""

    target: jobs.Target
    jobs: list[tuple[GenerationJob, GenerationOutput]]
    skipped: list[tuple[GenerationOutput, str]]

    @property
    def estimated_cost(self) -> Decimal:
        return sum((job.estimated_cost for job, _output in self.jobs), Decimal(0))


def kept_outputs(*, image_ids: Iterable[int] = (), label: str | None = None,
                 made_with: str | None = None) -> QuerySet[GenerationOutput]:
    """Kept outputs by their image's id, by the variant label they are current for, or by the model made with."""
    outputs = (GenerationOutput.objects.filter(state=GenerationOutput.State.KEPT, image__isnull=False)
               .select_related("job", "image").order_by("pk"))
    image_ids = list(image_ids)
    if image_ids:
        outputs = outputs.filter(image_id__in=image_ids)
    if label is not None:
        outputs = outputs.filter(variants__label=label)
    if made_with is not None:
        family = catalog.model_spec(made_with)
        outputs = outputs.filter(job__model__in=family.ids() if not family.guessed else [made_with])
    return outputs


def translated_spec(spec: JobSpec, model: ModelSpec, model_name: str, *, kind: str) -> JobSpec:  # noqa: ARG001
    """The same request in what `model` takes, once and without previews (catalog.fitted)."""
    return catalog.fitted(replace(spec, n=1, partial_images=0), model, model_name)


def plan_remake(outputs: Sequence[GenerationOutput], *, model: str, provider: str | None = None,
                user: Any = None) -> RemakePlan:
    """Check a re-make and build (without saving) its jobs; raises ValidationError or PermissionDenied."""
    jobs.check_permission(user)
    target = jobs.resolve_target(provider, model)
    jobs.check_ready(target)
    planned, skipped = [], []
    for output in outputs:
        job = output.job
        images = tuple(job.source_images())
        spec = translated_spec(job.spec, target.model, target.model_name, kind=job.kind)
        problems = {**jobs.validate_options(spec, target.model, kind=job.kind),
                    **(jobs.validate_sources(images, target.model, user) if images else {})}
        if job.kind == GenerationJob.Kind.EDIT and not images:
            problems["images"] = _("Its source images are no longer in the library.")
        if problems:
            skipped.append((output, " ".join(problems.values())))
            continue
        new = jobs.build_job(kind=job.kind, prompt=job.prompt, invariants=job.invariants, spec=spec, target=target,
                             images=images, collection=job.collection or output.image.collection, label=job.label,
                             batch=None, parent_output=None, user=user, remake_of=output)
        new.sent_prompt = job.sent_prompt  # exactly as sent before, whatever the language is now
        planned.append((new, output))
    if not planned:
        raise ValidationError({"images": _("None of the chosen images can be re-made.")})
    return RemakePlan(target, planned, skipped)


def submit_remake(plan: RemakePlan, *, user: Any = None, batch: GenerationBatch | None = None) -> GenerationBatch:
    """Queue the planned jobs as one batch (one submission against budgets and limits)."""
    batch = batch or GenerationBatch(
        prompt=_("Re-make with %(model)s") % {"model": plan.target.model_name},
        params={"provider": plan.target.alias, "model": plan.target.model_name, "remake": True}, requested_by=user,
    )
    with governance.admission(user, plan.estimated_cost, plan.target.alias), transaction.atomic():
        batch.save()
        for job, output in plan.jobs:
            job.batch = batch
            mask = read_mask(output.job)
            jobs.create_job(job, images=tuple(output.job.source_images()), mask_data=mask)
    return batch


def read_mask(job: GenerationJob) -> bytes | None:
    if not job.mask:
        return None
    with job.mask.open("rb") as handle:
        return handle.read()
