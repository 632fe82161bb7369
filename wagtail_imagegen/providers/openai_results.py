"""Reading the OpenAI Images API's answers: an ImagesResponse body, or the events of a stream.

Only `data` (and `created`) matter; every other key is optional and unknown keys are ignored, because
gateways add their own (CometAPI's `prompt_tokens`, `claude_cache_creation_5_m_tokens`, ...).
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable, Iterable
from typing import Any

from PIL import Image as PILImage

from .base import MIME_TYPES, GeneratedImage, ImageResult, PartialCallback, PartialImage, UnusableResponse, Usage
from .openai_errors import unreadable

Fetch = Callable[[str], bytes]
PNG_END = b"IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"
# End markers are looked for near the end only: an embedded thumbnail has an end marker of its own.
TAIL = 32
# No GPT Image model makes more than 3840×2160 (8.3 megapixels); anything far bigger is a bomb or a bug.
MAX_OUTPUT_PIXELS = 40_000_000


def result_from_body(
    body: Any, *, output_format: str, fetch: Fetch, request_id: str | None = None
) -> ImageResult:
    """The result of a plain JSON response; `fetch` downloads `url` items (some gateways send them)."""
    if not isinstance(body, dict):
        raise unreadable(f"expected a JSON object, got {type(body).__name__}")
    image_format = format_of(body, output_format)
    images = tuple(image_from_item(item, image_format, fetch) for item in data_items(body))
    return result_with(images, body, request_id)


def result_from_events(
    events: Iterable[dict[str, Any]],
    *,
    output_format: str,
    on_partial: PartialCallback | None = None,
    request_id: str | None = None,
) -> ImageResult:
    """The result of a stream: partial images go to `on_partial`, the completed events make the result."""
    completed = []
    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith(".partial_image") and on_partial is not None:
            on_partial(partial_from_event(event, output_format))
        elif kind.endswith(".completed"):
            completed.append(event)
    if not completed:
        raise unreadable("the stream ended without a completed image")
    images = tuple(image_from_event(event, output_format) for event in completed)
    # Usage and resolved settings are per request; the last completed event has the final word.
    return result_with(images, completed[-1], request_id)


def partial_from_event(event: dict[str, Any], output_format: str) -> PartialImage:
    image_format = format_of(event, output_format)
    data = decode_image(event.get("b64_json"), image_format)
    index = as_int(event.get("partial_image_index"))
    return PartialImage(index=index, data=data, mime_type=MIME_TYPES[image_format])


def image_from_event(event: dict[str, Any], output_format: str) -> GeneratedImage:
    image_format = format_of(event, output_format)
    data = decode_image(event.get("b64_json"), image_format)
    return GeneratedImage(data=data, mime_type=MIME_TYPES[image_format])


def result_with(
    images: tuple[GeneratedImage, ...], source: dict[str, Any], request_id: str | None
) -> ImageResult:
    return ImageResult(
        images=images,
        usage=parse_usage(source.get("usage")),
        request_id=request_id,
        size=resolved(source.get("size")),
        quality=resolved(source.get("quality")),
        background=resolved(source.get("background")),
        output_format=resolved(source.get("output_format")),
        created=as_int(source.get("created", source.get("created_at"))) or None,
    )


def data_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("data")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise unreadable("the response has no usable `data` list")
    return items


def image_from_item(item: dict[str, Any], image_format: str, fetch: Fetch) -> GeneratedImage:
    if item.get("b64_json"):
        data = decode_image(item["b64_json"], image_format)
    elif isinstance(item.get("url"), str):
        data = checked_image(fetch(item["url"]), image_format)
    else:
        raise unreadable("a `data` item has neither `b64_json` nor `url`")
    revised = item.get("revised_prompt")
    return GeneratedImage(data=data, mime_type=MIME_TYPES[image_format], revised_prompt=revised or None)


def decode_image(encoded: Any, image_format: str) -> bytes:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise unreadable(f"the image data is not valid base64 ({exc})") from exc
    return checked_image(data, image_format)


def checked_image(data: bytes, image_format: str) -> bytes:
    """The bytes, if they are a whole file of `image_format`: mixed-up, cut-short or bomb images are refused."""
    if not has_magic(data, image_format):
        raise unreadable(f"expected a {image_format} file, got bytes starting {data[:12]!r}")
    if not is_complete(data, image_format):
        raise unreadable(f"the {image_format} file is cut short ({len(data)} bytes)")
    pixels = declared_pixels(data)
    if pixels > MAX_OUTPUT_PIXELS:
        raise UnusableResponse(status=200,
                               detail=f"the image declares {pixels} pixels, more than {MAX_OUTPUT_PIXELS}")
    return data


def declared_pixels(data: bytes) -> int:
    """Width × height from the image's header, without decoding it (a decompression bomb stays small here)."""
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except PILImage.DecompressionBombError:
        return MAX_OUTPUT_PIXELS + 1
    except (OSError, ValueError) as exc:
        raise unreadable(f"the image header cannot be read ({exc})") from exc
    return width * height


def has_magic(data: bytes, image_format: str) -> bool:
    if image_format == "webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if image_format == "jpeg":
        return data[:3] == b"\xff\xd8\xff"
    return data[:8] == b"\x89PNG\r\n\x1a\n"


def is_complete(data: bytes, image_format: str) -> bool:
    """Whether the file reaches its end: PNG's IEND chunk, JPEG's EOI marker, WebP's RIFF length."""
    if image_format == "webp":
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    if image_format == "jpeg":
        return JPEG_END in data[-TAIL:]
    return PNG_END in data[-TAIL:]


def format_of(source: dict[str, Any], requested: str) -> str:
    """The format the API says it used, else the one asked for."""
    value = source.get("output_format")
    return value if value in MIME_TYPES else requested if requested in MIME_TYPES else "png"


def parse_usage(raw: Any) -> Usage | None:
    """Usage from `usage`; without output details, every output token is an image token."""
    if not isinstance(raw, dict):
        return None
    inputs = raw.get("input_tokens_details")
    outputs = raw.get("output_tokens_details")
    if not isinstance(inputs, dict):
        inputs = {"text_tokens": raw.get("input_tokens")}
    if not isinstance(outputs, dict):
        outputs = {"image_tokens": raw.get("output_tokens")}
    return Usage(
        input_text_tokens=as_int(inputs.get("text_tokens")),
        input_image_tokens=as_int(inputs.get("image_tokens")),
        output_image_tokens=as_int(outputs.get("image_tokens")),
        output_text_tokens=as_int(outputs.get("text_tokens")),
    )


def as_int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def resolved(value: Any) -> str | None:
    """A setting the API reports; streamed events echo the request, so "auto" means "not said"."""
    return value if isinstance(value, str) and value and value != "auto" else None
