"""Reading a `generateContent` body into a checked GeminiCall, with Google's answers for what it refuses.

Field names follow the Gemini API's REST schema as google-genai 3.6.1 (`types.py`) serialises it; the
proto JSON parser takes camelCase and snake_case alike, so both are accepted, and an unknown name is
refused with its proto path. What each model accepts comes from gemini_lineup.py.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from .gemini_errors import (
    bad_request,
    invalid_argument,
    invalid_enum,
    missing_thought_signature,
    not_one_of,
    request_problem,
    unknown_field,
    wrong_type,
)
from .gemini_lineup import GeminiModel, nearest_aspect

# Known fields of each message (camelCase). None as a value: a message the fake does not look inside.
SCHEMA: dict[str, dict[str, str | None]] = {
    "GenerateContentRequest": {
        "model": None, "contents": "Content[]", "tools": None, "toolConfig": None, "safetySettings": None,
        "systemInstruction": "Content", "generationConfig": "GenerationConfig", "cachedContent": None,
    },
    "Content": {"role": None, "parts": "Part[]"},
    "Part": {
        "text": None, "inlineData": "Blob", "fileData": None, "functionCall": None, "functionResponse": None,
        "executableCode": None, "codeExecutionResult": None, "thought": None, "thoughtSignature": None,
        "videoMetadata": None, "partMetadata": None, "mediaResolution": None,
    },
    "Blob": {"mimeType": None, "data": None},
    "GenerationConfig": {
        "stopSequences": None, "responseMimeType": None, "responseSchema": None, "responseJsonSchema": None,
        "responseModalities": None, "candidateCount": None, "maxOutputTokens": None, "temperature": None,
        "topP": None, "topK": None, "seed": None, "presencePenalty": None, "frequencyPenalty": None,
        "responseLogprobs": None, "logprobs": None, "enableEnhancedCivicAnswers": None, "speechConfig": None,
        "thinkingConfig": "ThinkingConfig", "imageConfig": "ImageConfig", "mediaResolution": None,
    },
    # personGeneration, outputMimeType, outputCompressionQuality and imageOutputOptions are Vertex-only.
    "ImageConfig": {"aspectRatio": None, "imageSize": None},
    "ThinkingConfig": {"includeThoughts": None, "thinkingBudget": None, "thinkingLevel": None},
}
MODALITIES = ("TEXT", "IMAGE", "AUDIO")
THINKING_LEVELS = ("THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH")
ROLES = ("user", "model")
# Without responseModalities an image model answers text and image (Google's image-generation guide).
DEFAULT_MODALITIES = ("TEXT", "IMAGE")


@dataclass(frozen=True)
class InlineImage:
    data: bytes
    mime_type: str
    size: tuple[int, int]
    role: str
    content: int  # 0-based positions in `contents`
    part: int


@dataclass
class GeminiCall:
    """A checked generateContent request."""

    model: GeminiModel
    prompt: str
    images: list[InlineImage]
    modalities: tuple[str, ...]
    aspect: str
    tier: str
    thinking_level: str = ""
    include_thoughts: bool = False
    turns: int = 1
    sent: dict[str, Any] = field(default_factory=dict)

    @property
    def pixel_size(self) -> tuple[int, int]:
        return self.model.family.pixel_size(self.aspect, self.tier)

    @property
    def wants_image(self) -> bool:
        return "IMAGE" in self.modalities


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def normalised(message: str, value: Any, path: str) -> dict[str, Any]:
    """`value` (a JSON object) with camelCase keys, every key checked against SCHEMA[message], recursively."""
    if not isinstance(value, dict):
        raise wrong_type(path or message, message, value)
    fields = SCHEMA[message]
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = camel(key)
        if name not in fields:
            raise unknown_field(key, path)
        inner = fields[name]
        where = f"{path}.{snake(name)}" if path else snake(name)
        if inner and inner.endswith("[]"):
            if not isinstance(item, list):
                raise wrong_type(where, f"TYPE_MESSAGE[] {inner[:-2]}", item)
            out[name] = [normalised(inner[:-2], entry, f"{where}[{index}]") for index, entry in enumerate(item)]
        elif inner:
            out[name] = normalised(inner, item, where)
        else:
            out[name] = item
    return out


def parse_generate_content(model: GeminiModel, body: Mapping[str, Any] | None) -> GeminiCall:
    """Check a request as the Gemini API would; raise GoogleError for the first problem."""
    if body is None:
        raise bad_request("Invalid JSON payload received. Expected an object.")
    request = normalised("GenerateContentRequest", body, "")
    contents = request.get("contents") or []
    if not contents:
        raise request_problem("contents", "contents is not specified")
    config = request.get("generationConfig", {})
    image_config = config.get("imageConfig", {})
    family = model.family
    images, prompt = _read_contents(contents, family.signs)
    if len(images) > family.max_images:
        # No verbatim message was found; Google documents the limit ("Maximum images per prompt: 14").
        raise invalid_argument(f"Too many images in the request: {len(images)}. The maximum number of images "
                               f"for models/{model.id} is {family.max_images}.")
    modalities = _modalities(config.get("responseModalities"))
    thinking = config.get("thinkingConfig", {})
    level = thinking.get("thinkingLevel") or ""
    if level and level not in THINKING_LEVELS:
        raise invalid_enum("generation_config.thinking_config.thinking_level", "ThinkingLevel", level)
    return GeminiCall(
        model=model,
        prompt=prompt,
        images=images,
        modalities=modalities,
        aspect=_aspect(image_config.get("aspectRatio"), family.aspects, images),
        tier=_tier(image_config, model),
        thinking_level="" if level == "THINKING_LEVEL_UNSPECIFIED" else level,
        include_thoughts=bool(thinking.get("includeThoughts")),
        turns=sum(1 for content in contents if content.get("role", "user") == "user"),
        sent=request,
    )


def _read_contents(contents: list[dict[str, Any]], signs: bool) -> tuple[list[InlineImage], str]:
    images: list[InlineImage] = []
    for c, content in enumerate(contents):
        role = content.get("role") or "user"
        if role not in ROLES:
            raise invalid_argument("Please use a valid role: user, model.")
        parts = content.get("parts") or []
        if not parts:
            raise request_problem(f"contents[{c}].parts", "contents.parts must not be empty.")
        for p, part in enumerate(parts):
            where = f"contents[{c}].parts[{p}]"
            if not any(key in part for key in ("text", "inlineData", "fileData", "functionCall", "functionResponse",
                                                "executableCode", "codeExecutionResult")):
                raise request_problem(f"{where}.data", "required oneof field 'data' must have one initialized "
                                                       "field")
            if "thoughtSignature" in part:
                _decode(part["thoughtSignature"], f"{where}.thought_signature")
            blob = part.get("inlineData")
            if blob is None:
                continue
            image = _inline_image(blob, role, c, p)
            if image is None:
                continue
            if signs and role == "model" and not part.get("thoughtSignature"):
                raise missing_thought_signature(c + 1, p + 1)
            images.append(image)
    return images, _prompt(contents)


def _prompt(contents: list[dict[str, Any]]) -> str:
    """The text of the latest user turn that has any (what the fake draws from)."""
    for content in reversed(contents):
        if (content.get("role") or "user") != "user":
            continue
        texts = [part["text"] for part in content.get("parts", [])
                 if isinstance(part.get("text"), str) and not part.get("thought")]
        if texts:
            return " ".join(texts)
    return ""


def _decode(data: Any, where: str) -> bytes:
    """Standard or URL-safe base64, padding optional (proto JSON bytes)."""
    if not isinstance(data, str):
        raise wrong_type(where, "TYPE_BYTES", data)
    text = data.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{data[:40]}\"",
                          where) from None


def _inline_image(blob: dict[str, Any], role: str, c: int, p: int) -> InlineImage | None:
    where = f"contents[{c}].parts[{p}].inline_data"
    mime = blob.get("mimeType")
    if not mime:
        raise request_problem(f"{where}.mime_type", "mime_type is not specified")
    data = _decode(blob.get("data", ""), f"{where}.data")
    if not str(mime).startswith("image/"):
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            size = opened.size
    except (UnidentifiedImageError, OSError):
        raise invalid_argument("Unable to process input image. Please retry or report in "
                               "https://developers.generativeai.google/guide/troubleshooting") from None
    return InlineImage(data, str(mime), size, role, c, p)


def _modalities(value: Any) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_MODALITIES
    if not isinstance(value, list):
        raise wrong_type("generation_config.response_modalities", "TYPE_ENUM[]", value)
    for index, item in enumerate(value):
        if item not in MODALITIES:
            raise invalid_enum(f"generation_config.response_modalities[{index}]", "GenerationConfig.Modality", item)
    return tuple(value) or DEFAULT_MODALITIES


def _aspect(value: Any, aspects: tuple[str, ...], images: list[InlineImage]) -> str:
    if value is None or value == "":
        # Without aspectRatio: the last input image's shape, else square (Google's guide).
        return nearest_aspect(*images[-1].size, aspects) if images else "1:1"
    if value not in aspects:
        raise not_one_of("generation_config.image_config.aspect_ratio", "aspect_ratio", aspects)
    return str(value)


def _tier(image_config: dict[str, Any], model: GeminiModel) -> str:
    family = model.family
    value = image_config.get("imageSize")
    if value is None or value == "":
        return family.default_tier
    if not family.tiers:
        raise request_problem("generation_config.image_config.image_size",
                              f"image_size is not supported for models/{model.id}.")
    if value not in family.tiers:
        raise not_one_of("generation_config.image_config.image_size", "image_size", family.tiers)
    return str(value)
