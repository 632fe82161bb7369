"""The OpenAI provider's Responses API mode: a mainline model calls the image_generation tool.

A refinement continues the model's own conversation: it sends the new instruction and the previous
response's id (`previous_response_id`), and no image travels again. When that response is gone, the
provider falls back to an Images API edit of the candidate's bytes and says so in the result.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from django.utils.translation import gettext as _

from ..catalog import ModelSpec
from .base import (
    MIME_TYPES,
    ContentRejected,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    InputImage,
    InvalidRequest,
    PartialImage,
    ProviderError,
    UnusableResponse,
    Usage,
    redact,
)
from .openai_errors import unreadable
from .openai_results import decode_image, format_of

Fields = dict[str, Any]
# How the API says a previous response is gone (deleted, expired, unstored, another account's), and the
# terser answer some backends give with no param.
GONE_CODES = frozenset({"previous_response_not_found"})
GONE_MESSAGE = "invalid `previous_response_id`"
MAX_QUOTED_TEXT = 200


def previous_response(request: ImageRequest) -> str | None:
    """The id of the response that made the candidate being refined (from the model's last recorded turn)."""
    for turn in reversed(request.history):
        if turn.role == "model":
            return next((str(part["response_id"]) for part in turn.parts if part.get("response_id")), None)
    return None


def tool(request: ImageRequest, model: ModelSpec, *, continuing: bool) -> Fields:
    """The image_generation tool with the request's options, only those the model takes."""
    spec = request.spec
    fields: Fields = {
        "type": "image_generation", "model": request.model, "size": spec.size, "quality": spec.quality,
        "background": spec.background, "output_format": spec.output_format, "moderation": spec.moderation,
        "action": "edit" if continuing or request.images else "generate",
    }
    if spec.output_format != "png" and model.compression and spec.output_compression is not None:
        fields["output_compression"] = spec.output_compression
    for control in model.controls:
        if getattr(spec, control, None) is not None:
            fields[control] = getattr(spec, control)
    if request.kind == "edit" and model.input_fidelity == "parameter" and spec.input_fidelity:
        fields["input_fidelity"] = spec.input_fidelity
    if request.mask is not None and not continuing:
        fields["input_image_mask"] = {"image_url": data_url(request.mask)}
    if spec.partial_images:  # streamed previews (the body asks for a stream)
        fields["partial_images"] = spec.partial_images
    return fields


def request_body(request: ImageRequest, model: ModelSpec, mainline: str, *, previous: str | None,
                 file_ids: dict[bytes, str] | None = None) -> Fields:
    """POST /responses: the prompt (and, unless continuing, the images: by uploaded file id where `file_ids`
    has one, else inline), the tool forced, stored for refining."""
    file_ids = file_ids or {}
    content: list[Fields] = [{"type": "input_text", "text": request.prompt}]
    if previous is None:
        content += [{"type": "input_image", **image_reference(image, file_ids), "detail": "auto"}
                    for image in request.images]
    image_tool = tool(request, model, continuing=previous is not None)
    if "input_image_mask" in image_tool and request.mask is not None:
        image_tool["input_image_mask"] = image_reference(request.mask, file_ids)
    body: Fields = {
        "model": mainline,
        "input": [{"role": "user", "content": content}],
        "tools": [image_tool],
        "tool_choice": {"type": "image_generation"},
        "store": True,  # a later refinement continues from this response
    }
    if previous is not None:
        body["previous_response_id"] = previous
    if request.spec.partial_images:
        body["stream"] = True
    if request.user:
        body["safety_identifier"] = request.user
    return body


def image_reference(image: InputImage, file_ids: dict[bytes, str]) -> Fields:
    file_id = file_ids.get(image.data)
    return {"file_id": file_id} if file_id else {"image_url": data_url(image)}


def file_gone(error: ProviderError) -> bool:
    """The API no longer has a file a request named (deleted, expired): upload it again."""
    detail = error.detail.lower()
    return isinstance(error, InvalidRequest) and ("no such file" in detail or "image_file_not_found" in detail
                                                  or "file_id" in str(error.param or ""))


def data_url(image: InputImage) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def is_gone(error: ProviderError) -> bool:
    """The API's answer for a previous response it no longer has."""
    detail = error.detail.lower()
    return isinstance(error, InvalidRequest) and (
        error.param == "previous_response_id" or any(code in detail for code in GONE_CODES) or GONE_MESSAGE in detail)


def read_response(body: Any, response: httpx.Response, request: ImageRequest, api_key: str | None) -> ImageResult:
    """The image of a Response; a refused call or an answer in words raises, never "succeeds" empty."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), list):
        raise unreadable("the response has no output list", api_key)
    request_id = response.headers.get("x-request-id")
    items = [item for item in body["output"] if isinstance(item, dict)]
    calls = [item for item in items if item.get("type") == "image_generation_call"]
    failed = next((call for call in calls if call.get("status") == "failed"), None)
    if failed is not None:
        raise refusal(failed, request_id)
    done = [call for call in calls if call.get("result")]
    if not done:
        raise answered_in_words(items, request_id, api_key)
    call = done[-1]
    output_format = format_of(call, request.spec.output_format)
    image = GeneratedImage(data=decode_image(call["result"], output_format), mime_type=MIME_TYPES[output_format],
                           revised_prompt=call.get("revised_prompt"))
    return ImageResult(
        images=(image,), usage=usage_of(body), request_id=request_id, size=call.get("size"),
        quality=call.get("quality"), background=call.get("background"), output_format=output_format,
        created=body.get("created_at"),
        metadata={"turns": [{"parts": [{"response_id": body.get("id"), "image_call_id": call.get("id")}]}],
                  "api": "responses"},
    )


def partial_of(event: Fields, request: ImageRequest, api_key: str | None) -> PartialImage:
    """A `response.image_generation_call.partial_image` event as the live preview's image."""
    output_format = format_of(event, request.spec.output_format)
    return PartialImage(index=int(event.get("partial_image_index") or 0),
                        data=decode_image(event.get("partial_image_b64"), output_format),
                        mime_type=MIME_TYPES[output_format])


def refusal(call: Fields, request_id: str | None) -> ProviderError:
    error = call.get("error") if isinstance(call.get("error"), dict) else {}
    details = error.get("moderation_details") if isinstance(error.get("moderation_details"), dict) else {}
    if error.get("code") == "moderation_blocked" or details:
        stage = details.get("moderation_stage")
        return ContentRejected(categories=tuple(str(c) for c in details.get("categories") or ()),
                               stage=stage if stage in ("input", "output") else None, status=200,
                               request_id=request_id, detail=str(error.get("message") or "moderation_blocked"))
    detail = f"the image call failed: {error.get('code') or 'no code'} {error.get('message') or ''}"
    return UnusableResponse(status=200, request_id=request_id, detail=detail)


def answered_in_words(items: list[Fields], request_id: str | None, api_key: str | None) -> UnusableResponse:
    """The mainline model answered without calling the tool: its words are what the editor can act on."""
    said = " ".join(str(part.get("text") or "") for item in items if item.get("type") == "message"
                    for part in item.get("content") or () if isinstance(part, dict)).strip()
    said = redact(said, api_key)[:MAX_QUOTED_TEXT]
    message = (_("The model answered without an image: “%(text)s”") % {"text": said} if said
               else _("The model answered without an image. Rephrase the prompt and try again."))
    return UnusableResponse(message, status=200, request_id=request_id,
                            detail="no image_generation_call with a result")


def usage_of(body: Fields) -> Usage | None:
    """The image tool's tokens (`tool_usage.image_gen`) and the mainline model's (`usage`), each at its price."""
    tool_usage = body.get("tool_usage") if isinstance(body.get("tool_usage"), dict) else {}
    image = tool_usage.get("image_gen") if isinstance(tool_usage.get("image_gen"), dict) else {}
    mainline = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    if not image and not mainline:
        return None
    details = image.get("input_tokens_details") if isinstance(image.get("input_tokens_details"), dict) else {}
    text_in = int(details.get("text_tokens") or 0)
    image_in = int(details.get("image_tokens") or 0)
    if not details:  # no breakdown: count every input token as text (the dearer reading for estimates' sake)
        text_in = int(image.get("input_tokens") or 0)
    return Usage(input_text_tokens=text_in, input_image_tokens=image_in,
                 output_image_tokens=int(image.get("output_tokens") or 0),
                 mainline_input_tokens=int(mainline.get("input_tokens") or 0),
                 mainline_output_tokens=int(mainline.get("output_tokens") or 0),
                 mainline_model=str(body.get("model") or ""))
