"""Turning a request into a checked ImageCall, with OpenAI's 400s for everything OpenAI refuses.

Model limits (sizes, transparency, input_fidelity, prompt length, n) come from the app's own
capability table in providers/base.py, so the fake and the client can never disagree about them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..providers.base import SIZE_PATTERN, ModelCapabilities, capabilities_for
from .errors import (
    invalid_request,
    invalid_type,
    invalid_value,
    missing_parameter,
    out_of_range,
    too_long,
    unknown_parameter,
    unparsable_body,
    unsupported_value,
)
from .inputs import InputImage, check_mask, referenced_images, uploaded_images
from .routes import Route
from .wire import RecordedRequest

KNOWN_MODELS = ("gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini", "gpt-image-2", "chatgpt-image-latest")
# What a missing `model` means (fact sheet §1.2, §1.3): dall-e-2 for generations, gpt-image-1.5 for edits.
DEFAULT_MODELS = {"generate": "dall-e-2", "edit": "gpt-image-1.5"}
QUALITIES = ("low", "medium", "high", "auto")
FORMATS = ("png", "jpeg", "webp")
AZURE_FORMATS = ("png", "jpeg")
TRANSPARENT_FORMATS = ("png", "webp")
BACKGROUNDS = ("transparent", "opaque", "auto")
MODERATIONS = ("low", "auto")
FIDELITIES = ("high", "low")
STANDARD_SIZES = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}
GPT_ONLY_REJECTED = ("response_format", "style")  # dall-e parameters; GPT image models say "Unknown parameter"

INT_FIELDS = frozenset({"n", "output_compression", "partial_images"})
BOOL_FIELDS = frozenset({"stream"})
COMMON_FIELDS = frozenset({
    "prompt", "model", "n", "quality", "output_format", "output_compression", "stream", "partial_images",
    "size", "background", "user",
})
GENERATION_FIELDS = COMMON_FIELDS | {"moderation", "response_format", "style"}
# The multipart edit schema has no `moderation` (and no `style`); the JSON edit schema has no response_format.
EDIT_FORM_FIELDS = COMMON_FIELDS | {"input_fidelity", "response_format"}
EDIT_JSON_FIELDS = COMMON_FIELDS | {"images", "mask", "moderation", "input_fidelity"}
EDIT_FILE_FIELDS = frozenset({"image", "image[]", "mask"})


@dataclass
class ImageCall:
    """A request that passed validation: what was asked for, and what the answer resolves it to."""

    route: Route
    model: str
    prompt: str = ""
    n: int = 1
    size: str = "auto"
    quality: str = "auto"
    background: str = "auto"
    output_format: str = "png"
    output_compression: int | None = None
    moderation: str = "auto"
    input_fidelity: str | None = None
    stream: bool = False
    partial_images: int = 0
    user: str | None = None
    images: list[InputImage] = field(default_factory=list)
    mask: InputImage | None = None
    sent: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        return self.route.kind

    @property
    def caps(self) -> ModelCapabilities:
        return capabilities_for(self.model)

    @property
    def transparent(self) -> bool:
        return self.background == "transparent"

    @property
    def resolved_quality(self) -> str:
        return "medium" if self.quality == "auto" else self.quality

    @property
    def resolved_size(self) -> str:
        """auto is 1024x1024 for a generation, and the standard size nearest the first input's shape for an edit."""
        if self.size != "auto":
            return self.size
        if not self.images:
            return "1024x1024"
        width, height = self.images[0].size
        aspect = math.log(width / height)
        return min(STANDARD_SIZES, key=lambda size: abs(math.log(STANDARD_SIZES[size]) - aspect))

    @property
    def pixel_size(self) -> tuple[int, int]:
        width, _, height = self.resolved_size.partition("x")
        return int(width), int(height)


def prompt_of(request: RecordedRequest) -> str:
    """The prompt, read before validation (to spot `[fake:...]` tokens); empty if there is none."""
    prompt = (request.json or {}).get("prompt") or (request.form.get("prompt") or [""])[-1]
    return prompt if isinstance(prompt, str) else ""


def parse_call(route: Route, request: RecordedRequest) -> ImageCall:
    """Read and check an image request; raise APIError (400) as OpenAI would."""
    if route.kind == "edit" and request.headers.get("content-type", "").startswith("multipart/"):
        params = _form_params(request)
        images, mask = uploaded_images(request)
    else:
        params = _json_params(request, GENERATION_FIELDS if route.kind == "generate" else EDIT_JSON_FIELDS)
        images, mask = referenced_images(params) if route.kind == "edit" else ([], None)
    model = params.pop("model", None) or route.deployment or DEFAULT_MODELS[route.kind]
    call = ImageCall(route, model, images=images, mask=mask, sent=frozenset(params), **_known(params))
    for check in CHECKS:
        check(call)
    return call


def _known(params: dict[str, Any]) -> dict[str, Any]:
    # response_format and style are only remembered in `sent`, to be refused by name.
    return {name: value for name, value in params.items() if name not in GPT_ONLY_REJECTED}


# ---------------------------------------------------------------------------------------------------
# Reading parameters: JSON bodies carry typed values, multipart forms carry strings
# ---------------------------------------------------------------------------------------------------


def _json_params(request: RecordedRequest, allowed: frozenset[str]) -> dict[str, Any]:
    if request.json is None:
        raise unparsable_body()
    _reject_unknown(request.json, allowed)
    params = {name: value for name, value in request.json.items() if value is not None}
    for name, value in params.items():
        _check_json_type(name, value)
    return params


def _check_json_type(name: str, value: Any) -> None:
    if name in INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid_type(name, "an integer", value)
    if name in BOOL_FIELDS and not isinstance(value, bool):
        raise invalid_type(name, "a boolean", value)
    if name not in INT_FIELDS | BOOL_FIELDS | {"images", "mask"} and not isinstance(value, str):
        raise invalid_type(name, "a string", value)


def _form_params(request: RecordedRequest) -> dict[str, Any]:
    _reject_unknown(request.form, EDIT_FORM_FIELDS)
    _reject_unknown(request.files, EDIT_FILE_FIELDS | EDIT_FORM_FIELDS)
    for name in EDIT_FILE_FIELDS & request.form.keys():
        raise invalid_request(name, f"Invalid type for '{name}': expected a file, but got a string instead.",
                              "invalid_type")
    # The SDK sends None as an empty string: treat it as not sent.
    return {name: _from_form(name, values[-1]) for name, values in request.form.items() if values[-1] != ""}


def _from_form(name: str, value: str) -> Any:
    if name in BOOL_FIELDS:
        if value.lower() not in ("true", "false"):
            raise invalid_type(name, "a boolean", value)
        return value.lower() == "true"
    if name in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            raise invalid_type(name, "an integer", value) from None
    return value


def _reject_unknown(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise unknown_parameter(name)


# ---------------------------------------------------------------------------------------------------
# Checks, in the order OpenAI reports them
# ---------------------------------------------------------------------------------------------------


def _check_model(call: ImageCall) -> None:
    if call.model.startswith("dall-e"):
        raise invalid_request("model", f"The model '{call.model}' is not supported by this fake image API, which "
                              "implements the GPT image models only. (Without 'model', generations default to "
                              "'dall-e-2': always send 'model'.)")
    # Azure deployment names are the customer's own; OpenAI knows its model names.
    if not call.route.azure and not call.model.startswith(("gpt-image-", "chatgpt-image-")):
        raise unsupported_value("model", call.model, KNOWN_MODELS)


def _check_gpt_only_parameters(call: ImageCall) -> None:
    for name in GPT_ONLY_REJECTED:
        if name in call.sent:
            raise unknown_parameter(name)


def _check_prompt(call: ImageCall) -> None:
    if "prompt" not in call.sent:
        raise missing_parameter("prompt")
    if not call.prompt:
        raise invalid_request("prompt", "Invalid 'prompt': empty string. Expected a string with minimum length 1, "
                              "but got an empty string instead.", "empty_string")
    if len(call.prompt) > call.caps.max_prompt_chars:
        raise too_long("prompt", len(call.prompt), call.caps.max_prompt_chars)


def _check_n(call: ImageCall) -> None:
    if not 1 <= call.n <= call.caps.max_n:
        raise out_of_range("n", call.n, 1, call.caps.max_n)


def _check_size(call: ImageCall) -> None:
    if call.caps.sizes is not None:
        if call.size not in call.caps.sizes:
            raise unsupported_value("size", call.size, sorted(call.caps.sizes))
    elif call.size != "auto":
        _check_custom_size(call.size, call.caps)


def _check_custom_size(size: str, caps: ModelCapabilities) -> None:
    match = SIZE_PATTERN.match(size)
    if not match:
        raise invalid_value("size", size, "Size must be 'auto' or WIDTHxHEIGHT in pixels, e.g. '1536x864'.")
    width, height = int(match[1]), int(match[2])
    if width % caps.size_multiple or height % caps.size_multiple:
        raise invalid_value("size", size, f"Width and height must both be divisible by {caps.size_multiple}.")
    if max(width, height) > 3 * min(width, height):
        raise invalid_value("size", size, "The aspect ratio must be between 1:3 and 3:1.")
    if width * height > caps.max_pixels or max(width, height) > caps.max_edge:
        raise invalid_value("size", size, "The maximum supported resolution is 3840x2160 pixels.")


def _check_choice(param: str, choices: tuple[str, ...]) -> Callable[[ImageCall], None]:
    def check(call: ImageCall) -> None:
        value = getattr(call, param)
        if value is not None and value not in choices:
            raise unsupported_value(param, value, choices)

    return check


def _check_output_format(call: ImageCall) -> None:
    # Azure OpenAI: "Supported formats are PNG and JPEG".
    _check_choice("output_format", AZURE_FORMATS if call.route.azure else FORMATS)(call)


def _check_range(param: str, low: int, high: int) -> Callable[[ImageCall], None]:
    def check(call: ImageCall) -> None:
        value = getattr(call, param)
        if value is not None and not low <= value <= high:
            raise out_of_range(param, value, low, high)

    return check


def _check_transparency(call: ImageCall) -> None:
    if not call.transparent:
        return
    if call.output_format not in TRANSPARENT_FORMATS:
        raise invalid_request("background", "Transparent background requires output_format 'png' or 'webp', "
                              f"but got '{call.output_format}'.")
    if not call.caps.transparency:
        raise invalid_request("background", f"Transparent background is not supported for model '{call.model}'.")


def _check_input_fidelity(call: ImageCall) -> None:
    if call.input_fidelity is not None and not call.caps.input_fidelity:
        raise invalid_request("input_fidelity", f"input_fidelity is not supported for model '{call.model}'.")


def _check_inputs(call: ImageCall) -> None:
    if call.kind != "edit":
        return
    if not call.images:
        raise missing_parameter("image")
    if call.mask is not None:
        check_mask(call.mask, call.images[0])


CHECKS: tuple[Callable[[ImageCall], None], ...] = (
    _check_model,
    _check_gpt_only_parameters,
    _check_prompt,
    _check_n,
    _check_size,
    _check_choice("quality", QUALITIES),
    _check_output_format,
    _check_range("output_compression", 0, 100),
    _check_choice("background", BACKGROUNDS),
    _check_transparency,
    _check_choice("moderation", MODERATIONS),
    _check_choice("input_fidelity", FIDELITIES),
    _check_input_fidelity,
    _check_range("partial_images", 0, 3),
    _check_inputs,
)
