"""How the OpenAI Images API (and compatible gateways) fail, translated to the base.py error hierarchy.

Everything here redacts: an API key, or anything shaped like one, never reaches an error's text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    AccessDenied,
    AuthenticationFailed,
    BadResponse,
    ConnectionLost,
    ContentRejected,
    GarbledResponse,
    InvalidRequest,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    advised,
    content_rejected_message,
    redact,
)
from .sse import DeadlineExceeded

# OpenAI's GPT-image code, the legacy DALL-E code some gateways still send, and Azure's.
CONTENT_CODES = frozenset({"moderation_blocked", "content_policy_violation", "contentFilter"})
STATUS_ERRORS: dict[int, type[ProviderError]] = {
    401: AuthenticationFailed,
    403: AccessDenied,
    408: ProviderUnavailable,
    409: ProviderUnavailable,
    429: RateLimited,
}
# Errors inside a 200 response (stream frames, Azure's legacy body) carry no status; their code tells.
# What OpenAI answers for a model it does not (or no longer) serve; the billing code of an exhausted account.
MODEL_CODES = frozenset({"model_not_found", "model_deprecated"})
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
CODE_STATUSES = {"invalid_api_key": 401, "rate_limit_exceeded": 429, "server_error": 500}
# A long Retry-After is still honoured, but never beyond what a job would wait anyway.
MAX_RETRY_AFTER = 600.0
SAFETY_VIOLATIONS = re.compile(r"safety_violations=\[([^\]]*)\]")
EMBEDDED_REQUEST_ID = re.compile(r"request id:?\s*([\w-]+)", re.IGNORECASE)  # CometAPI puts it in the text
PARAM_NAMES = {
    "size": gettext_lazy("size"),
    "quality": gettext_lazy("quality"),
    "background": gettext_lazy("background"),
    "output_format": gettext_lazy("output format"),
    "output_compression": gettext_lazy("compression level"),
    "n": gettext_lazy("number of images"),
    "model": gettext_lazy("model"),
    "input_fidelity": gettext_lazy("input fidelity"),
    "moderation": gettext_lazy("moderation level"),
}
MAX_QUOTED_VALUE = 40


def wrong_address_message() -> str:
    return _(
        "The image service answered with something other than its API. Ask a site administrator to "
        "check the provider's BASE_URL setting."
    )


def error_from_response(
    response: httpx.Response, *, api_key: str | None, sent: Mapping[str, Any] | None = None
) -> ProviderError:
    """The error for a non-2xx response whose body has been read."""
    status = response.status_code
    envelope = error_envelope(response)
    if 300 <= status < 400 or (envelope is None and not status_decides(status)):
        return wrong_address(response, api_key)
    return error_from_payload(envelope or {}, response.headers, status=status, api_key=api_key, sent=sent)


def status_decides(status: int) -> bool:
    """Whether the status alone classifies the failure, whatever the body (a 524 page is HTML)."""
    return status in STATUS_ERRORS or status >= 500


def error_from_payload(
    error: Any,
    headers: httpx.Headers,
    *,
    status: int | None = None,
    api_key: str | None,
    sent: Mapping[str, Any] | None = None,
) -> ProviderError:
    """The error for an OpenAI error object, from an error response or inside a 200 (stream frames)."""
    error = as_error_object(error)
    text = str(error.get("message") or "")
    common = {
        "detail": redact(text, api_key),
        "status": status,
        "request_id": headers.get("x-request-id") or embedded_request_id(text),
    }
    cls = advised(error_class(status, error), server_verdict(headers))
    return build_error(cls, error, common, sent or {}, headers, api_key)


def build_error(
    cls: type[ProviderError], error: dict[str, Any], common: dict[str, Any], sent: Mapping[str, Any],
    headers: httpx.Headers, api_key: str | None,
) -> ProviderError:
    if issubclass(cls, ContentRejected):
        return cls(**content_details(error, common["detail"], api_key), **common)
    if issubclass(cls, RateLimited):
        return cls(retry_after=retry_after(headers), **common)
    if issubclass(cls, ModelNotFound):
        return cls(str(sent.get("model") or ""), **common)
    if issubclass(cls, InvalidRequest):
        param = error.get("param") or None
        return cls(invalid_message(param, sent, api_key), param=param, **common)
    return cls(**common)


def as_error_object(error: Any) -> dict[str, Any]:
    """Gateways sometimes send `"error": "text"` instead of an object."""
    if isinstance(error, dict):
        return error
    return {"message": str(error)} if error else {}


def error_class(status: int | None, error: dict[str, Any]) -> type[ProviderError]:
    code = str(error.get("code") or "")
    if code in CONTENT_CODES:
        return ContentRejected
    if code in QUOTA_CODES:
        return QuotaExceeded
    if code in MODEL_CODES or (status in (400, 404) and error.get("param") == "model"):
        return ModelNotFound
    if status is None:
        status = CODE_STATUSES.get(code) or (500 if error.get("type") == "server_error" else 400)
    if status == 500 and code == "invalid_request":  # CometAPI's "do not retry" 500
        return InvalidRequest
    return STATUS_ERRORS.get(status) or (ProviderUnavailable if status >= 500 else InvalidRequest)


def server_verdict(headers: httpx.Headers) -> bool | None:
    """The server's own retry verdict (`x-should-retry`), which the official SDK honours too; None: it gave none."""
    verdict = headers.get("x-should-retry", "").strip().lower()
    return {"true": True, "false": False}.get(verdict)


def content_details(error: dict[str, Any], text: str, api_key: str | None) -> dict[str, Any]:
    moderation = error.get("moderation_details") or {}
    categories = moderation.get("categories") if isinstance(moderation, dict) else None
    if not isinstance(categories, list):
        found = SAFETY_VIOLATIONS.search(text)
        categories = found[1].split(",") if found else []
    categories = tuple(str(name).strip() for name in categories if str(name).strip())
    stage = moderation.get("moderation_stage") if isinstance(moderation, dict) else None
    message = redact(content_rejected_message(categories, stage), api_key)
    return {"message": message, "categories": categories, "stage": stage}


def invalid_message(param: str | None, sent: Mapping[str, Any], api_key: str | None) -> str:
    """Say which setting was refused, and its value when that is short enough to quote."""
    if not param:
        return str(InvalidRequest.default_message)
    name = PARAM_NAMES.get(param, param)
    value = sent.get(param)
    if param not in PARAM_NAMES or value is None or len(str(value)) > MAX_QUOTED_VALUE:
        return redact(_("The image service did not accept the %(name)s setting.") % {"name": name}, api_key)
    message = _("The image service did not accept the %(name)s “%(value)s”.")
    return redact(message % {"name": name, "value": value}, api_key)


def embedded_request_id(text: str) -> str | None:
    found = EMBEDDED_REQUEST_ID.search(text)
    return found[1] if found else None


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait: `retry-after-ms`, then `retry-after` (seconds or an HTTP date), capped."""
    seconds = number(headers.get("retry-after-ms"), scale=0.001)
    if seconds is None:
        seconds = number(headers.get("retry-after"))
    if seconds is None:
        seconds = seconds_until(headers.get("retry-after"))
    return None if seconds is None else min(max(seconds, 0.0), MAX_RETRY_AFTER)


def number(value: str | None, *, scale: float = 1.0) -> float | None:
    try:
        result = float(value) * scale  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def seconds_until(http_date: str | None) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)  # type: ignore[arg-type]
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def error_envelope(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of a JSON error body; None when the body is not JSON at all."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return as_error_object(body.get("error")) if isinstance(body, dict) else {}


def wrong_address(response: httpx.Response, api_key: str | None) -> BadResponse:
    """A redirect or an HTML page: the BASE_URL points at a website, not at the API."""
    content_type = response.headers.get("content-type", "no content type")
    location = response.headers.get("location")
    detail = f"HTTP {response.status_code}, {content_type}" + (f", to {location}" if location else "")
    return BadResponse(
        wrong_address_message(), detail=redact(detail, api_key),
        status=response.status_code, request_id=response.headers.get("x-request-id"),
    )


def json_body(response: httpx.Response, api_key: str | None) -> Any:
    """The parsed body of a successful response. Garbled JSON is worth a retry; HTML is not."""
    try:
        return json.loads(response.content)
    except ValueError as exc:
        if "json" not in response.headers.get("content-type", ""):
            raise wrong_address(response, api_key) from exc
        raise unreadable(str(exc), api_key) from exc


def unreadable(detail: str, api_key: str | None = None) -> GarbledResponse:
    """A 200 that cannot be read: worth a retry, though this one was probably billed."""
    return GarbledResponse(status=200, detail=redact(detail, api_key))


def error_from_exception(exc: Exception, api_key: str | None) -> ProviderError:
    """The error for a failure below HTTP: a timeout, a refused or dropped connection."""
    detail = redact(f"{type(exc).__name__}: {exc}", api_key)
    if isinstance(exc, httpx.TimeoutException | DeadlineExceeded):
        return ProviderTimeout(detail=detail)
    if isinstance(exc, httpx.ConnectError):
        return ProviderUnavailable(detail=detail)
    # Once the request left (anything but a failed connect), the API may have done and billed the work.
    return ConnectionLost(detail=detail)
