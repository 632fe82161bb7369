"""OpenAI's error envelope, and the messages OpenAI uses for the mistakes the fake API checks for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .wire import Reply, json_reply


class APIError(Exception):
    """An error answer: `{"error": {"message", "type", "param", "code", **extra}}` with a status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": type, "param": param, "code": code, **(extra or {})}
        self.headers = list(headers)

    def reply(self) -> Reply:
        return json_reply(self.status, {"error": self.error}, self.headers)


def quoted_list(values: Sequence[object]) -> str:
    """'a', 'b', and 'c' — the way OpenAI lists supported values."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) < 3:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def invalid_value(param: str, value: object, detail: str) -> APIError:
    return APIError(400, f"Invalid value: '{value}'. {detail}", param=param, code="invalid_value")


def unsupported_value(param: str, value: object, choices: Sequence[object]) -> APIError:
    return invalid_value(param, value, f"Supported values are: {quoted_list(choices)}.")


def unknown_parameter(param: str) -> APIError:
    return APIError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def missing_parameter(param: str) -> APIError:
    return APIError(400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def invalid_type(param: str, expected: str, got: object) -> APIError:
    message = f"Invalid type for '{param}': expected {expected}, but got {_json_kind(got)} instead."
    return APIError(400, message, param=param, code="invalid_type")


def out_of_range(param: str, value: int, low: int, high: int) -> APIError:
    if value > high:
        detail, code = f"integer above maximum value. Expected a value <= {high}", "integer_above_max_value"
    else:
        detail, code = f"integer below minimum value. Expected a value >= {low}", "integer_below_min_value"
    return APIError(400, f"Invalid '{param}': {detail}, but got {value} instead.", param=param, code=code)


def too_long(param: str, length: int, limit: int, what: str = "string") -> APIError:
    message = (
        f"Invalid '{param}': {what} too long. Expected a {what} with maximum length {limit}, "
        f"but got a {what} with length {length} instead."
    )
    code = "string_above_max_length" if what == "string" else "array_above_max_length"
    return APIError(400, message, param=param, code=code)


def unsupported_parameter(param: str, reason: str = "is not supported with this model.") -> APIError:
    """A parameter OpenAI knows, refused for this model or with the other settings sent."""
    return APIError(400, f"Unsupported parameter: '{param}' {reason}", param=param, code="unsupported_parameter")


def model_not_found(model: str) -> APIError:
    """What OpenAI answers for an unknown model, and for one past its shutdown date (image-apis.md §0)."""
    return APIError(404, f"The model `{model}` does not exist or you do not have access to it.",
                    code="model_not_found")


def invalid_request(param: str | None, message: str, code: str | None = "invalid_value") -> APIError:
    return APIError(400, message, param=param, code=code)


def unparsable_body() -> APIError:
    return APIError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
        "JSON. If you have trouble figuring out how to fix this, please contact us through our help center "
        "at help.openai.com.)",
    )


def not_found(method: str, path: str) -> APIError:
    return APIError(404, f"Invalid URL ({method} {path})")


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else "null"
