"""Turning a job's source images and mask into what the API accepts: bounded PNG/JPEG/WebP bytes."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image as PILImage

from . import conf
from .models import GenerationJob
from .providers.base import ImageRequest, InputImage, Turn

SENDABLE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def read_image_file(image: Any) -> bytes:
    """The image's file; a ValidationError (the job fails at once: a retry would not help) when it is missing
    or not an image."""
    try:
        with image.open_file() as handle:
            data = handle.read()
        PILImage.open(io.BytesIO(data)).close()  # only reads the header
    except OSError as exc:  # FileNotFoundError, PIL.UnidentifiedImageError, a storage error
        raise ValidationError(_("The file of the image “%(title)s” is missing or is not an image.") % {
            "title": image.title}, code="unreadable_source") from exc
    return data


def source_input(image: Any, position: int) -> InputImage:
    """The original when the API takes it as it is, else a rendition no larger than MAX_INPUT_EDGE."""
    edge = conf.setting("MAX_INPUT_EDGE")
    data = read_image_file(image)
    with PILImage.open(io.BytesIO(data)) as picture:
        kind, size = picture.format, picture.size
    if kind in SENDABLE_FORMATS and max(size) <= edge:
        return InputImage(data=data, name=f"image-{position}.{kind.lower()}", mime_type=SENDABLE_FORMATS[kind])
    output = "jpeg" if kind == "JPEG" else "png"
    rendition = image.get_rendition(f"max-{edge}x{edge}|format-{output}")
    with rendition.file.open("rb") as handle:
        data = handle.read()
    return InputImage(data=data, name=f"image-{position}.{output}", mime_type=f"image/{output}")


def scaled_mask(mask_data: bytes, size: tuple[int, int]) -> bytes:
    """The mask at the size of the image actually sent (it was painted on the original)."""
    with PILImage.open(io.BytesIO(mask_data)) as mask:
        if mask.size == size:
            return mask_data
        buffer = io.BytesIO()
        mask.convert("RGBA").resize(size, PILImage.Resampling.NEAREST).save(buffer, "PNG")
        return buffer.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(data)) as picture:
        return picture.size


def build_request(job: GenerationJob) -> ImageRequest:
    """The provider request for a job, exactly as it will be sent."""
    images = tuple(source_input(image, position) for position, image in enumerate(job.source_images()))
    mask = None
    if job.mask and images:
        with job.mask.open("rb") as handle:
            mask = InputImage(data=scaled_mask(handle.read(), image_size(images[0].data)), name="mask.png")
    return ImageRequest(
        kind=job.kind, prompt=job.sent_prompt, spec=replace(job.spec, partial_images=job.spec.partial_images or 0),
        images=images, mask=mask, user=str(job.requested_by_id) if job.requested_by_id else None,
        history=conversation(job),
    )


# A refinement chain longer than this starts a new conversation from the last candidate (each turn
# resends its images, so a long chain would outgrow the request).
MAX_TURNS = 8


def conversation(job: GenerationJob) -> tuple[Turn, ...]:
    """The earlier turns of a refinement, oldest first, where the provider recorded its turns (Gemini):
    each ancestor's prompt and sources, then the model's answer with the image that was refined.

    Empty when the job is no refinement, or a job in the chain has no record of its turn (another
    provider made it): the request is then a plain edit of the candidate. A turn the API keeps itself
    (the Responses API's response id) is all that is needed: nothing before it is read.
    """
    parent_output = job.parent_output
    if parent_output is not None:
        recorded = model_turn(parent_output.job, parent_output.index)
        if recorded and any(part.get("response_id") for part in recorded):
            return (Turn("model", parts=recorded),)
    chain = []
    output = job.parent_output
    while output is not None and len(chain) < MAX_TURNS:
        chain.append(output)
        output = output.job.parent_output
    turns: list[Turn] = []
    for output in reversed(chain):
        parent = output.job
        recorded = model_turn(parent, output.index)
        if recorded is None or output.image is None:
            return ()
        sources = () if parent.parent_output_id else tuple(
            source_input(image, position) for position, image in enumerate(parent.source_images()))
        made = InputImage(data=read_image_file(output.image), name=f"turn-{len(turns)}.png",
                          mime_type=output.mime_type or "image/png")
        turns += [Turn("user", parent.sent_prompt, images=sources), Turn("model", images=(made,), parts=recorded)]
    return tuple(turns)


def model_turn(job: GenerationJob, index: int) -> tuple[dict[str, Any], ...] | None:
    """The provider's record of the turn that made output `index` of `job`: Gemini's parts with their thought
    signatures, or the Responses API's response id (providers/gemini.py, providers/openai_responses.py)."""
    records = (job.response or {}).get("turns")
    if not isinstance(records, list) or not 0 <= index < len(records) or not isinstance(records[index], dict):
        return None
    parts = records[index].get("parts")
    return tuple(parts) if isinstance(parts, list) and parts else None
