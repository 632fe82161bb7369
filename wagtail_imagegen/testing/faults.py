"""Faults the fake API can be told to produce: error answers, broken answers and answers that never come.

Most faults replace the answer (`early_reply`); a few let the call succeed and then spoil or decorate
the success body (`shape_item`, `shape_usage`); `hang` and `drop_connection` send nothing at all.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..drawing import encode
from .errors import APIError
from .ratelimit import rate_limit_error
from .wire import Reply, raw_reply

FAULTS: tuple[str, ...] = (
    "rate_limit",
    "insufficient_quota",
    "server_error",
    "unavailable",
    "cloudflare_timeout",
    "comet_invalid_request",
    "moderation_blocked",
    "hang",
    "drop_connection",
    "malformed_json",
    "truncated_base64",
    "wrong_magic",
    "html_redirect",
    "extra_usage_keys",
    "url_output",
)
# Answered by the Gemini route only (gemini.py); on the OpenAI route they change nothing.
GEMINI_FAULTS: tuple[str, ...] = ("gemini_safety", "gemini_prompt_blocked", "gemini_text_only", "gemini_data_url_text")
# Answered by the Responses route only (responses.py): a text answer without the image call, a stream cut short.
RESPONSES_FAULTS: tuple[str, ...] = ("text_only", "truncated_stream")
KNOWN_FAULTS: tuple[str, ...] = (*FAULTS, *GEMINI_FAULTS, *RESPONSES_FAULTS)
FAULT_OPTIONS: dict[str, frozenset[str]] = {
    "rate_limit": frozenset({"retry_after"}),
    "moderation_blocked": frozenset({"categories", "stage"}),
    "hang": frozenset({"seconds"}),
    "gemini_safety": frozenset({"finish_reason"}),
    "gemini_prompt_blocked": frozenset({"block_reason"}),
}
SHAPING_FAULTS = frozenset({"truncated_base64", "wrong_magic", "extra_usage_keys", "url_output", *GEMINI_FAULTS,
                            *RESPONSES_FAULTS})
SILENT_FAULTS = frozenset({"hang", "drop_connection"})
PROMPT_TOKEN = re.compile(r"\[fake:([a-z_]+)\]")
# The fact sheet's tier-1 images-per-minute limit, quoted by an injected rate_limit when none is set.
DEFAULT_IPM = 5
# Another format than the one asked for, for wrong_magic.
WRONG_FORMAT = {"png": "jpeg", "jpeg": "png", "webp": "png", "gif": "png", "svg": "png"}
# Pillow reads no SVG, so a spoiled SVG answer is this instead.
NOT_AN_SVG = (16, 16)


@dataclass(frozen=True)
class Fault:
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def shapes_success(self) -> bool:
        return self.name in SHAPING_FAULTS


@dataclass(frozen=True)
class FaultContext:
    """What an error answer quotes: the request id, where the fake is served, the IPM limit."""

    request_id: str
    root_url: str
    ipm: int | None


class DropConnection(Exception):  # noqa: N818 - an instruction to the server, not an error
    """Raised by the app to make the server close the connection without answering."""


def make_fault(name: str, options: Mapping[str, Any]) -> Fault:
    """A Fault, after checking its name and options (a typo should fail the test that made it)."""
    if name not in KNOWN_FAULTS:
        raise ValueError(f"unknown fault {name!r}; choose one of {', '.join(KNOWN_FAULTS)}")
    unknown = set(options) - FAULT_OPTIONS.get(name, frozenset())
    if unknown:
        raise TypeError(f"fault {name!r} takes no option(s) {', '.join(sorted(unknown))}")
    return Fault(name, dict(options))


def fault_in_prompt(prompt: str) -> Fault | None:
    """The first `[fake:NAME]` token naming a known fault; unknown names are ignored."""
    for name in PROMPT_TOKEN.findall(prompt):
        if name in KNOWN_FAULTS:
            return Fault(name)
    return None


# ---------------------------------------------------------------------------------------------------
# Error answers
# ---------------------------------------------------------------------------------------------------


def early_reply(fault: Fault, context: FaultContext) -> Reply:
    """The answer that replaces the call's success (for all but shaping and silent faults)."""
    build = _EARLY[fault.name]
    answer = build(fault, context)
    return answer.reply() if isinstance(answer, APIError) else answer


def _rate_limit(fault: Fault, context: FaultContext) -> APIError:
    limit = context.ipm if context.ipm is not None else DEFAULT_IPM
    return rate_limit_error(limit, limit + 1, float(fault.options.get("retry_after", 1.0)))


def _insufficient_quota(fault: Fault, context: FaultContext) -> APIError:
    return APIError(
        429,
        "You exceeded your current quota, please check your plan and billing details. For more information "
        "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        type="insufficient_quota",
        code="insufficient_quota",
    )


def _server_error(fault: Fault, context: FaultContext) -> APIError:
    message = "The server had an error while processing your request. Sorry about that!"
    return APIError(500, message, type="server_error")


def _unavailable(fault: Fault, context: FaultContext) -> APIError:
    return APIError(503, "The server is overloaded or not ready yet.", type="server_error")


def _comet_invalid_request(fault: Fault, context: FaultContext) -> APIError:
    # CometAPI embeds its request id in the message and sends param "" rather than null.
    message = f"invalid request: the upstream model rejected the request (request id: {context.request_id})"
    return APIError(500, message, type="comet_api_error", param="", code="invalid_request")


def _moderation_blocked(fault: Fault, context: FaultContext) -> APIError:
    categories = list(fault.options.get("categories", ["sexual"]))
    message = (
        "Your request was rejected by the safety system. If you believe this is an error, contact us at "
        f"help.openai.com and include the request ID {uuid.uuid4()}. safety_violations=[{', '.join(categories)}]."
    )
    details = {"moderation_stage": fault.options.get("stage", "input"), "categories": categories}
    return APIError(400, message, type="image_generation_user_error", code="moderation_blocked",
                    extra={"moderation_details": details})


def _cloudflare_timeout(fault: Fault, context: FaultContext) -> Reply:
    return raw_reply(524, CLOUDFLARE_524.encode(), "text/html; charset=UTF-8", [("server", "cloudflare")])


def _malformed_json(fault: Fault, context: FaultContext) -> Reply:
    cut_short = b'{"created": 1713833628, "data": [{"b64_json": "iVBORw0KGgoAAAANSUhEUgAA'
    return raw_reply(200, cut_short, "application/json")


def _html_redirect(fault: Fault, context: FaultContext) -> Reply:
    # What a wrong gateway base URL tends to answer: a redirect to a web page, not a JSON 404.
    location = f"{context.root_url}/"
    body = f'<html><head><title>301 Moved Permanently</title></head><body><a href="{location}">Moved</a></body></html>'
    return raw_reply(301, body.encode(), "text/html; charset=utf-8", [("location", location)])


_EARLY: dict[str, Callable[[Fault, FaultContext], APIError | Reply]] = {
    "rate_limit": _rate_limit,
    "insufficient_quota": _insufficient_quota,
    "server_error": _server_error,
    "unavailable": _unavailable,
    "cloudflare_timeout": _cloudflare_timeout,
    "comet_invalid_request": _comet_invalid_request,
    "moderation_blocked": _moderation_blocked,
    "malformed_json": _malformed_json,
    "html_redirect": _html_redirect,
}

CLOUDFLARE_524 = """<!DOCTYPE html>
<html lang="en-US"><head><title>api.example.com | 524: A timeout occurred</title></head>
<body><div id="cf-wrapper"><h1>A timeout occurred <span>Error code 524</span></h1>
<p>The origin web server timed out responding to this request.</p>
<p>Cloudflare Ray ID: <strong>8f0c0ffee0000000</strong></p></div></body></html>
"""


# ---------------------------------------------------------------------------------------------------
# Spoiled or decorated successes
# ---------------------------------------------------------------------------------------------------


def shape_item(fault: Fault | None, item: dict[str, Any], image: bytes, output_format: str,
               publish: Callable[[bytes, str], str]) -> bytes:
    """Apply a shaping fault to one `{"b64_json": ...}` item in place; return the image bytes it now carries."""
    if fault is None:
        return image
    if fault.name == "truncated_base64":
        text = item["b64_json"]
        item["b64_json"] = text[: len(text) // 8 * 4]  # half, on a 4-character boundary: decodes, but cut short
        return base64.b64decode(item["b64_json"])
    if fault.name == "wrong_magic":
        source = Image.new("RGB", NOT_AN_SVG) if output_format == "svg" else Image.open(io.BytesIO(image))
        image = encode(source, WRONG_FORMAT[output_format])
        item["b64_json"] = base64.b64encode(image).decode("ascii")
    elif fault.name == "url_output":
        item["url"] = publish(image, output_format)
        del item["b64_json"]
    return image


def shape_usage(fault: Fault | None, usage: dict[str, Any]) -> dict[str, Any]:
    """For extra_usage_keys: the non-OpenAI keys CometAPI adds to usage."""
    if fault is None or fault.name != "extra_usage_keys":
        return usage
    details = {**usage["input_tokens_details"], "cached_tokens_details": {}}
    return {
        **usage,
        "input_tokens_details": details,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "prompt_tokens_details": {"cached_tokens_details": {}},
        "completion_tokens_details": {},
        "claude_cache_creation_5_m_tokens": 0,
        "claude_cache_creation_1_h_tokens": 0,
    }
