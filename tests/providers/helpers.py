"""Shared helpers of the provider tests: real images made in the test, multipart parsing, configs."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx
from PIL import Image

from wagtail_imagegen.providers.base import ImageRequest, InputImage, ProviderConfig
from wagtail_imagegen.providers.openai import OpenAIImageProvider

API_KEY = "sk-test-secret-key-0123456789abcdef"
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
COLOURS = ("red", "green", "blue", "white")


Colour = str | tuple[int, ...]


def image_bytes(output_format: str = "png", size: tuple[int, int] = (16, 16), colour: Colour = "teal") -> bytes:
    """A real, tiny image file in `output_format`."""
    mode = "RGB" if output_format == "jpeg" else "RGBA"
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, PIL_FORMATS[output_format])
    return buffer.getvalue()


def config(**overrides: object) -> ProviderConfig:
    values: dict = {
        "alias": "test",
        "class_path": "wagtail_imagegen.providers.openai.OpenAIImageProvider",
        "model": "gpt-image-2.6-flare",
        "api_key": API_KEY,
        "base_url": "https://api.example.test/v1",
        "timeout": 5.0,
        "options": {},
    }
    return ProviderConfig(**{**values, **overrides})


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode()


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart/form-data body, in order (stdlib email parser, no extra dependency)."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    return [
        Part(
            name=part.get_param("name", header="content-disposition"),
            filename=part.get_filename(),
            content_type=part.get_content_type() if part.get("content-type") else None,
            data=part.get_payload(decode=True) or b"",
        )
        for part in message.iter_parts()
    ]

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


def images_body(*images: bytes, **extra: Any) -> dict[str, Any]:
    """An ImagesResponse body carrying `images` as base64."""
    data = [{"b64_json": base64.b64encode(image).decode()} for image in images]
    return {"created": 1713833628, "data": data, **extra}


def sse(*events: dict[str, Any] | str) -> bytes:
    """An event stream: dicts become `event:`/`data:` frames, strings are sent as raw `data:` lines."""
    frames = []
    for event in events:
        if isinstance(event, str):
            frames.append(f"data: {event}\n\n")
        else:
            frames.append(f"event: {event.get('type', 'error')}\ndata: {json.dumps(event)}\n\n")
    return "".join(frames).encode()


def stream_response(body: bytes | Iterator[bytes], **headers: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream", **headers}, content=body)


class ScriptedAPI:
    """Answers requests from a queue (a plain PNG response when empty) and records them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Answer] = []
        self.default_image = image_bytes("png")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.ok()
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def ok(self) -> httpx.Response:
        return httpx.Response(200, json=images_body(self.default_image))

    def reply(self, *answers: Answer) -> ScriptedAPI:
        self.answers.extend(answers)
        return self

    def provider(self, cls: type[OpenAIImageProvider] = OpenAIImageProvider, **overrides: Any) -> Any:
        return cls(config(**overrides), transport=httpx.MockTransport(self))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> dict[str, Any]:
        return json.loads(self.last.content)


def generation(**fields: Any) -> ImageRequest:
    defaults = {"kind": "generate", "prompt": "a lighthouse at dusk", "model": "gpt-image-2.6-flare"}
    return ImageRequest.of(**{**defaults, **fields})


def edit(images: int = 1, **fields: Any) -> ImageRequest:
    """An edit of `images` distinct real PNGs."""
    colours = COLOURS * 5
    sources = tuple(InputImage(image_bytes(colour=colours[i]), f"source-{i}.png") for i in range(images))
    return generation(kind="edit", images=sources, **fields)

