"""The fake API's Gemini route: `POST /{v1beta|v1}/models/{model}:generateContent`, answered as the Gemini API
answers (docs/gemini.md): Google's key rules and error shape, real PNGs of the model's real size for the
aspect and tier, thought signatures on Gemini 3 answers, usageMetadata by the fake's own token rules, and
Gemini-shaped faults.

FakeImageAPI does the shared work (recording, latency, silent faults); this module does the rest.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from PIL import Image

from ..drawing import derive_image, draw_image, encode
from . import gemini_errors as errors
from .faults import GEMINI_FAULTS, Fault, FaultContext, early_reply
from .gemini_lineup import GeminiModel, find_gemini_model
from .gemini_request import GeminiCall, parse_generate_content
from .wire import RecordedRequest, Reply, json_reply, raw_reply

GEMINI_ROUTE = re.compile(r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")
# OpenAI faults that are about the connection or a proxy in front, not the API: answered the same way.
TRANSPORT_FAULTS = frozenset({"cloudflare_timeout", "html_redirect"})
# Faults answered inside a success body, or by the shared code (the silent ones).
GEMINI_SHAPED = frozenset({*GEMINI_FAULTS, "malformed_json", "truncated_base64", "wrong_magic"})
SHAPED_ELSEWHERE = frozenset({"hang", "drop_connection"})
REFUSAL_TEXT = "I can't create that image, but I can describe it: {prompt}"


@dataclass(frozen=True)
class GeminiRoute:
    version: str
    model: str
    method: str


def match_gemini_route(path: str) -> GeminiRoute | None:
    match = GEMINI_ROUTE.match(path)
    return GeminiRoute(match["version"], match["model"], match["method"]) if match else None


def authenticate(request: RecordedRequest, api_key: str | None) -> None:
    """`x-goog-api-key` or `?key=`: none is 403, a wrong one 400 API_KEY_INVALID (any key when api_key is None)."""
    given = request.headers.get("x-goog-api-key") or request.query.get("key") or ""
    if not given:
        raise errors.no_api_key()
    if api_key is not None and not hmac.compare_digest(given.encode(), api_key.encode()):
        raise errors.api_key_invalid()


def find_model(route: GeminiRoute, today: date, serve_retired: bool) -> GeminiModel:
    if route.method != "generateContent":
        raise errors.method_not_found(f"/{route.version}/models/{route.model}:{route.method}")
    model = find_gemini_model(route.model)
    if model is None or (model.retired_on(today) and not serve_retired):
        raise errors.model_not_found(route.model.removeprefix("models/"), route.version)
    return model


def prompt_of(request: RecordedRequest) -> str:
    """The latest user turn's text, read before validation (to spot `[fake:...]` tokens; a refine after a
    faulted turn is not faulted again)."""
    contents = (request.json or {}).get("contents")
    for content in reversed(contents if isinstance(contents, list) else []):
        if not isinstance(content, dict) or (content.get("role") or "user") != "user":
            continue
        parts = content.get("parts") if isinstance(content.get("parts"), list) else []
        return " ".join(part["text"] for part in parts if isinstance(part, dict) and isinstance(part.get("text"), str))
    return ""


# ---------------------------------------------------------------------------------------------------
# Answering
# ---------------------------------------------------------------------------------------------------


def answer(route: GeminiRoute, request: RecordedRequest, fault: Fault | None, context: FaultContext, *,
           today: date, serve_retired: bool) -> Reply:
    """The reply to an authenticated call (silent faults and latency already handled by the caller)."""
    if fault and fault.name in TRANSPORT_FAULTS:
        return early_reply(fault, context)
    if fault and fault.name not in GEMINI_SHAPED:
        early = _early_error(fault, route.model)
        if early is not None:
            return early
    model = find_model(route, today, serve_retired)
    call = parse_generate_content(model, request.json)
    body = _success(call, fault, request)
    if fault and fault.name == "malformed_json":
        text = json.dumps(body)
        return raw_reply(200, text[: len(text) // 3].encode(), "application/json; charset=UTF-8")
    return json_reply(200, body)


def _early_error(fault: Fault, model: str) -> Reply | None:
    if fault.name == "rate_limit":
        return errors.resource_exhausted(model, float(fault.options.get("retry_after", 1.0))).reply()
    if fault.name == "insufficient_quota":
        return errors.resource_exhausted(model, None).reply()
    if fault.name == "server_error":
        return errors.internal().reply()
    if fault.name == "unavailable":
        return errors.overloaded().reply()
    if fault.name in SHAPED_ELSEWHERE:
        return None
    # An OpenAI-only fault sent to the Gemini route is a test's mistake: say so rather than ignore it.
    return errors.internal(f"The fake has no Gemini form of the fault {fault.name!r}.").reply()


def _success(call: GeminiCall, fault: Fault | None, request: RecordedRequest) -> dict[str, Any]:
    name = fault.name if fault else ""
    usage = _usage(call)
    body: dict[str, Any] = {"candidates": [], "usageMetadata": usage, "modelVersion": call.model.id,
                            "responseId": _response_id()}
    if name == "gemini_prompt_blocked":
        del body["candidates"]
        body["promptFeedback"] = {"blockReason": fault.options.get("block_reason", "PROHIBITED_CONTENT")}
        body["usageMetadata"] = _prompt_only(usage)
        return body
    if name == "gemini_safety":
        reason = fault.options.get("finish_reason", "IMAGE_SAFETY")
        body["candidates"] = [{"content": {"role": "model"}, "finishReason": reason, "index": 0}]
        body["usageMetadata"] = _prompt_only(usage)
        return body
    parts = _parts(call, name, request)
    body["candidates"] = [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}]
    if not any("inlineData" in part for part in parts):
        body["usageMetadata"] = _text_only_usage(usage, parts)
    return body


def _parts(call: GeminiCall, fault: str, request: RecordedRequest) -> list[dict[str, Any]]:
    signs = call.model.family.signs
    parts: list[dict[str, Any]] = []
    if signs and call.include_thoughts:
        parts.append({"text": f"**Planning the image**\n\nComposing {call.prompt[:60]!r}.", "thought": True})
    if fault == "gemini_text_only" or not call.wants_image:
        parts.append({"text": REFUSAL_TEXT.format(prompt=call.prompt)})
    else:
        image = _render(call, fault)
        request.output_images.append(image)
        data = base64.b64encode(image).decode("ascii")
        if fault == "truncated_base64":
            data = data[: len(data) // 8 * 4]
        if fault == "gemini_data_url_text":
            parts.append({"text": f"Here is your image:\n\n![image](data:image/png;base64,{data})"})
        else:
            if "TEXT" in call.modalities:
                parts.append({"text": f"Here is your image of {call.prompt[:80]}."})
            parts.append({"inlineData": {"mimeType": "image/png", "data": data}})
    if signs:
        # Gemini 3: a signature on the first part after the thoughts and on every image part.
        first = next(part for part in parts if not part.get("thought"))
        for part in parts:
            if part is first or "inlineData" in part:
                part["thoughtSignature"] = _signature()
    return parts


def _render(call: GeminiCall, fault: str) -> bytes:
    size = call.pixel_size
    # The newest image first: an edit or a refine starts from it, the others become insets.
    sources = [image.data for image in reversed(call.images)]
    seed = call.turns - 1
    image = (derive_image(sources, call.prompt, size, "png", seed=seed) if sources
             else draw_image(call.prompt, size, "png", seed=seed))
    if fault == "wrong_magic":
        return encode(Image.open(io.BytesIO(image)), "jpeg")
    return image


def _signature() -> str:
    return base64.b64encode(b"fake-thought-signature:" + uuid.uuid4().bytes).decode("ascii")


def _response_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")[:22]


# ---------------------------------------------------------------------------------------------------
# usageMetadata, by the fake's own rules (gemini_lineup.py)
# ---------------------------------------------------------------------------------------------------


def text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _usage(call: GeminiCall) -> dict[str, Any]:
    family = call.model.family
    prompt_text = text_tokens(call.prompt)
    prompt_images = family.input_image_tokens * len(call.images)
    image_out = family.output_tokens[call.tier] if call.wants_image else 0
    text_out = text_tokens(f"Here is your image of {call.prompt[:80]}.") if "TEXT" in call.modalities else 0
    thoughts = family.thoughts.get(call.thinking_level, family.thoughts.get("", 0)) if family.signs else 0
    prompt_details = [{"modality": "TEXT", "tokenCount": prompt_text}]
    if prompt_images:
        prompt_details.append({"modality": "IMAGE", "tokenCount": prompt_images})
    candidate_details = [{"modality": "IMAGE", "tokenCount": image_out}] if image_out else []
    if text_out:
        candidate_details.append({"modality": "TEXT", "tokenCount": text_out})
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_text + prompt_images,
        "candidatesTokenCount": image_out + text_out,
        "totalTokenCount": prompt_text + prompt_images + image_out + text_out + thoughts,
        "promptTokensDetails": prompt_details,
        "candidatesTokensDetails": candidate_details,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _prompt_only(usage: Mapping[str, Any]) -> dict[str, Any]:
    return {"promptTokenCount": usage["promptTokenCount"], "totalTokenCount": usage["promptTokenCount"],
            "promptTokensDetails": usage["promptTokensDetails"]}


def _text_only_usage(usage: Mapping[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    text = sum(text_tokens(part["text"]) for part in parts if "text" in part and not part.get("thought"))
    thoughts = usage.get("thoughtsTokenCount", 0)
    out = {**usage, "candidatesTokenCount": text,
           "totalTokenCount": usage["promptTokenCount"] + text + thoughts,
           "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": text}]}
    return out
