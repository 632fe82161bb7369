"""The one service API behind every entry point (admin, CLI, bulk, scripts).

Everything is validated before anything is queued: an invalid request raises a field-keyed
ValidationError (or PermissionDenied) and enqueues nothing. Jobs are handed to the workers only once
their transaction commits.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
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

from . import conf, governance, pricing, reports, tasks
from .compat import get_image_permission_policy
from .models import GenerationBatch, GenerationJob, GenerationOutput, ImageVariant, JobSourceImage
from .providers.base import ModelCapabilities

PERMISSION = "wagtail_imagegen.generate_image"
BACKGROUNDS = ("auto", "opaque", "transparent")
MODERATIONS = ("auto", "low")
FIDELITIES = ("low", "high")


@dataclass(frozen=True)
class Options:
    """The API parameters an editor can choose."""

    size: str = "auto"
    quality: str = "auto"
    background: str = "auto"
    output_format: str = "png"
    output_compression: int | None = None
    n: int = 1
    input_fidelity: str | None = None
    moderation: str = "auto"
    partial_images: int | None = None  # None: the provider's PARTIAL_IMAGES option

    @classmethod
    def from_kwargs(cls, **options: Any) -> Options:
        unknown = set(options) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"Unknown options: {', '.join(sorted(unknown))}")
        return cls(**{key: value for key, value in options.items() if value is not None})


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
    if user is not None and not user.has_perm(PERMISSION):
        raise PermissionDenied(_("You do not have permission to generate images."))


def validate_options(options: Options, caps: ModelCapabilities, *, kind: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(options.n, int) or not 1 <= options.n <= caps.max_n:
        errors["n"] = _("Ask for between 1 and %(max)d images.") % {"max": caps.max_n}
    size_error = caps.size_error(options.size)
    if size_error:
        errors["size"] = size_error
    if options.quality not in caps.qualities:
        errors["quality"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(caps.qualities))}
    if options.output_format not in caps.formats:
        errors["output_format"] = _("This model can make %(choices)s images.") % {
            "choices": ", ".join(sorted(caps.formats))
        }
    if options.background not in BACKGROUNDS:
        errors["background"] = _("Choose one of: auto, opaque, transparent.")
    elif options.background == "transparent" and not caps.transparency:
        errors["background"] = _("This model cannot make transparent backgrounds.")
    elif options.background == "transparent" and options.output_format == "jpeg":
        errors["background"] = _("A transparent background needs the PNG or WebP format.")
    if options.output_compression is not None:
        if options.output_format == "png":
            errors["output_compression"] = _("Compression applies to JPEG and WebP images only.")
        elif not 0 <= options.output_compression <= 100:
            errors["output_compression"] = _("Compression is a percentage from 0 to 100.")
    if options.moderation not in MODERATIONS:
        errors["moderation"] = _("Choose auto or low.")
    if options.input_fidelity is not None:
        if kind != GenerationJob.Kind.EDIT:
            errors["input_fidelity"] = _("Input fidelity applies to edits of existing images only.")
        elif not caps.input_fidelity:
            errors["input_fidelity"] = _("This model does not support input fidelity.")
        elif options.input_fidelity not in FIDELITIES:
            errors["input_fidelity"] = _("Choose high or low.")
    if options.partial_images is not None and not 0 <= options.partial_images <= 3:
        errors["partial_images"] = _("Ask for between 0 and 3 previews.")
    return errors


def validate_prompt(prompt: str, invariants: str, caps: ModelCapabilities) -> dict[str, str]:
    if not prompt or not prompt.strip():
        return {"prompt": _("Describe the image you want.")}
    length = len(compose_prompt(prompt, invariants))
    if length > caps.max_prompt_chars:
        return {"prompt": _("The prompt is %(length)d characters long; the limit is %(max)d.") % {
            "length": length, "max": caps.max_prompt_chars}}
    return {}


def validate_sources(images: Sequence[Any], caps: ModelCapabilities, user: Any) -> dict[str, str]:
    if not images:
        return {"images": _("Choose an image to edit.")}
    if len(images) > caps.max_input_images:
        return {"images": _("This model takes at most %(max)d images.") % {"max": caps.max_input_images}}
    policy = get_image_permission_policy()
    for image in images:
        if user is not None and not policy.user_has_permission_for_instance(user, "choose", image):
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


def check_collection(collection: Collection, user: Any) -> None:
    if user is None:
        return
    allowed = get_image_permission_policy().collections_user_has_permission_for(user, "add")
    if not allowed.filter(pk=collection.pk).exists():
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


def estimate_cost(
    prompt: str, *, model: str | None = None, images: Sequence[Any] = (), invariants: str = "",
    provider: str | None = None, **options: Any,
) -> Decimal:
    """The cost in USD a request should have, before anything is sent."""
    opts = Options.from_kwargs(**options)
    return pricing.estimate_cost(
        model or conf.provider_config(provider).model,
        prompt=compose_prompt(prompt, invariants), size=opts.size, quality=opts.quality, n=opts.n,
        input_sizes=tuple(bounded_size(image) for image in images), input_fidelity=opts.input_fidelity,
        partial_images=opts.partial_images or 0,
    )


# ---------------------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------------------


def provider_settings(alias: str | None) -> tuple[str, str, ModelCapabilities, int]:
    try:
        config = conf.provider_config(alias)
        provider = conf.provider_class(config.class_path)(config)
    except ImproperlyConfigured as exc:
        raise ValidationError({"provider": str(exc)}) from exc
    return config.alias, config.model, provider.capabilities(), int(config.options.get("PARTIAL_IMAGES", 0))


def submit_generation(
    prompt: str, *, user: Any = None, provider: str | None = None, collection: Any = None,
    invariants: str = "", batch: GenerationBatch | None = None, **options: Any,
) -> GenerationJob:
    """Queue a text-to-image generation."""
    return submit(GenerationJob.Kind.GENERATE, prompt, images=(), user=user, provider=provider,
                  collection=collection, invariants=invariants, batch=batch, options=options)


def submit_edit(
    images: Sequence[Any], prompt: str, *, mask: Any = None, user: Any = None, provider: str | None = None,
    label: str = "", invariants: str = "", batch: GenerationBatch | None = None,
    parent_output: GenerationOutput | None = None, **options: Any,
) -> GenerationJob:
    """Queue an edit of one or more library images; the first takes the optional mask."""
    return submit(GenerationJob.Kind.EDIT, prompt, images=tuple(images), mask=mask, user=user,
                  provider=provider, label=label, invariants=invariants, batch=batch,
                  parent_output=parent_output, options=options)


def refine(output: GenerationOutput, prompt: str, *, user: Any = None, invariants: str | None = None,
           **options: Any) -> GenerationJob:
    """Edit a candidate again: its image is the input, the invariants and parameters carry down the chain."""
    parent = output.job
    if output.image_id is None:
        raise ValidationError({"output": _("This candidate has no image yet.")})
    inherited = {key: value for key, value in parent.params.items() if key in Options.__dataclass_fields__}
    return submit_edit(
        [output.image], prompt, user=user, provider=parent.provider, label=parent.label,
        invariants=parent.invariants if invariants is None else invariants, batch=parent.batch,
        parent_output=output, **{**inherited, **options},
    )


def submit(
    kind: str, prompt: str, *, images: tuple[Any, ...], user: Any, provider: str | None, options: dict[str, Any],
    mask: Any = None, collection: Any = None, label: str = "", invariants: str = "",
    batch: GenerationBatch | None = None, parent_output: GenerationOutput | None = None,
) -> GenerationJob:
    check_permission(user)
    alias, model, caps, default_partials = provider_settings(provider)
    try:
        opts = Options.from_kwargs(**options)
    except TypeError as exc:
        raise ValidationError({"options": str(exc)}) from exc
    if opts.partial_images is None:
        opts = replace(opts, partial_images=default_partials)
    errors = {
        **validate_prompt(prompt, invariants, caps),
        **validate_options(opts, caps, kind=kind),
        **(validate_sources(images, caps, user) if kind == GenerationJob.Kind.EDIT else {}),
    }
    mask_data = read_mask(mask) if mask is not None else None
    if mask_data is not None and images and "images" not in errors:
        errors.update(validate_mask(mask_data, images[0]))
    if errors:
        raise ValidationError(errors)
    target = images[0].collection if images else resolve_collection(collection, user)
    if not images:
        check_collection(target, user)
    job = build_job(
        kind=kind, prompt=prompt, invariants=invariants, options=opts, alias=alias, model=model,
        images=images, collection=target, label=label, batch=batch, parent_output=parent_output, user=user,
    )
    # Budgets and the per-user submission rate: a refused submission queues nothing.
    with governance.admission(user, job.estimated_cost):
        return create_job(job, images=images, mask_data=mask_data)


def build_job(*, kind: str, prompt: str, invariants: str, options: Options, alias: str, model: str,
              images: tuple[Any, ...], collection: Collection, label: str, batch: GenerationBatch | None,
              parent_output: GenerationOutput | None, user: Any) -> GenerationJob:
    """An unsaved job with its cost estimate (bulk.py saves many at once)."""
    variant_source = parent_output.job.variant_source if parent_output else (images[0] if images else None)
    return GenerationJob(
        kind=kind, prompt=prompt.strip(), invariants=invariants.strip(), sent_prompt=compose_prompt(prompt, invariants),
        params={key: value for key, value in asdict(options).items() if value is not None},
        provider=alias, model=model, label=label, collection=collection, batch=batch,
        parent_output=parent_output, variant_source=variant_source, requested_by=user,
        max_attempts=conf.setting("MAX_ATTEMPTS"),
        estimated_cost=estimate_cost(prompt, model=model, images=images, invariants=invariants,
                                     **asdict(options)),
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
