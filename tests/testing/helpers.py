"""Small helpers for the fake API tests: real images to upload, decoded answers, parsed event streams."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import httpx
from PIL import Image, ImageChops, ImageStat

from wagtail_imagegen.drawing import draw_image

from ..conftest import mask_bytes

__all__ = [
    "EDIT", "GENERATE", "MODEL", "decode", "error_of", "event_payloads", "events_of", "generate", "mask_bytes",
    "mean_difference", "opened", "picture", "upload",
]


# The current default of the lineup; tests of retired models name theirs.
MODEL = "gpt-image-2.6-flare"
GENERATE = "/v1/images/generations"
EDIT = "/v1/images/edits"


def generate(http: httpx.Client, path: str = GENERATE, headers: dict[str, str] | None = None,
             **params: Any) -> httpx.Response:
    """POST a generation; `params` override a valid request to MODEL (None removes a field)."""
    body = {"model": MODEL, "prompt": "A lighthouse at dusk", **params}
    return http.post(path, json={k: v for k, v in body.items() if v is not None}, headers=headers)


def picture(width: int = 1024, height: int = 1024, fmt: str = "png", prompt: str = "source") -> bytes:
    """A real image with structure (gradient and shapes), so an edit's changes are measurable."""
    return draw_image(prompt, (width, height), fmt)


def upload(data: bytes, name: str = "image.png", content_type: str = "image/png") -> tuple[str, bytes, str]:
    return (name, data, content_type)


def decode(item: dict[str, Any]) -> bytes:
    return base64.b64decode(item["b64_json"])


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    """Mean absolute difference per RGB channel (0–255)."""
    return sum(ImageStat.Stat(ImageChops.difference(first.convert("RGB"), second.convert("RGB"))).mean) / 3


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error object of an OpenAI error envelope (all four keys must be there)."""
    error = response.json()["error"]
    assert {"message", "type", "param", "code"} <= error.keys()
    return error


def events_of(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) for each server-sent event in `text`."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event"), fields["data"]))
    return events


def event_payloads(text: str) -> list[dict[str, Any]]:
    return [json.loads(data) for name, data in events_of(text) if data != "[DONE]"]
