"""How the Gemini API fails, translated to the base.py error hierarchy.

Google's errors are `{"error": {"code", "message", "status", "details": [...]}}` with google.rpc detail
types (ErrorInfo, RetryInfo, QuotaFailure). Safety refusals are not errors at all: they are answers with
a finish reason or a block reason and no image (see gemini.py). Everything here redacts the key.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from django.utils.translation import gettext as _

from .base import (
    AccessDenied,
    AuthenticationFailed,
    InvalidRequest,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    redact,
)
from .openai_errors import MAX_RETRY_AFTER, retry_after, wrong_address

# google.rpc.Status names by what they mean for a job.
STATUS_ERRORS: dict[str, type[ProviderError]] = {
    "UNAUTHENTICATED": AuthenticationFailed,
    "PERMISSION_DENIED": AccessDenied,
    "NOT_FOUND": ModelNotFound,
    "RESOURCE_EXHAUSTED": RateLimited,
    "INTERNAL": ProviderUnavailable,
    "UNAVAILABLE": ProviderUnavailable,
    "DEADLINE_EXCEEDED": ProviderTimeout,
}
HTTP_ERRORS: dict[int, type[ProviderError]] = {
    401: AuthenticationFailed, 403: AccessDenied, 404: ModelNotFound, 408: ProviderUnavailable,
    429: RateLimited, 500: ProviderUnavailable, 502: ProviderUnavailable, 503: ProviderUnavailable,
    504: ProviderTimeout,
}
# ErrorInfo reasons of a key that is wrong, missing or expired (Google answers these with 400 or 403).
KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "CREDENTIALS_MISSING"})
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")  # protobuf Duration in JSON: "15s", "0.5s"
MAX_DETAIL = 300


def error_from_response(response: httpx.Response, *, api_key: str | None, model: str) -> ProviderError:
    """The error for a non-2xx answer whose body has been read."""
    body = google_error(response)
    if body is None:
        if response.status_code in (301, 302, 303, 307, 308) or "html" in response.headers.get("content-type", ""):
            return wrong_address(response, api_key)
        cls = HTTP_ERRORS.get(response.status_code, ProviderUnavailable if response.status_code >= 500
                              else InvalidRequest)
        return build(cls, {}, response, api_key=api_key, model=model)
    status = str(body.get("status") or "")
    if key_problem(body):
        cls: type[ProviderError] = AuthenticationFailed
    elif status == "RESOURCE_EXHAUSTED" and out_of_credit(body):
        cls = QuotaExceeded
    else:
        cls = STATUS_ERRORS.get(status) or HTTP_ERRORS.get(response.status_code) or (
            ProviderUnavailable if response.status_code >= 500 else InvalidRequest)
    return build(cls, body, response, api_key=api_key, model=model)


def build(cls: type[ProviderError], body: dict[str, Any], response: httpx.Response, *, api_key: str | None,
          model: str) -> ProviderError:
    detail = redact(f"HTTP {response.status_code} {body.get('status') or ''}: {body.get('message') or ''}",
                    api_key)[:MAX_DETAIL]
    common = {"detail": detail, "status": response.status_code, "request_id": response.headers.get("x-request-id")}
    if cls is ModelNotFound:
        return ModelNotFound(model, **common)
    if cls is RateLimited:
        return RateLimited(retry_after=retry_delay(body) or retry_after(response.headers), **common)
    if cls is InvalidRequest:
        message = _("The image service did not accept the request: %(reason)s") % {
            "reason": redact(str(body.get("message") or response.reason_phrase), api_key)[:MAX_DETAIL]}
        return InvalidRequest(message, **common)
    return cls(**common)


def google_error(response: httpx.Response) -> dict[str, Any] | None:
    """The `error` object of Google's envelope, or None when the body is not one (a proxy's page)."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(body, list) and body and isinstance(body[0], dict):  # streaming endpoints wrap it in a list
        error = body[0].get("error")
    return error if isinstance(error, dict) else None


def details_of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The `details` entries of one google.rpc type, e.g. "RetryInfo"."""
    return [item for item in body.get("details") or () if isinstance(item, dict)
            and str(item.get("@type", "")).endswith(f"google.rpc.{kind}")]


def key_problem(body: dict[str, Any]) -> bool:
    if any(item.get("reason") in KEY_REASONS for item in details_of(body, "ErrorInfo")):
        return True
    message = str(body.get("message") or "").lower()
    if "unregistered callers" in message:  # Google's 403 for a request without any key
        return True
    return "api key" in message and ("not valid" in message or "missing" in message or "expired" in message)


def out_of_credit(body: dict[str, Any]) -> bool:
    """A spent prepaid balance or a billing-disabled project, which waiting does not cure.

    Not "check your plan and billing details": Google says that of every quota, per-minute ones included,
    and a RetryInfo always means waiting helps.
    """
    if details_of(body, "RetryInfo"):
        return False
    message = str(body.get("message") or "").lower()
    return any(phrase in message for phrase in ("prepayment credits", "credits are depleted", "billing is disabled",
                                                "billing account"))


def retry_delay(body: dict[str, Any]) -> float | None:
    """RetryInfo.retryDelay in seconds, capped like Retry-After."""
    for item in details_of(body, "RetryInfo"):
        match = DURATION.match(str(item.get("retryDelay") or ""))
        if match:
            return min(float(match[1]), MAX_RETRY_AFTER)
    return None
