"""An offline provider for the example site and demos: no key, no network, and clearly labelled.

It answers like the real API (sizes, formats, compression, transparency, n, partial images, edits that
follow the source images and the mask) with placeholder art from drawing.py stamped "DEMO".
"""

from __future__ import annotations

import io
import time

from django.utils.translation import gettext as _
from PIL import Image

from ..drawing import derive_image, draw_image, partial_preview
from ..pricing import AUTO_QUALITY, estimate_usage
from .base import (
    MIME_TYPES,
    SIZE_PATTERN,
    ContentRejected,
    GeneratedImage,
    ImageProvider,
    ImageRequest,
    ImageResult,
    PartialCallback,
    PartialImage,
)
from .validation import request_problem

# Put this in a prompt to demo the safety-refusal path.
REFUSAL_MARKER = "[demo:refuse]"
AUTO_SIZE = (1024, 1024)
LABEL = "DEMO"


class DemoImageProvider(ImageProvider):
    """OPTIONS: LATENCY, seconds to wait before answering (default 0), so a demo shows progress."""

    name = "demo"
    is_demo = True
    requires_api_key = False

    def generate(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request, on_partial)

    def edit(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request, on_partial)

    def answer(self, request: ImageRequest, on_partial: PartialCallback | None) -> ImageResult:
        self.check(request)
        size = pixel_size(request.size)
        images = [self.picture(request, size, seed) for seed in range(request.n)]
        pause = float(self.config.options.get("LATENCY") or 0) / (request.partial_images + 1)
        for index in range(request.partial_images):
            time.sleep(pause)  # spread over the previews, as a real stream would
            if on_partial is not None:
                preview = partial_preview(images[0], index, request.partial_images, request.output_format)
                on_partial(PartialImage(index=index, data=preview, mime_type=request.mime_type))
        time.sleep(pause)
        return self.result(request, size, images)

    def check(self, request: ImageRequest) -> None:
        if REFUSAL_MARKER in request.prompt:
            raise ContentRejected(categories=("demo",), stage="input")
        problem = request_problem(request, self.capabilities(request.model))
        if problem is not None:
            raise problem

    def picture(self, request: ImageRequest, size: tuple[int, int], seed: int) -> bytes:
        options = {
            "transparent": request.background == "transparent",
            "compression": request.output_compression,
            "seed": seed,
            "label": LABEL,
        }
        if request.kind == "edit":
            sources = [image.data for image in request.images]
            mask = request.mask.data if request.mask else None
            return derive_image(sources, request.prompt, size, request.output_format, mask=mask, **options)
        return draw_image(request.prompt, size, request.output_format, **options)

    def result(self, request: ImageRequest, size: tuple[int, int], images: list[bytes]) -> ImageResult:
        return ImageResult(
            images=tuple(GeneratedImage(data=data, mime_type=MIME_TYPES[request.output_format]) for data in images),
            usage=estimate_usage(
                prompt=request.prompt, size=f"{size[0]}x{size[1]}", quality=request.quality, n=request.n,
                input_sizes=tuple(dimensions(image.data) for image in request.images),
                input_fidelity=request.input_fidelity, partial_images=request.partial_images,
            ),
            size=f"{size[0]}x{size[1]}",
            quality=AUTO_QUALITY if request.quality == "auto" else request.quality,
            background="transparent" if request.background == "transparent" else "opaque",
            output_format=request.output_format,
            created=int(time.time()),
            metadata={"demo": True, "notice": _("Demo output: no AI model was used.")},
        )


def pixel_size(size: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels; "auto" draws a square, the API's most common choice."""
    match = SIZE_PATTERN.match(size)
    return (int(match[1]), int(match[2])) if match else AUTO_SIZE


def dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
