"""The fake API's Responses route: `POST /v1/responses` with the `image_generation` tool, `GET` and `DELETE
/v1/responses/{id}`, stored responses for `previous_response_id`, and the streamed events (docs/responses-api.md).

FakeImageAPI does the shared work (recording, latency, silent and error faults); this module does the rest.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..drawing import partial_preview
from .call import ImageCall
from .errors import APIError
from .faults import Fault, shape_item
from .inputs import InputImage, sniff
from .render import b64, call_usage, render_image
from .responses_request import Turn
from .tokens import input_image_tokens, text_tokens
from .vision import describe

RESPONSES_ROUTE = re.compile(r"^(?:/openai)?/v1/responses(?:/(?P<response_id>[^/]+))?/?$")
# Answered inside a Response rather than instead of it.
IN_RESPONSE_FAULTS = frozenset({"moderation_blocked", "text_only", "truncated_stream", "truncated_base64",
                                "wrong_magic"})
TEXT_ANSWER = "I can describe it, but I won't draw it this time: {prompt}"
REFUSAL_TEXT = "I can't create that image. Your request may violate our content policy."


def previous_not_found(response_id: str) -> APIError:
    """What OpenAI answers for a previous_response_id that is unknown, deleted, unstored or expired."""
    return APIError(400, f"Previous response with id '{response_id}' not found.", param="previous_response_id",
                    code="previous_response_not_found")


def response_not_found(response_id: str) -> APIError:
    return APIError(404, f"Response with id '{response_id}' not found.", param="response_id")


@dataclass
class StoredResponse:
    body: dict[str, Any]
    image: bytes | None  # the conversation's latest image, which a refine edits
    revised_prompt: str
    context_tokens: int  # what the conversation so far adds to the next turn's input tokens
    stored_at: float
    expired: bool = False


class ResponseStore:
    """Responses made with `store: true`, by id; `ttl` seconds (None: forever) on an injectable clock."""

    def __init__(self, clock: Callable[[], float] = time.time, ttl: float | None = None) -> None:
        self.clock = clock
        self.ttl = ttl
        self._responses: dict[str, StoredResponse] = {}
        self._call_images: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, stored: StoredResponse) -> None:
        with self._lock:
            self._responses[stored.body["id"]] = stored
            for item in stored.body["output"]:
                if item["type"] == "image_generation_call" and stored.image is not None and item.get("result"):
                    self._call_images[item["id"]] = stored.image

    def get(self, response_id: str) -> StoredResponse | None:
        with self._lock:
            stored = self._responses.get(response_id)
        if stored is None or stored.expired or (self.ttl is not None and self.clock() - stored.stored_at >= self.ttl):
            return None
        return stored

    def call_image(self, call_id: str) -> bytes | None:
        with self._lock:
            return self._call_images.get(call_id)

    def delete(self, response_id: str) -> bool:
        found = self.get(response_id) is not None
        with self._lock:
            self._responses.pop(response_id, None)
        return found

    def expire(self) -> None:
        """Let every stored response expire now (a test hook: like OpenAI's retention running out)."""
        with self._lock:
            for stored in self._responses.values():
                stored.expired = True

    def clear(self) -> None:
        with self._lock:
            self._responses.clear()
            self._call_images.clear()


@dataclass
class Outcome:
    """A Response, made before it is sent (as JSON or as events), and the image it carries."""

    body: dict[str, Any]
    image: bytes | None
    partials: list[str] = field(default_factory=list)
    call: ImageCall | None = None


def input_images(turn: Turn, previous: StoredResponse | None, store: ResponseStore) -> list[InputImage]:
    """The images the tool call works from: the previous response's image first (a refine), then the
    referenced image calls, then the turn's own input_image parts. `action: generate` starts afresh."""
    if turn.action == "generate":
        return []
    images = []
    if previous is not None and previous.image is not None:
        images.append(sniff(previous.image, "previous_response_id"))
    for index, call_id in enumerate(turn.call_refs):
        data = store.call_image(call_id)
        if data is None:
            raise APIError(404, f"Item with id '{call_id}' not found.", param=f"input[{index}]")
        images.append(sniff(data, "input"))
    return [*images, *turn.images]


def make_response(turn: Turn, call: ImageCall | None, previous: StoredResponse | None,
                  fault: Fault | None) -> Outcome:
    """Render the image (if the tool is called) and build the Response body."""
    output: list[dict[str, Any]] = []
    outcome = Outcome(_envelope(turn, output), None, call=call)
    revised = turn.prompt
    if call is None and turn.tool is None and turn.images:  # a question about an image: the vision model answers
        output.append(_message(describe(turn.images, turn.prompt)))
        tool_tokens = None
    elif call is None or (fault and fault.name == "text_only"):
        output.append(_message(TEXT_ANSWER.format(prompt=turn.prompt)))
        tool_tokens = None
    elif fault and fault.name == "moderation_blocked":
        output += [_refused_call(call, fault), _message(REFUSAL_TEXT)]
        stage = fault.options.get("stage", "input")
        tool_tokens = _tool_usage(call, drawn=stage == "output", partials=0)
    else:
        outcome.image, item = _image_call(call, fault, revised)
        output.append(item)
        if turn.stream:
            outcome.partials = [b64(partial_preview(outcome.image, index, call.partial_images, call.output_format))
                                for index in range(call.partial_images)]
        tool_tokens = _tool_usage(call, drawn=True, partials=len(outcome.partials))
    outcome.body["usage"] = _usage(turn, previous, output)
    outcome.body["tool_usage"] = {"image_gen": tool_tokens or _tool_usage(None, drawn=False, partials=0),
                                  "web_search": {"num_requests": 0}}
    return outcome


def stored(outcome: Outcome, previous: StoredResponse | None, clock: Callable[[], float]) -> StoredResponse:
    """What a later `previous_response_id` continues from: this image, or the conversation's last one."""
    image = outcome.image if outcome.image is not None else (previous.image if previous else None)
    usage = outcome.body["usage"]
    seen = input_image_tokens(*outcome.call.pixel_size, False) if outcome.image and outcome.call else 0
    return StoredResponse(outcome.body, image, outcome.body["output"][0].get("revised_prompt") or "",
                          usage["input_tokens"] + usage["output_tokens"] + seen, clock())


# ---------------------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------------------


def _envelope(turn: Turn, output: list[dict[str, Any]]) -> dict[str, Any]:
    now = int(time.time())
    body = turn.body
    return {
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": now, "completed_at": now,
        "status": "completed", "error": None, "incomplete_details": None, "background": False,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {}, "model": turn.model, "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": turn.previous_response_id, "store": turn.store,
        "temperature": body.get("temperature", 1.0), "text": {"format": {"type": "text"}},
        "tool_choice": turn.tool_choice, "tools": body.get("tools") or [], "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"), "user": body.get("user"),
        "safety_identifier": body.get("safety_identifier"),
    }


def _image_call(call: ImageCall, fault: Fault | None, revised: str) -> tuple[bytes, dict[str, Any]]:
    image = render_image(call, 0)
    shaped = {"b64_json": b64(image)}
    if fault and fault.name in ("truncated_base64", "wrong_magic"):
        image = shape_item(fault, shaped, image, call.output_format, lambda data, fmt: "")
    item = {
        "id": f"ig_{uuid.uuid4().hex}", "type": "image_generation_call", "status": "completed",
        "result": shaped["b64_json"], "revised_prompt": revised, "action": call.kind,
        "background": "transparent" if call.transparent else "opaque", "output_format": call.output_format,
        "quality": call.resolved_quality, "size": call.resolved_size,
    }
    return image, item


def _refused_call(call: ImageCall, fault: Fault) -> dict[str, Any]:
    """A refused image: the call item `failed`, no result, and SDK 3.57's `error` with moderation_details."""
    categories = list(fault.options.get("categories", ["sexual"]))
    return {
        "id": f"ig_{uuid.uuid4().hex}", "type": "image_generation_call", "status": "failed", "result": None,
        "action": call.kind,
        "error": {"code": "moderation_blocked", "type": "image_generation_user_error", "param": None,
                  "message": "Your request was rejected by the safety system. safety_violations="
                             f"[{', '.join(categories)}].",
                  "moderation_details": {"categories": categories,
                                         "moderation_stage": fault.options.get("stage", "input")}},
    }


def _message(text: str) -> dict[str, Any]:
    return {"id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}


def _usage(turn: Turn, previous: StoredResponse | None, output: list[dict[str, Any]]) -> dict[str, Any]:
    """The mainline model's tokens (ResponseUsage): its instructions and input, what the conversation
    before it carries, and what it wrote (the tool's prompt, or its message)."""
    seen = sum(input_image_tokens(*image.size, False) for image in turn.images)
    read = text_tokens(turn.prompt + (turn.body.get("instructions") or "")) + seen
    read += previous.context_tokens if previous else 0
    written = text_tokens(" ".join(item.get("revised_prompt") or "".join(
        part["text"] for part in item.get("content", [])) for item in output))
    return {"input_tokens": read, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": written, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": read + written}


def _tool_usage(call: ImageCall | None, *, drawn: bool, partials: int) -> dict[str, Any]:
    """The image model's tokens (ToolUsageImageGen), by the Images API's own rules (render.call_usage)."""
    count = call_usage(call, n=1 if drawn else 0, partial_images=partials) if call else None
    text = count.input_text if count else 0
    image = count.input_image if count else 0
    out = count.output_image if count else 0
    return {"input_tokens": text + image, "input_tokens_details": {"image_tokens": image, "text_tokens": text},
            "output_tokens": out, "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
            "total_tokens": text + image + out}


# ---------------------------------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------------------------------


def stream_events(outcome: Outcome, fault: Fault | None) -> Iterator[dict[str, Any]]:
    """The documented order: created, in_progress, per item added … done, completed; `truncated_stream`
    stops before the image call completes."""
    body = outcome.body
    pending = {**body, "status": "in_progress", "output": [], "usage": None, "tool_usage": None,
               "completed_at": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": pending},
                                    {"type": "response.in_progress", "response": pending}]
    for index, item in enumerate(body["output"]):
        events += _item_events(index, item, outcome.partials)
    events.append({"type": "response.completed", "response": body})
    for number, event in enumerate(events):
        if fault and fault.name == "truncated_stream" and event["type"] == "response.image_generation_call.completed":
            return
        yield {**event, "sequence_number": number}


def _item_events(index: int, item: dict[str, Any], partials: list[str]) -> list[dict[str, Any]]:
    where = {"output_index": index, "item_id": item["id"]}
    if item["type"] == "message":
        started = {**item, "status": "in_progress", "content": []}
        part = item["content"][0]
        return [{"type": "response.output_item.added", "output_index": index, "item": started},
                {"type": "response.content_part.added", **where, "content_index": 0, "part": {**part, "text": ""}},
                {"type": "response.output_text.delta", **where, "content_index": 0, "delta": part["text"],
                 "logprobs": []},
                {"type": "response.output_text.done", **where, "content_index": 0, "text": part["text"],
                 "logprobs": []},
                {"type": "response.content_part.done", **where, "content_index": 0, "part": part},
                {"type": "response.output_item.done", "output_index": index, "item": item}]
    started = {"id": item["id"], "type": "image_generation_call", "status": "in_progress", "result": None}
    prefix = "response.image_generation_call"
    events = [{"type": "response.output_item.added", "output_index": index, "item": started},
              {"type": f"{prefix}.in_progress", **where}]
    if item["status"] == "completed":
        echo = {name: item[name] for name in ("background", "output_format", "quality", "size")}
        events.append({"type": f"{prefix}.generating", **where})
        events += [{"type": f"{prefix}.partial_image", **where, "partial_image_b64": data, "partial_image_index": n,
                    **echo} for n, data in enumerate(partials)]
        events.append({"type": f"{prefix}.completed", **where})
    return [*events, {"type": "response.output_item.done", "output_index": index, "item": item}]
