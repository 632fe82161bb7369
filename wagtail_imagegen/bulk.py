"""Bulk variants: one recipe applied to many library images, one job per image, and their review.

A batch is checked as a whole (permission, recipe, budget, the per-user submission rate: a batch is one
submission) and its jobs are created with two bulk INSERTs, so 1,000 images cost the same few queries as
ten. The workers then take the jobs at the pace the provider's RATE_LIMITS allow. Retrying a failed
image adds a new job to the batch; the newest job of each image is the one the batch shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Collection

from . import governance, jobs, permissions, tasks
from .catalog import JobSpec, ModelSpec
from .models import GenerationBatch, GenerationJob, GenerationOutput, JobSourceImage

Status = GenerationJob.Status
INSERT_BATCH_SIZE = 500


@dataclass(frozen=True)
class Recipe:
    """The same instruction for every image of a batch: one candidate each, and no previews (nobody watches
    1,000 jobs draw)."""

    prompt: str
    label: str
    invariants: str = ""
    provider: str | None = None
    spec: JobSpec = field(default_factory=JobSpec)

    @classmethod
    def from_batch(cls, batch: GenerationBatch) -> Recipe:
        params = dict(batch.params)
        provider = params.pop("provider", None)
        return cls(prompt=batch.prompt, label=batch.label, invariants=batch.invariants, provider=provider,
                   spec=JobSpec.from_values(params))

    def job_spec(self) -> JobSpec:
        return replace(self.spec, n=1, partial_images=0)


@dataclass(frozen=True)
class Plan:
    """What a batch would do, before anything is saved: a job per usable image, and the images left out."""

    recipe: Recipe
    jobs: list[GenerationJob]
    skipped: list[tuple[Any, str]]  # (image, why)

    @property
    def estimated_cost(self) -> Decimal:
        return sum((job.estimated_cost for job in self.jobs), Decimal(0))

    @property
    def provider(self) -> str | None:
        """The image service every job of the batch goes to (its own budget applies)."""
        return self.jobs[0].provider if self.jobs else None


# ---------------------------------------------------------------------------------------------------
# Planning and submitting
# ---------------------------------------------------------------------------------------------------


def select_images(*, collection: str | None = None, tag: str | None = None, ids: Iterable[int] = ()) -> QuerySet:
    """Library images by collection (name or id), by tag, or by id (the CLI's selection)."""
    images = get_image_model().objects.all()
    if collection is not None:
        images = images.filter(collection=jobs.resolve_collection(collection, None))
    if tag is not None:
        images = images.filter(tags__name=tag)
    if ids:
        images = images.filter(pk__in=list(ids))
    return images.order_by("pk")


def validate_recipe(recipe: Recipe) -> tuple[jobs.Target, JobSpec]:
    """The target and the job spec of a valid recipe; else a field-keyed error."""
    target = jobs.resolve_target(recipe.provider, recipe.spec.model)
    spec = replace(recipe.job_spec(), model=target.model_name)
    errors = {**jobs.validate_prompt(recipe.prompt, recipe.invariants, target.model),
              **jobs.validate_options(spec, target.model, kind=GenerationJob.Kind.EDIT)}
    if not recipe.label or slugify(recipe.label) != recipe.label:
        errors["label"] = _("Give the variants a label of letters, numbers and hyphens, for example “winter”.")
    if errors:
        raise ValidationError(errors)
    return target, spec


def usable_images(images: Sequence[Any], model: ModelSpec, user: Any) -> tuple[list[Any], list[tuple[Any, str]]]:
    """Split images into those the user may edit (one permission query for all) and those left out."""
    allowed = permissions.choosable_ids(user, images) if user is not None else None
    usable, skipped = [], []
    for image in images:
        if allowed is not None and image.pk not in allowed:
            skipped.append((image, _("You may not use this image.")))
            continue
        problem = jobs.validate_sources([image], model, None)  # raster images only
        if problem:
            skipped.append((image, problem["images"]))
        else:
            usable.append(image)
    return usable, skipped


def plan_batch(images: Sequence[Any], recipe: Recipe, *, user: Any = None,
               batch: GenerationBatch | None = None) -> Plan:
    """Check a bulk request and build (without saving) its jobs; raises ValidationError or PermissionDenied."""
    jobs.check_permission(user)
    target, spec = validate_recipe(recipe)
    jobs.check_ready(target)
    usable, skipped = usable_images(images, target.model, user)
    if not usable:
        raise ValidationError({"images": _("None of the chosen images can be used.")})
    collections = destinations(usable, user)
    new_jobs = [
        jobs.build_job(kind=GenerationJob.Kind.EDIT, prompt=recipe.prompt, invariants=recipe.invariants,
                       spec=spec, target=target, images=(image,),
                       collection=collections[image.collection_id], label=recipe.label, batch=batch,
                       parent_output=None, user=user)
        for image in usable
    ]
    return Plan(recipe, new_jobs, skipped)


def destinations(images: Sequence[Any], user: Any) -> dict[Any, Collection]:
    """Each source collection's destination, in a few queries for the whole batch: variants go to their source
    image's collection where the user may add images, else to the COLLECTION setting's (as jobs.py's edits)."""
    collections = Collection.objects.in_bulk({image.collection_id for image in images})
    if user is None:
        return collections
    addable = set(permissions.addable_collections(user).filter(pk__in=collections).values_list("pk", flat=True))
    if addable != set(collections):
        fallback = jobs.destination_collection(None, None, user)  # ValidationError when it is closed too
        collections = {pk: collection if pk in addable else fallback for pk, collection in collections.items()}
    return collections


def estimate_batch(images: Sequence[Any], recipe: Recipe) -> Decimal:
    """What the batch should cost, for a recipe still being written (nothing is validated)."""
    target = jobs.resolve_target(recipe.provider, recipe.spec.model)
    spec = replace(recipe.job_spec(), model=target.model_name)
    return sum((jobs.estimate_cost(recipe.prompt, spec, model=target.model, images=[image],
                                   invariants=recipe.invariants) for image in images), Decimal(0))


def new_batch(recipe: Recipe, *, user: Any = None) -> GenerationBatch:
    """An unsaved batch for the recipe (its id is known before it is saved)."""
    alias = jobs.resolve_target(recipe.provider, recipe.spec.model).alias
    params = {"provider": alias, **recipe.spec.params(), **({"model": recipe.spec.model} if recipe.spec.model else {})}
    return GenerationBatch(prompt=recipe.prompt.strip(), invariants=recipe.invariants.strip(), label=recipe.label,
                           params=params, requested_by=user)


def submit_batch(images: Sequence[Any], recipe: Recipe, *, user: Any = None,
                 batch: GenerationBatch | None = None) -> GenerationBatch:
    """Queue a variant of every usable image; the whole batch is one submission against budgets and limits."""
    batch = batch or new_batch(recipe, user=user)
    plan = plan_batch(images, recipe, user=user, batch=batch)
    with governance.admission(user, plan.estimated_cost, plan.provider):
        batch.save()
        save_jobs(plan.jobs)
    return batch


def save_jobs(new_jobs: list[GenerationJob]) -> None:
    """Two bulk INSERTs, then a wake-up per job once the transaction commits."""
    GenerationJob.objects.bulk_create(new_jobs, batch_size=INSERT_BATCH_SIZE)
    JobSourceImage.objects.bulk_create(
        [JobSourceImage(job=job, image_id=job.variant_source_id, position=0) for job in new_jobs],
        batch_size=INSERT_BATCH_SIZE,
    )
    for job in new_jobs:
        tasks.enqueue_on_commit(job.pk)


# ---------------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------------


def current_jobs(batch: GenerationBatch) -> QuerySet[GenerationJob]:
    """The newest job of each image: a failed job that was retried gives way to its retry."""
    newer = GenerationJob.objects.filter(batch=batch, variant_source=OuterRef("variant_source"),
                                         created_at__gt=OuterRef("created_at"))
    # Only failed jobs are ever retried, so only they need the (correlated) look for a newer one.
    return batch.jobs.exclude(Q(status=Status.FAILED) & Exists(newer))


def batch_counts(batch: GenerationBatch) -> dict[str, Any]:
    """Jobs by status (newest per image), their estimate, and the cost so far of every job the batch ran."""
    by_status = {str(status): Count("pk", filter=Q(status=status)) for status in Status.values}
    counts = current_jobs(batch).aggregate(total=Count("pk"), estimated_cost=Sum("estimated_cost"), **by_status)
    counts["estimated_cost"] = counts["estimated_cost"] or Decimal(0)
    counts["cost"] = governance.total_spend(batch.jobs.all())
    return counts


def review_counts(batch: GenerationBatch) -> dict[str, int]:
    """Candidates by review state: to review, approved, rejected."""
    states = GenerationOutput.State
    return GenerationOutput.objects.filter(job__in=current_jobs(batch)).aggregate(
        **{str(state): Count("pk", filter=Q(state=state)) for state in states.values}
    )


# ---------------------------------------------------------------------------------------------------
# Review
# ---------------------------------------------------------------------------------------------------


def approve(output: GenerationOutput, *, user: Any = None) -> GenerationOutput:
    """Keep the candidate as the current variant of its source image for the batch's label."""
    return jobs.keep(output, user=user, label=batch_label(output.job.batch))


def batch_label(batch: GenerationBatch | None) -> str | None:
    """The label approved candidates take: the batch's, else each job's own (a re-make keeps the original's)."""
    return batch.label or None if batch else None


def reject(output: GenerationOutput, *, user: Any = None) -> GenerationOutput:
    return jobs.discard(output, user=user)


def pending_candidates(batch: GenerationBatch) -> QuerySet[GenerationOutput]:
    return (GenerationOutput.objects.candidates()
            .filter(job__in=current_jobs(batch), job__status=Status.SUCCEEDED, image__isnull=False)
            .select_related("job__variant_source", "image"))


def approve_all(batch: GenerationBatch, *, user: Any = None) -> int:
    """Approve every candidate not yet reviewed; how many."""
    outputs = list(pending_candidates(batch))
    with transaction.atomic():
        for output in outputs:
            jobs.keep(output, user=user, label=batch_label(batch))
    return len(outputs)


def retry_failed(batch: GenerationBatch, *, user: Any = None) -> int:
    """A new job for every image whose newest job failed (a new submission); how many."""
    if batch.params.get("remake"):
        return retry_failed_remakes(batch, user=user)
    failed = current_jobs(batch).filter(status=Status.FAILED).values("variant_source")
    images = list(get_image_model().objects.filter(pk__in=failed))
    if not images:
        return 0
    recipe = Recipe.from_batch(batch)
    plan = plan_batch(images, recipe, user=user, batch=batch)
    with governance.admission(user, plan.estimated_cost, plan.provider):
        save_jobs(plan.jobs)
    return len(plan.jobs)


def retry_failed_remakes(batch: GenerationBatch, *, user: Any = None) -> int:
    """A new re-make, in the same batch, of every output whose newest re-make failed; how many."""
    from . import remake

    failed = current_jobs(batch).filter(status=Status.FAILED, remake_of__isnull=False)
    outputs = [job.remake_of for job in failed.select_related("remake_of__job", "remake_of__image")]
    if not outputs:
        return 0
    plan = remake.plan_remake(outputs, model=batch.params["model"], provider=batch.params.get("provider"), user=user)
    remake.submit_remake(plan, user=user, batch=batch)
    return len(plan.jobs)
