"""The one service API behind every entry point (admin, CLI, bulk, scripts).

Everything is validated before anything is queued: an invalid request raises a field-keyed
ValidationError (or PermissionDenied) and enqueues nothing. Jobs are handed to the workers only once
their transaction commits.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from wagtail.models import Collection

from . import catalog, conf, governance, permissions, pricing, reports, tasks
from .catalog import JobSpec, ModelSpec
from .models import GenerationBatch, GenerationJob, GenerationOutput, ImageVariant, JobSourceImage
from .providers.base import ProviderConfig, model_gone_message

PERMISSION = "wagtail_imagegen.generate_image"


@dataclass(frozen=True)
class Target:
    """Where a job goes: a provider alias, its settings, and the model (name as sent, and its spec)."""

    alias: str
    config: ProviderConfig
    model: ModelSpec
    model_name: str
    default_partials: int = 0

    @property
    def offered(self) -> list[ModelSpec]:
        """The models an editor may choose for this provider: every offered one that is not retired."""
        provider = conf.provider_class(self.config.class_path)(self.config)
        offered = catalog.offered_models(self.config.models, api=provider.api,
                                         configured=(self.config.model, self.config.final_model or ""))
        # As the provider serves each (Azure makes no WebP; the Responses mode streams no previews).
        return [provider.model_spec(model.name) for model in offered if not model.retired(catalog.today())]


def spec_from(options: dict[str, Any], spec: JobSpec | None = None) -> JobSpec:
    """The JobSpec of an entry point's keyword options (over `spec` when given); unknown options are refused."""
    try:
        return (spec or JobSpec()).updated(**options) if options else (spec or JobSpec())
    except TypeError as exc:
        raise ValidationError({"options": str(exc)}) from exc


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------


def compose_prompt(prompt: str, invariants: str = "") -> str:
    """The prompt sent: the instruction, then the invariants repeated (this reduces drift across edits)."""
    prompt = prompt.strip()
    if not invariants.strip():
        return prompt
    return _("%(prompt)s\n\nKeep unchanged: %(invariants)s") % {"prompt": prompt, "invariants": invariants.strip()}


def check_permission(user: Any) -> None:
    if user is not None and not permissions.can_generate(user):
        raise PermissionDenied(_("You do not have permission to generate images."))


def provider_target(alias: str | None, model_name: str | None = None) -> Target:
    """The provider and model a job would use, unchecked (forms show it, jobs check it)."""
    try:
        config = conf.provider_config(alias)
        provider = conf.provider_class(config.class_path)(config)
    except ImproperlyConfigured as exc:
        raise ValidationError({"provider": str(exc)}) from exc
    name = model_name or config.model
    return Target(config.alias, config, provider.model_spec(name), name, int(config.options.get("PARTIAL_IMAGES", 0)))


def not_set_up_message(alias: str | None) -> str | None:
    """What editors read while a provider has no API key (None when it is ready)."""
    alias = alias or conf.default_alias()
    if conf.has_api_key(alias):
        return None
    return _("The image service “%(alias)s” is not set up yet: it has no API key. Nothing can be generated "
             "until a site administrator sets one.") % {"alias": alias}


def check_ready(target: Target) -> None:
    """Refuse a job for a provider without its key: queued, it could only fail in the worker."""
    message = not_set_up_message(target.alias)
    if message:
        raise ValidationError({"provider": message})


def resolve_target(alias: str | None, model_name: str | None = None) -> Target:
    """The provider and model a job would use; a retired or unoffered model is a field error on `model`."""
    target = provider_target(alias, model_name)
    config, name, model = target.config, target.model_name, target.model
    names = catalog.listed_names(config.models)
    if names and name not in names and name not in (config.model, config.final_model):
        raise ValidationError({"model": _("The image service “%(alias)s” offers %(models)s.") % {
            "alias": config.alias, "models": ", ".join(names)}})
    if model.retired(catalog.today()):
        raise ValidationError({"model": model_gone_message(name, model.successor)})
    return target


def validate_options(spec: JobSpec, model: ModelSpec, *, kind: str) -> dict[str, str]:
    return catalog.option_problems(spec, model, kind=kind)


def validate_prompt(prompt: str, invariants: str, model: ModelSpec) -> dict[str, str]:
    problem = catalog.prompt_problem(compose_prompt(prompt or "", invariants) if (prompt or "").strip() else "",
                                     model)
    return {"prompt": problem} if problem else {}


def validate_sources(images: Sequence[Any], model: ModelSpec, user: Any) -> dict[str, str]:
    if not images:
        return {"images": _("Choose an image to edit.")}
    problem = catalog.inputs_problem(len(images), False, model, kind=GenerationJob.Kind.EDIT)
    if problem:
        return problem
    allowed = permissions.choosable_ids(user, images) if user is not None else None
    for image in images:
        if allowed is not None and image.pk not in allowed:
            return {"images": _("You may not use the image “%(title)s”.") % {"title": image.title}}
        if getattr(image, "is_svg", lambda: False)() or not image.width or not image.height:
            return {"images": _("“%(title)s” is not a raster image (PNG, JPEG or WebP).") % {"title": image.title}}
    return {}


def read_mask(mask: Any) -> bytes:
    if isinstance(mask, bytes):
        return mask
    mask.seek(0)
    return mask.read()


def validate_mask(data: bytes, first_image: Any) -> dict[str, str]:
    """The mask must be a PNG with alpha, the same size as the first image (transparent = edit here)."""
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            kind, mode, size = picture.format, picture.mode, picture.size
            has_alpha = mode in ("RGBA", "LA") or (mode == "P" and "transparency" in picture.info)
    except PILImage.DecompressionBombError:
        return {"mask": _("The mask is far larger than any image it could belong to.")}
    except (UnidentifiedImageError, OSError):
        return {"mask": _("The mask is not an image. Paint the mask again or upload a PNG.")}
    if kind != "PNG":
        return {"mask": _("The mask must be a PNG file.")}
    if not has_alpha:
        return {"mask": _("The mask needs transparency: transparent areas mark where to edit.")}
    if size != (first_image.width, first_image.height):
        return {"mask": _("The mask is %(mw)d×%(mh)d pixels but the image is %(iw)d×%(ih)d.") % {
            "mw": size[0], "mh": size[1], "iw": first_image.width, "ih": first_image.height}}
    return {}


def resolve_collection(collection: Any, user: Any) -> Collection:
    """The collection new generations go to: the argument, else the COLLECTION setting, else the root."""
    if collection is None:
        collection = conf.setting("COLLECTION")
    if isinstance(collection, Collection):
        return collection
    if collection is None:
        return Collection.get_first_root_node()
    lookup = {"pk": collection} if isinstance(collection, int) or str(collection).isdigit() else {"name": collection}
    found = Collection.objects.filter(**lookup).first()
    if found is None:
        raise ValidationError({"collection": _("There is no collection “%(name)s”.") % {"name": collection}})
    return found


def destination_collection(source: Collection | None, collection: Any, user: Any) -> Collection:
    """Where a job's images go: an edit's into its source image's collection when the user may add images
    there, else (and for a generation) into `collection` or the COLLECTION setting, if the user may add there."""
    if source is not None and (user is None or permissions.can_add_images_to(user, source)):
        return source
    destination = resolve_collection(collection, user)
    check_collection(destination, user)
    return destination


def check_collection(collection: Collection, user: Any) -> None:
    if user is not None and not permissions.can_add_images_to(user, collection):
        raise ValidationError({"collection": _("You may not add images to the collection “%(name)s”.") % {
            "name": collection.name}})


# ---------------------------------------------------------------------------------------------------
# Estimates
# ---------------------------------------------------------------------------------------------------


def bounded_size(image: Any) -> tuple[int, int]:
    """The size a source image is sent at (a rendition no larger than MAX_INPUT_EDGE)."""
    edge = conf.setting("MAX_INPUT_EDGE")
    scale = min(1.0, edge / max(image.width, image.height))
    return round(image.width * scale), round(image.height * scale)


def estimate_cost(prompt: str, spec: JobSpec | None = None, *, images: Sequence[Any] = (), invariants: str = "",
                  provider: str | None = None, model: ModelSpec | None = None, **options: Any) -> Decimal:
    """The cost in USD a request should have, before anything is sent (never less than it may cost)."""
    spec = spec_from(options, spec)
    model = model or resolve_target(provider, spec.model).model
    return pricing.estimate_cost(model, spec, prompt=compose_prompt(prompt, invariants),
                                 input_sizes=tuple(bounded_size(image) for image in images))


# ---------------------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------------------


def submit_generation(
    prompt: str, spec: JobSpec | None = None, *, user: Any = None, provider: str | None = None,
    collection: Any = None, invariants: str = "", batch: GenerationBatch | None = None, **options: Any,
) -> GenerationJob:
    """Queue a text-to-image generation. Options come as a JobSpec, or as its fields by keyword."""
    return submit(GenerationJob.Kind.GENERATE, prompt, spec_from(options, spec), images=(), user=user,
                  provider=provider, collection=collection, invariants=invariants, batch=batch)


def submit_edit(
    images: Sequence[Any], prompt: str, spec: JobSpec | None = None, *, mask: Any = None, user: Any = None,
    provider: str | None = None, label: str = "", invariants: str = "", batch: GenerationBatch | None = None,
    parent_output: GenerationOutput | None = None, **options: Any,
) -> GenerationJob:
    """Queue an edit of one or more library images; the first takes the optional mask."""
    return submit(GenerationJob.Kind.EDIT, prompt, spec_from(options, spec), images=tuple(images), mask=mask,
                  user=user, provider=provider, label=label, invariants=invariants, batch=batch,
                  parent_output=parent_output)


def refine(output: GenerationOutput, prompt: str, spec: JobSpec | None = None, *, user: Any = None,
           invariants: str | None = None, **options: Any) -> GenerationJob:
    """Edit a candidate again: its image is the input, the invariants and parameters carry down the chain."""
    parent = output.job
    if output.image_id is None:
        raise ValidationError({"output": _("This candidate has no image yet.")})
    inherited = spec_from(options, spec or parent.spec)
    return submit_edit(
        [output.image], prompt, inherited, user=user, provider=parent.provider, label=parent.label,
        invariants=parent.invariants if invariants is None else invariants, batch=parent.batch,
        parent_output=output,
    )


def final_quality(output: GenerationOutput, prompt: str, *, user: Any = None) -> GenerationJob:
    """Re-render a draft once with the provider's FINAL_MODEL at high quality."""
    target = resolve_target(output.job.provider)
    final = resolve_target(output.job.provider, target.config.final_model or target.model_name)
    quality = "high" if "high" in final.model.qualities else final.model.qualities[-1]  # Gemini has only auto
    spec = output.job.spec.updated(model=final.model_name, quality=quality, n=1)
    spec = replace(spec, input_fidelity="high" if final.model.input_fidelity == "parameter" else None,
                   complexity=spec.complexity if "complexity" in final.model.controls else None)
    return refine(output, prompt, spec, user=user)


def submit(
    kind: str, prompt: str, spec: JobSpec, *, images: tuple[Any, ...], user: Any, provider: str | None,
    mask: Any = None, collection: Any = None, label: str = "", invariants: str = "",
    batch: GenerationBatch | None = None, parent_output: GenerationOutput | None = None,
) -> GenerationJob:
    check_permission(user)
    target = resolve_target(provider, spec.model)
    check_ready(target)
    spec = spec.updated(model=target.model_name, partial_images=target.default_partials
                        if spec.partial_images is None else None)
    errors = {
        **validate_prompt(prompt, invariants, target.model),
        **validate_options(spec, target.model, kind=kind),
        **(validate_sources(images, target.model, user) if kind == GenerationJob.Kind.EDIT else {}),
    }
    mask_data = read_mask(mask) if mask is not None else None
    if mask_data is not None and images and "images" not in errors:
        errors.update(catalog.inputs_problem(len(images), True, target.model, kind=kind)
                      or validate_mask(mask_data, images[0]))
    if errors:
        raise ValidationError(errors)
    destination = destination_collection(images[0].collection if images else None, collection, user)
    job = build_job(kind=kind, prompt=prompt, invariants=invariants, spec=spec, target=target, images=images,
                    collection=destination, label=label, batch=batch, parent_output=parent_output, user=user)
    # Budgets and the per-user submission rate: a refused submission queues nothing.
    with governance.admission(user, job.estimated_cost, target.alias):
        return create_job(job, images=images, mask_data=mask_data)


def build_job(*, kind: str, prompt: str, invariants: str, spec: JobSpec, target: Target, images: tuple[Any, ...],
              collection: Collection, label: str, batch: GenerationBatch | None,
              parent_output: GenerationOutput | None, user: Any, remake_of: GenerationOutput | None = None,
              ) -> GenerationJob:
    """An unsaved job with its cost estimate (bulk.py saves many at once)."""
    variant_source = parent_output.job.variant_source if parent_output else (images[0] if images else None)
    if remake_of is not None:
        variant_source = remake_of.job.variant_source
    return GenerationJob(
        kind=kind, prompt=prompt.strip(), invariants=invariants.strip(), sent_prompt=compose_prompt(prompt, invariants),
        params=spec.params(), provider=target.alias, model=target.model_name, label=label, collection=collection,
        batch=batch, parent_output=parent_output, variant_source=variant_source, requested_by=user,
        remake_of=remake_of, max_attempts=conf.setting("MAX_ATTEMPTS"),
        estimated_cost=estimate_cost(prompt, spec, model=target.model, images=images, invariants=invariants),
    )


@transaction.atomic
def create_job(job: GenerationJob, *, images: tuple[Any, ...], mask_data: bytes | None) -> GenerationJob:
    if mask_data is not None:
        job.mask.save("mask.png", ContentFile(mask_data), save=False)
    job.save()
    JobSourceImage.objects.bulk_create(
        JobSourceImage(job=job, image=image, position=position) for position, image in enumerate(images)
    )
    tasks.enqueue_on_commit(job.pk)
    return job


# ---------------------------------------------------------------------------------------------------
# Keeping, discarding, cancelling
# ---------------------------------------------------------------------------------------------------


def keep(output: GenerationOutput, *, user: Any = None, label: str | None = None) -> GenerationOutput:
    """Keep a candidate; with a label (or the job's), it becomes the current variant of its source image."""
    check_permission(user)
    if output.image_id is None:
        raise ValidationError({"output": _("This candidate has no image yet.")})
    label = output.job.label if label is None else label
    source = output.job.variant_source
    if label and source is None:
        raise ValidationError({"label": _("Only edits of a library image can become its variant.")})
    with transaction.atomic():
        GenerationOutput.objects.filter(pk=output.pk).update(
            state=GenerationOutput.State.KEPT, kept_by=user, kept_at=timezone.now()
        )
        if label:
            ImageVariant.objects.update_or_create(
                source=source, label=label,
                defaults={"image_id": output.image_id, "output": output, "updated_by": user,
                          "updated_at": timezone.now()},
            )
        reports.log_kept(output, user=user, label=label)  # the images' History (Wagtail log entries)
        from . import alt_text  # which builds on this module

        alt_text.describe_on_keep(output, user=user)
    output.refresh_from_db()
    return output


def discard(output: GenerationOutput, *, user: Any = None) -> GenerationOutput:
    """Reject a candidate; `imagegen purge` later deletes its image if nothing uses it."""
    check_permission(user)
    GenerationOutput.objects.filter(pk=output.pk).update(state=GenerationOutput.State.DISCARDED)
    reports.log_discarded(output, user=user)  # the image's History (Wagtail log entries)
    output.refresh_from_db()
    return output


def cancel(job: GenerationJob, *, user: Any = None) -> bool:
    """Cancel a queued or running job; True if it was still active. A running API call is not recalled."""
    check_permission(user)
    cancelled = GenerationJob.objects.filter(pk=job.pk).active().update(
        status=GenerationJob.Status.CANCELLED, finished_at=timezone.now(),
        error_message=_("Cancelled."), error_code="cancelled",
    )
    job.refresh_from_db()
    return bool(cancelled)
