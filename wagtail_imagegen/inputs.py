"""Turning a job's source images and mask into what the API accepts: bounded PNG/JPEG/WebP bytes."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from PIL import Image as PILImage

from . import conf
from .models import GenerationJob
from .providers.base import ImageRequest, InputImage

SENDABLE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def read_image_file(image: Any) -> bytes:
    with image.open_file() as handle:
        return handle.read()


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
    )
