"""An offline provider for the example site and demos: no key, no network, and clearly labelled.

It answers like the real API (sizes, formats, compression, transparency, n, partial images, edits that
follow the source images and the mask) with placeholder art from drawing.py stamped "DEMO".
"""

from __future__ import annotations

import io
import time
from collections import Counter
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from ..catalog import parse_size
from ..drawing import derive_image, draw_image, partial_preview
from ..pricing import estimate_usage
from .base import (
    MIME_TYPES,
    ContentRejected,
    DescribeRequest,
    Description,
    GeneratedImage,
    ImageProvider,
    ImageRequest,
    ImageResult,
    PartialCallback,
    PartialImage,
    Usage,
)
from .validation import request_problem

# Put this in a prompt to demo the safety-refusal path.
REFUSAL_MARKER = "[demo:refuse]"
AUTO_SIZE = (1024, 1024)
AUTO_QUALITY = "medium"  # what the demo makes of quality "auto"
LABEL = "DEMO"
# What the demo "sees": each pixel is the nearest of these colours.
COLOURS = (
    (gettext_lazy("black"), (0, 0, 0)), (gettext_lazy("white"), (255, 255, 255)),
    (gettext_lazy("grey"), (128, 128, 128)), (gettext_lazy("red"), (200, 30, 30)),
    (gettext_lazy("orange"), (230, 130, 30)), (gettext_lazy("yellow"), (230, 210, 40)),
    (gettext_lazy("green"), (40, 160, 60)), (gettext_lazy("blue"), (30, 90, 200)),
    (gettext_lazy("purple"), (130, 50, 160)), (gettext_lazy("brown"), (120, 75, 40)),
)


class DemoImageProvider(ImageProvider):
    """OPTIONS: LATENCY, seconds to wait before answering (default 0), so a demo shows progress."""

    name = "demo"
    is_demo = True
    describes = True
    requires_api_key = False

    def generate(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request, on_partial)

    def edit(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request, on_partial)

    def answer(self, request: ImageRequest, on_partial: PartialCallback | None) -> ImageResult:
        self.check(request)
        spec = request.spec
        size = pixel_size(spec.size)
        images = [self.picture(request, size, seed) for seed in range(spec.n)]
        previews = spec.partial_images or 0
        pause = float(self.config.options.get("LATENCY") or 0) / (previews + 1)
        for index in range(previews):
            time.sleep(pause)  # spread over the previews, as a real stream would
            if on_partial is not None:
                preview = partial_preview(images[0], index, previews, spec.output_format)
                on_partial(PartialImage(index=index, data=preview, mime_type=request.mime_type))
        time.sleep(pause)
        return self.result(request, size, images)

    def describe(self, request: DescribeRequest) -> Description:
        """A sentence from the image's two main colours, in the requested language: no model, no cost."""
        first, second = main_colours(request.image.data)
        with translation.override(request.language):
            text = _("Demo description: an image mostly in %(first)s, with %(second)s.") % {
                "first": first, "second": second} if second else _(
                "Demo description: an image in %(first)s.") % {"first": first}
        return Description(text=text[:request.max_length], usage=Usage(), model=self.vision_model(),
                           metadata={"demo": True})

    def vision_model(self) -> str:
        return "demo"

    def check(self, request: ImageRequest) -> None:
        if REFUSAL_MARKER in request.prompt:
            raise ContentRejected(categories=("demo",), stage="input")
        problem = request_problem(request, self.model_spec(request.model))
        if problem is not None:
            raise problem

    def picture(self, request: ImageRequest, size: tuple[int, int], seed: int) -> bytes:
        options = {
            "transparent": request.spec.background == "transparent",
            "compression": request.spec.output_compression,
            "seed": seed,
            "label": LABEL,
        }
        if request.kind == "edit":
            sources = [image.data for image in request.images]
            mask = request.mask.data if request.mask else None
            return derive_image(sources, request.prompt, size, request.spec.output_format, mask=mask, **options)
        return draw_image(request.prompt, size, request.spec.output_format, **options)

    def result(self, request: ImageRequest, size: tuple[int, int], images: list[bytes]) -> ImageResult:
        spec = request.spec
        made = spec.updated(size=f"{size[0]}x{size[1]}", quality=AUTO_QUALITY if spec.quality == "auto" else None)
        return ImageResult(
            images=tuple(GeneratedImage(data=data, mime_type=MIME_TYPES[spec.output_format]) for data in images),
            usage=estimate_usage(self.model_spec(request.model), made, prompt=request.prompt,
                                 input_sizes=tuple(dimensions(image.data) for image in request.images)),
            size=made.size,
            quality=made.quality,
            background="transparent" if spec.background == "transparent" else "opaque",
            output_format=spec.output_format,
            created=int(time.time()),
            metadata={"demo": True, "notice": _("Demo output: no AI model was used.")},
        )


def pixel_size(size: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels; "auto" draws a square, the API's most common choice."""
    return parse_size(size) or AUTO_SIZE


def dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def main_colours(data: bytes) -> tuple[Any, Any]:
    """The names (lazy: translated where they are rendered) of the two most common colours; the second may
    be empty."""
    with Image.open(io.BytesIO(data)) as image:
        raw = image.convert("RGB").resize((24, 24)).tobytes()
    pixels = [tuple(raw[start:start + 3]) for start in range(0, len(raw), 3)]
    counts = Counter(nearest_colour(pixel) for pixel in pixels)
    names = [name for name, _count in counts.most_common(2)]
    return names[0], names[1] if len(names) > 1 else ""


def nearest_colour(pixel: tuple[int, int, int]) -> Any:
    return min(COLOURS, key=lambda entry: sum((a - b) ** 2 for a, b in zip(entry[1], pixel, strict=True)))[0]
