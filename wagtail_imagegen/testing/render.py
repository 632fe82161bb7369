"""What a successful call answers: real images from drawing.py, usage from pricing.py, and the body shapes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

from ..drawing import derive_image, draw_image, partial_preview
from ..pricing import estimate_usage
from ..providers.base import Usage
from .validation import ImageCall


def render_image(call: ImageCall, index: int) -> bytes:
    """Output image `index` of the call: drawn from the prompt, or derived from the inputs for an edit."""
    options: dict[str, Any] = {
        "transparent": call.transparent,
        "compression": call.output_compression,
        "seed": index,
    }
    if call.kind == "edit":
        sources = [image.data for image in call.images]
        mask = call.mask.data if call.mask else None
        return derive_image(sources, call.prompt, call.pixel_size, call.output_format, mask=mask, **options)
    return draw_image(call.prompt, call.pixel_size, call.output_format, **options)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------------------
# Usage
# ---------------------------------------------------------------------------------------------------


def call_usage(call: ImageCall, *, n: int | None = None, partial_images: int = 0) -> Usage:
    """Token usage from the app's own pricing table, so a test can compare it to the estimate exactly."""
    return estimate_usage(
        prompt=call.prompt,
        size=call.resolved_size,
        quality=call.resolved_quality,
        n=call.n if n is None else n,
        input_sizes=tuple(image.size for image in call.images),
        input_fidelity=call.input_fidelity,
        partial_images=partial_images,
    )


def usage_body(usage: Usage, *, inputs: bool = True) -> dict[str, Any]:
    """The API's `usage` object (ImageGenUsage); `inputs=False` reports no input tokens at all."""
    text = usage.input_text_tokens if inputs else 0
    image = usage.input_image_tokens if inputs else 0
    output = usage.output_image_tokens + usage.output_text_tokens
    return {
        "total_tokens": text + image + output,
        "input_tokens": text + image,
        "output_tokens": output,
        "input_tokens_details": {"text_tokens": text, "image_tokens": image},
        "output_tokens_details": {"image_tokens": usage.output_image_tokens, "text_tokens": usage.output_text_tokens},
    }


# ---------------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------------


def images_response(call: ImageCall, items: list[dict[str, Any]], usage: dict[str, Any]) -> dict[str, Any]:
    """ImagesResponse: the resolved settings (never "auto"), as the non-streaming API reports them."""
    return {
        "created": int(time.time()),
        "data": items,
        "background": "transparent" if call.transparent else "opaque",
        "output_format": call.output_format,
        "quality": call.resolved_quality,
        "size": call.resolved_size,
        "usage": usage,
    }


def stream_events(call: ImageCall, index: int, final: bytes) -> Iterator[dict[str, Any]]:
    """The partial-image events and then the completed event for output image `index`.

    Events echo the requested settings (which may be "auto"). With n > 1 each completed event carries
    that image's output tokens and only the first carries the input tokens, so the events add up to
    the request's usage.
    """
    prefix = "image_generation" if call.kind == "generate" else "image_edit"
    echo = {
        "created_at": int(time.time()),
        "size": call.size,
        "quality": call.quality,
        "background": call.background,
        "output_format": call.output_format,
    }
    for partial in range(call.partial_images):
        preview = partial_preview(final, partial, call.partial_images, call.output_format)
        yield {"type": f"{prefix}.partial_image", "b64_json": b64(preview), **echo, "partial_image_index": partial}
    usage = call_usage(call, n=1, partial_images=call.partial_images)
    yield {"type": f"{prefix}.completed", "b64_json": b64(final), **echo, "usage": usage_body(usage, inputs=index == 0)}


def sse_frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


SSE_DONE = b"data: [DONE]\n\n"
