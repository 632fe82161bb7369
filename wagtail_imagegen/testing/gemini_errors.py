"""Google's error envelope (`{"error": {"code", "message", "status", "details"}}`) and the messages the Gemini
API answers with, as seen in public reports (docs/gemini.md §7). Where no verbatim message was found the
text follows the nearest real one and says so."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .errors import APIError
from .wire import Reply, json_reply

TYPE = "type.googleapis.com/google.rpc."
SERVICE = "generativelanguage.googleapis.com"
THOUGHT_SIGNATURE_DOCS = "https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior"


class GoogleError(APIError):
    """An error answer in Google's shape. A subclass of APIError so the app's one `except` catches both."""

    def __init__(self, code: int, status: str, message: str, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(code, message)
        self.error = {"code": code, "message": message, "status": status}
        if details:
            self.error["details"] = list(details)

    def reply(self) -> Reply:
        return json_reply(self.status, {"error": self.error}, self.headers)


def invalid_argument(message: str, details: Sequence[dict[str, Any]] = ()) -> GoogleError:
    return GoogleError(400, "INVALID_ARGUMENT", message, details)


def bad_request(message: str, field: str | None = None) -> GoogleError:
    """400 with a google.rpc.BadRequest detail naming the field, as Google's JSON parser answers."""
    violation = {"description": message} if field is None else {"field": field, "description": message}
    return invalid_argument(message, [{"@type": f"{TYPE}BadRequest", "fieldViolations": [violation]}])


def unknown_field(name: str, path: str) -> GoogleError:
    where = f" at '{path}'" if path else ""
    return bad_request(f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.', path or None)


def invalid_enum(path: str, enum: str, value: object) -> GoogleError:
    message = (f"Invalid value at '{path}' (type.googleapis.com/google.ai.generativelanguage.v1beta.{enum}), "
               f"\"{value}\"")
    return bad_request(message, path)


def wrong_type(path: str, expected: str, value: object) -> GoogleError:
    return bad_request(f"Invalid value at '{path}' ({expected}), {_json(value)}", path)


def not_one_of(path: str, name: str, choices: Sequence[str]) -> GoogleError:
    """Seen for aspect_ratio (astrbot_plugin_gitee_aiimg #37); the fake answers image_size the same way."""
    return invalid_argument(f"* GenerateContentRequest.{path}: {name} must be one of {_or_list(choices)}.\n")


def request_problem(path: str, problem: str) -> GoogleError:
    """Google's validation style: `* GenerateContentRequest.<path>: <problem>` and a newline."""
    return invalid_argument(f"* GenerateContentRequest.{path}: {problem}\n")


def missing_thought_signature(content: int, part: int) -> GoogleError:
    """Positions are 1-based, as in Google's message."""
    return invalid_argument(
        f"Image part is missing a thought_signature in content position {content}, part position {part}. "
        f"Please refer to {THOUGHT_SIGNATURE_DOCS} for more details."
    )


def api_key_invalid() -> GoogleError:
    message = "API key not valid. Please pass a valid API key."
    return invalid_argument(message, [
        {"@type": f"{TYPE}ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": SERVICE}},
        {"@type": f"{TYPE}LocalizedMessage", "locale": "en-US", "message": message},
    ])


def no_api_key() -> GoogleError:
    return GoogleError(403, "PERMISSION_DENIED",
                       "Method doesn't allow unregistered callers (callers without established identity). "
                       "Please use API Key or other form of API consumer identity to call this API.")


def model_not_found(model: str, version: str) -> GoogleError:
    return GoogleError(404, "NOT_FOUND",
                       f"models/{model} is not found for API version {version}, or is not supported for "
                       "generateContent. Call ListModels to see the list of available models and their supported "
                       "methods.")


def method_not_found(path: str) -> GoogleError:
    return GoogleError(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")


def resource_exhausted(model: str, retry_after: float | None) -> GoogleError:
    """429 with QuotaFailure and Help, and RetryInfo unless the quota is the billing kind (no retry helps)."""
    details: list[dict[str, Any]] = [
        {"@type": f"{TYPE}QuotaFailure", "violations": [{
            "quotaMetric": f"{SERVICE}/generate_content_paid_tier_input_token_count",
            "quotaId": "GenerateContentPaidTierInputTokensPerModelPerMinute",
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": "1000000",
        }]},
        {"@type": f"{TYPE}Help", "links": [{"description": "Learn more about Gemini API quotas",
                                           "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
    ]
    if retry_after is not None:
        details.append({"@type": f"{TYPE}RetryInfo", "retryDelay": f"{retry_after:g}s"})
    message = ("You exceeded your current quota, please check your plan and billing details. For more information "
               "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.")
    if retry_after is not None:
        message += f" Please retry in {retry_after:g}s."
    return GoogleError(429, "RESOURCE_EXHAUSTED", message, details)


def internal(message: str = "An internal error has occurred. Please retry or report in "
                            "https://developers.generativeai.google/guide/troubleshooting") -> GoogleError:
    return GoogleError(500, "INTERNAL", message)


def overloaded() -> GoogleError:
    return GoogleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


def _or_list(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + ", or " + quoted[-1]


def _json(value: object) -> str:
    return json.dumps(value)
