"""What a successful call answers: real images, usage from the fake's own token rules, and the body shapes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

from ..drawing import derive_image, draw_image, partial_preview
from .call import ImageCall
from .formats import animate, vector
from .tokens import PARTIAL_IMAGE_TOKENS, TokenCount, input_image_tokens, text_tokens

# GIF frames start as PNG stills; SVG is written, not drawn.
STILL_FORMAT = {"gif": "png"}


def render_image(call: ImageCall, index: int) -> bytes:
    """Output image `index` of the call: drawn from the prompt, or derived from the inputs for an edit."""
    if call.output_format == "svg":
        return vector(call.prompt, call.pixel_size, seed=index)
    still = _render_still(call, index, STILL_FORMAT.get(call.output_format, call.output_format))
    return animate(still, call.frames, call.frame_ms) if call.output_format == "gif" else still


def _render_still(call: ImageCall, index: int, output_format: str) -> bytes:
    options: dict[str, Any] = {
        "transparent": call.transparent,
        "compression": call.output_compression,
        "seed": index,
    }
    if call.kind == "edit":
        sources = [image.data for image in call.images]
        mask = call.mask.data if call.mask else None
        return derive_image(sources, call.prompt, call.pixel_size, output_format, mask=mask, **options)
    return draw_image(call.prompt, call.pixel_size, output_format, **options)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------------------
# Usage
# ---------------------------------------------------------------------------------------------------


def call_usage(call: ImageCall, *, n: int | None = None, partial_images: int = 0) -> TokenCount:
    """What the call used, by the fake's own rules (tokens.py): `n` images, each with its partial images."""
    per_image = call.family.output_tokens(call.resolved_quality, *call.pixel_size)
    return TokenCount(
        input_text=text_tokens(call.prompt),
        input_image=sum(input_image_tokens(*image.size, call.high_fidelity) for image in call.images),
        output_image=(call.n if n is None else n) * (per_image + partial_images * PARTIAL_IMAGE_TOKENS),
    )


def usage_body(usage: TokenCount, *, inputs: bool = True) -> dict[str, Any]:
    """The API's `usage` object (ImageGenUsage); `inputs=False` reports no input tokens at all."""
    text = usage.input_text if inputs else 0
    image = usage.input_image if inputs else 0
    return {
        "total_tokens": text + image + usage.output_image,
        "input_tokens": text + image,
        "output_tokens": usage.output_image,
        "input_tokens_details": {"text_tokens": text, "image_tokens": image},
        "output_tokens_details": {"image_tokens": usage.output_image, "text_tokens": 0},
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
