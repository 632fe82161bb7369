"""Google's Gemini image models ("Nano Banana") through the Gemini API's generateContent, over httpx.

One call makes one image, so n candidates are n calls. Sizes are an aspect ratio and a resolution tier
(the catalog's TieredSizes maps a WIDTHxHEIGHT to them); the image keeps the size the model made.
Safety refusals come back as HTTP 200 with no image, and are raised as ContentRejected here.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ..catalog import ModelSpec, TieredSizes
from ..catalog.gemini import NANO_BANANA_2_1, NANO_BANANA_PRO, PERMISSIVE_GEMINI
from .base import (
    MIME_TYPES,
    ContentRejected,
    GeneratedImage,
    ImageProvider,
    ImageRequest,
    ImageResult,
    InputImage,
    ModelNotFound,
    PartialCallback,
    ProviderConfig,
    ProviderError,
    Turn,
    UnusableResponse,
    Usage,
    one_image_a_call,
    redact,
)
from .gemini_errors import error_from_response
from .http import api_client, read_capped
from .openai_errors import error_from_exception, json_body, unreadable
from .openai_results import decode_image
from .validation import request_problem

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
DEFAULT_MAX_IMAGE_MB = 40  # a 4K PNG is about 30 MB; base64 and JSON add a third
# Finish reasons of an answer the safety system stopped: IMAGE_* after drawing, the others on the prompt.
SAFETY_FINISH = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY",
                           "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})
# Some gateways put the image in a text part as a data URL (or a Markdown image of one).
DATA_URL = re.compile(r"data:(image/[\w.+-]+);base64,([A-Za-z0-9+/=_-]+)")
MAX_QUOTED_TEXT = 200
Body = dict[str, Any]


class GeminiImageProvider(ImageProvider):
    """Gemini image models through the Gemini API (or a gateway that speaks it).

    OPTIONS: RESPONSE_MODALITIES (default ["IMAGE"]; ["TEXT", "IMAGE"] for models or gateways that need
    both), MAX_IMAGE_MB (the largest answer accepted per image, default 40).
    """

    name = "gemini"
    api = "gemini"
    default_model: ClassVar[str] = NANO_BANANA_2_1
    default_final_model: ClassVar[str] = NANO_BANANA_PRO
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    api_key_environment: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")

    def __init__(self, config: ProviderConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(config, transport=transport)
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            # The trailing slash keeps the version ("/v1beta") in paths joined to it.
            base_url = (self.config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/"
            self._client = api_client(self.config, base_url, self.auth_headers(), self.transport)
        return self._client

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.config.api_key} if self.config.api_key else {}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def model_spec(self, model: str | None = None) -> ModelSpec:
        spec = super().model_spec(model)
        if spec.guessed:  # a name the catalog does not know: Gemini's shape, not GPT Image's
            return replace(PERMISSIVE_GEMINI, name=spec.name)
        return spec

    # -- the calls ------------------------------------------------------------------------------------

    def generate(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request)

    def edit(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        return self.answer(request)

    def answer(self, request: ImageRequest) -> ImageResult:
        """n calls of one image each (base.one_image_a_call)."""
        model = self.model_spec(request.model)
        problem = request_problem(request, model)
        if problem is not None:
            raise problem
        body = request_body(request, model, self.config.options)
        return one_image_a_call(request.spec.n, lambda: self.call(request, body))

    def call(self, request: ImageRequest, body: Body) -> ImageResult:
        path = f"models/{request.model}:generateContent"
        with self.translated_errors():
            response = read_capped(self.client.send(self.client.build_request("POST", path, json=body), stream=True),
                                   self.response_limit())
        if not response.is_success:
            error = error_from_response(response, api_key=self.config.api_key, model=request.model)
            raise with_successor(error, self.model_spec(request.model))
        return read_answer(json_body(response, self.config.api_key), response, self.config.api_key)

    def response_limit(self) -> int:
        per_image = float(self.config.options.get("MAX_IMAGE_MB", DEFAULT_MAX_IMAGE_MB)) * 1024 * 1024
        return int(per_image * 4 / 3) + 64 * 1024

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            raise error_from_exception(exc, self.config.api_key) from exc


# -- the request ----------------------------------------------------------------------------------------


def request_body(request: ImageRequest, model: ModelSpec, options: dict[str, Any]) -> Body:
    """contents (the earlier turns, then the prompt and the images in order), responseModalities and imageConfig.

    A refinement continues the conversation: the candidate is in the model's last turn, so only the new
    instruction is sent with it.
    """
    images = () if request.history else request.images
    contents = [turn_content(turn) for turn in request.history]
    contents.append({"role": "user", "parts": [{"text": request.prompt}, *map(inline, images)]})
    config: Body = {"responseModalities": list(options.get("RESPONSE_MODALITIES") or ["IMAGE"])}
    image_config = image_config_of(request.spec.size, model)
    if image_config:
        config["imageConfig"] = image_config
    return {"contents": contents, "generationConfig": config}


def inline(image: InputImage) -> Body:
    return {"inlineData": {"mimeType": image.mime_type, "data": base64.b64encode(image.data).decode("ascii")}}


def turn_content(turn: Turn) -> Body:
    """An earlier turn as sent before: a user's text and images, or the model's parts with their signatures."""
    if turn.role == "user":
        return {"role": "user", "parts": [{"text": turn.text}, *map(inline, turn.images)]}
    images = iter(turn.images)
    parts = []
    for recorded in turn.parts:
        part = {key: recorded[key] for key in ("text", "thoughtSignature") if key in recorded}
        if recorded.get("image"):
            image = next(images, None)
            if image is None:
                continue
            part.update(inline(image))
        parts.append(part)
    return {"role": "model", "parts": parts}


def image_config_of(size: str, model: ModelSpec) -> Body:
    """aspectRatio and imageSize for a size; nothing for auto (the model follows the source, at 1K)."""
    sizes = model.sizes
    if size == "auto" or not isinstance(sizes, TieredSizes):
        return {}
    fitted = sizes.fit(size)
    if fitted is None:  # validation refused it before; never send a guess
        return {}
    ratio, tier = fitted
    return {"aspectRatio": ratio, "imageSize": tier} if sizes.tier_parameter else {"aspectRatio": ratio}


# -- the answer -----------------------------------------------------------------------------------------


def read_answer(body: Any, response: httpx.Response, api_key: str | None) -> ImageResult:
    """The one image of an answer; a refusal or an answer without an image raises, never "succeeds"."""
    if not isinstance(body, dict):
        raise unreadable("the answer is not a JSON object", api_key)
    request_id = response.headers.get("x-request-id") or body.get("responseId")
    usage = usage_of(body.get("usageMetadata"))
    candidates = body.get("candidates") or []
    if not candidates:
        raise blocked(body.get("promptFeedback") or {}, request_id)
    candidate = candidates[0] if isinstance(candidates[0], dict) else {}
    parts = [part for part in (candidate.get("content") or {}).get("parts") or () if isinstance(part, dict)]
    image = last_image(parts, api_key)
    finish = str(candidate.get("finishReason") or "")
    if image is None:
        if finish in SAFETY_FINISH:
            raise ContentRejected(categories=(finish,), stage="output" if finish.startswith("IMAGE_") else "input",
                                  detail=f"finishReason {finish}", status=200, request_id=request_id)
        raise no_image(parts, finish, request_id, api_key)
    data, mime_type = image
    width, height = pixel_size(data, api_key)
    return ImageResult(
        images=(GeneratedImage(data=data, mime_type=mime_type),), usage=usage, request_id=request_id,
        size=f"{width}x{height}", output_format=mime_type.removeprefix("image/"),
        metadata={"turns": [{"response_id": body.get("responseId"), "model_version": body.get("modelVersion"),
                             "parts": model_turn(parts)}]},
    )


def last_image(parts: list[Body], api_key: str | None) -> tuple[bytes, str] | None:
    """The last image part that is not a thought (Gemini 3 may show interim drafts), else a data URL in text."""
    for part in reversed(parts):
        inline = part.get("inlineData") or part.get("inline_data")
        if isinstance(inline, dict) and not part.get("thought"):
            mime_type = str(inline.get("mimeType") or inline.get("mime_type") or "")
            if mime_type.startswith("image/"):
                return decoded(str(inline.get("data") or ""), mime_type, api_key), mime_type
    for part in reversed(parts):
        match = DATA_URL.search(str(part.get("text") or "")) if not part.get("thought") else None
        if match:
            return decoded(match[2], match[1], api_key), match[1]
    return None


def decoded(data: str, mime_type: str, api_key: str | None) -> bytes:
    """The image's bytes (the API may send standard or URL-safe base64), checked as whole files where we know
    the format (openai_results.decode_image: magic, completeness, pixel bombs)."""
    standard = data.replace("-", "+").replace("_", "/")
    image_format = mime_type.removeprefix("image/")
    if image_format in MIME_TYPES:
        return decode_image(standard, image_format)
    try:
        return base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise unreadable(f"the image is not valid base64 ({exc})", api_key) from exc


def pixel_size(data: bytes, api_key: str | None) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return picture.size
    except (UnidentifiedImageError, OSError) as exc:
        raise unreadable(f"the image part is not an image ({exc})", api_key) from exc


def model_turn(parts: list[Body]) -> list[Body]:
    """The model's answer as a later turn sends it back: its text and its image, each with the thought
    signature Gemini 3 requires, without the image bytes (the output keeps those) and without the
    interim thoughts (their drafts are not kept)."""
    kept = []
    for part in parts:
        if part.get("thought"):
            continue
        entry: Body = {key: part[key] for key in ("text", "thoughtSignature") if key in part}
        if part.get("inlineData") or part.get("inline_data"):
            entry["image"] = True
        kept.append(entry)
    return kept


def blocked(feedback: Body, request_id: str | None) -> ContentRejected:
    reason = str(feedback.get("blockReason") or "BLOCKED")
    return ContentRejected(categories=(reason,), stage="input", detail=f"promptFeedback.blockReason {reason}",
                           status=200, request_id=request_id)


def no_image(parts: list[Body], finish: str, request_id: str | None, api_key: str | None) -> ProviderError:
    """An answer with text only: the model's words are what the editor needs to rephrase."""
    said = " ".join(str(part.get("text") or "") for part in parts if not part.get("thought")).strip()
    said = redact(said, api_key)[:MAX_QUOTED_TEXT]
    message = (_("The model answered without an image: “%(text)s”") % {"text": said} if said
               else _("The model answered without an image. Rephrase the prompt and try again."))
    return UnusableResponse(message, status=200, request_id=request_id,
                            detail=f"no image part (finishReason {finish or 'none'})")


def usage_of(metadata: Any) -> Usage | None:
    """usageMetadata by modality; thinking tokens are billed as text output."""
    if not isinstance(metadata, dict):
        return None
    prompt = by_modality(metadata.get("promptTokensDetails"))
    output = by_modality(metadata.get("candidatesTokensDetails"))
    if not prompt:
        prompt = {"TEXT": int(metadata.get("promptTokenCount") or 0)}
    if not output:
        output = {"IMAGE": int(metadata.get("candidatesTokenCount") or 0)}
    return Usage(
        input_text_tokens=prompt.get("TEXT", 0),
        input_image_tokens=prompt.get("IMAGE", 0),
        output_image_tokens=output.get("IMAGE", 0),
        output_text_tokens=output.get("TEXT", 0) + int(metadata.get("thoughtsTokenCount") or 0),
    )


def by_modality(details: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in details or ():
        if isinstance(item, dict):
            modality = str(item.get("modality") or "TEXT")
            counts[modality] = counts.get(modality, 0) + int(item.get("tokenCount") or 0)
    return counts


def with_successor(error: ProviderError, model: ModelSpec) -> ProviderError:
    if isinstance(error, ModelNotFound) and model.successor:
        return type(error)(error.model, successor=model.successor, detail=error.detail, status=error.status,
                           request_id=error.request_id)
    return error
