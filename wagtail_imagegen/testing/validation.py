"""Turning a request into a checked ImageCall, with OpenAI's answers for everything OpenAI refuses.

What each model accepts comes from the fake's own table (lineup.py), never from the app, so a client
that drifts from the real API fails its tests here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from .call import ImageCall
from .errors import (
    invalid_request,
    invalid_value,
    missing_parameter,
    model_not_found,
    out_of_range,
    too_long,
    unknown_parameter,
    unsupported_parameter,
    unsupported_value,
)
from .formats import MAX_FRAME_MS
from .inputs import check_mask, referenced_images, uploaded_images
from .lineup import ANY_DEPLOYMENT, FREE_SIZES, SIZE_PATTERN, Family, find_model
from .params import EDIT_JSON_FIELDS, GENERATION_FIELDS, form_params, json_params
from .routes import Route
from .wire import RecordedRequest

# What a missing `model` means (image-apis.md §1.2, §1.3): dall-e-2 for generations, gpt-image-1.5 for edits.
# Both are shut down now, so leaving `model` out gets model_not_found, as the docs' "Specify a model" warns.
DEFAULT_MODELS = {"generate": "dall-e-2", "edit": "gpt-image-1.5"}
AZURE_FORMATS = ("png", "jpeg")  # Azure OpenAI: "Supported formats are PNG and JPEG"
TRANSPARENT_FORMATS = ("png", "webp")
BACKGROUNDS = ("transparent", "opaque", "auto")
MODERATIONS = ("low", "auto")
FIDELITIES = ("high", "low")
GPT_ONLY_REJECTED = ("response_format", "style")  # dall-e parameters; GPT image models say "Unknown parameter"
MAX_PROMPT_CHARS = 32_000
MAX_N = 10
# GIF frames (SDK 3.57 `frame_count`: 2 through 16) and the shortest frame (OpenAI's edit reference, via the
# w3cschool.cn translation: at least 20 ms; longer delays are capped, not refused).
FRAME_COUNTS = (2, 16)
MIN_FRAME_MS = 20


def prompt_of(request: RecordedRequest) -> str:
    """The prompt, read before validation (to spot `[fake:...]` tokens); empty if there is none."""
    prompt = (request.json or {}).get("prompt") or (request.form.get("prompt") or [""])[-1]
    return prompt if isinstance(prompt, str) else ""


def parse_call(route: Route, request: RecordedRequest, *, today: date, serve_retired: bool) -> ImageCall:
    """Read and check an image request; raise APIError (400, or 404 for a model) as OpenAI would."""
    if route.kind == "edit" and request.headers.get("content-type", "").startswith("multipart/"):
        params = form_params(request)
        images, mask = uploaded_images(request)
    else:
        params = json_params(request, GENERATION_FIELDS if route.kind == "generate" else EDIT_JSON_FIELDS)
        images, mask = referenced_images(params) if route.kind == "edit" else ([], None)
    model = params.pop("model", None) or route.deployment or DEFAULT_MODELS[route.kind]
    family = _family_of(route, model, today, serve_retired)
    call = ImageCall(route, model, family, images=images, mask=mask, sent=frozenset(params), **_known(params))
    for check in CHECKS:
        check(call)
    return call


def _family_of(route: Route, model: str, today: date, serve_retired: bool) -> Family:
    found = find_model(model)
    # Azure names its deployments after the customer's wishes and keeps its own shutdown calendar.
    if route.azure:
        return found.family if found else ANY_DEPLOYMENT
    if found is None or (found.retired_on(today) and not serve_retired):
        raise model_not_found(model)
    return found.family


def _known(params: dict[str, Any]) -> dict[str, Any]:
    # response_format and style are only remembered in `sent`, to be refused by name.
    return {name: value for name, value in params.items() if name not in GPT_ONLY_REJECTED}


# ---------------------------------------------------------------------------------------------------
# Checks, in the order OpenAI reports them
# ---------------------------------------------------------------------------------------------------


def _check_model(call: ImageCall) -> None:
    if not call.family.drawn:
        raise invalid_request("model", f"The model '{call.model}' is not supported by this fake image API, which "
                              "implements the GPT image models only. (Without 'model', generations default to "
                              "'dall-e-2': always send 'model'.)")


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
    if len(call.prompt) > MAX_PROMPT_CHARS:
        raise too_long("prompt", len(call.prompt), MAX_PROMPT_CHARS)


def _check_size(call: ImageCall) -> None:
    if call.family.sizes is not None:
        if call.size not in call.family.sizes:
            raise unsupported_value("size", call.size, call.family.sizes)
        return
    if call.size == "auto":
        return
    match = SIZE_PATTERN.match(call.size)
    if not match:
        raise invalid_value("size", call.size, "Size must be 'auto' or WIDTHxHEIGHT in pixels, e.g. '1536x864'.")
    problem = FREE_SIZES.problem(int(match[1]), int(match[2]))
    if problem:
        raise invalid_value("size", call.size, problem)


def _check_choice(param: str, choices: Callable[[ImageCall], tuple[str, ...]]) -> Callable[[ImageCall], None]:
    def check(call: ImageCall) -> None:
        value = getattr(call, param)
        if value is not None and value not in choices(call):
            raise unsupported_value(param, value, choices(call))

    return check


def _check_range(param: str, low: int, high: int) -> Callable[[ImageCall], None]:
    def check(call: ImageCall) -> None:
        value = getattr(call, param)
        if value is not None and not low <= value <= high:
            raise out_of_range(param, value, low, high)

    return check


def _output_formats(call: ImageCall) -> tuple[str, ...]:
    if call.route.azure:
        return tuple(fmt for fmt in call.family.formats if fmt in AZURE_FORMATS)
    return call.family.formats


def _check_transparency(call: ImageCall) -> None:
    if call.transparent and call.output_format not in TRANSPARENT_FORMATS:
        raise invalid_request("background", "Transparent background requires output_format 'png' or 'webp', "
                              f"but got '{call.output_format}'.")


def _check_model_only(param: str, accepted: Callable[[Family], tuple[str, ...]],
                      reason: str) -> Callable[[ImageCall], None]:
    """A parameter only some families take: elsewhere it is refused by name, with why."""

    def check(call: ImageCall) -> None:
        if getattr(call, param) is not None and not accepted(call.family):
            raise unsupported_parameter(param, f"is not supported with this model. {reason}")

    return check


def _check_input_fidelity(call: ImageCall) -> None:
    if call.input_fidelity in FIDELITIES and call.input_fidelity not in call.family.input_fidelity:
        raise unsupported_value("input_fidelity", call.input_fidelity, call.family.input_fidelity)


def _check_gif(call: ImageCall) -> None:
    """GIF output: no streaming, partial images, mask or output_compression (SDK 3.57 `frame_count`)."""
    for param in ("frame_count", "frame_duration_ms"):
        if getattr(call, param) is not None and call.output_format != "gif":
            raise unsupported_parameter(param, "is only supported with output_format=gif.")
    if call.output_format == "gif":
        _refuse_for_format(call, "gif", stream=call.stream, partial_images=call.partial_images,
                           mask=call.mask is not None, output_compression=call.output_compression is not None)
    if call.frame_duration_ms is not None and call.frame_duration_ms < MIN_FRAME_MS:
        raise out_of_range("frame_duration_ms", call.frame_duration_ms, MIN_FRAME_MS, MAX_FRAME_MS)


def _check_svg(call: ImageCall) -> None:
    """SVG output: n=1, no streaming, partial images or output_compression (SDK 3.57 `svg`)."""
    if call.svg is not None and call.output_format != "svg":
        raise unsupported_parameter("svg", "is only supported with output_format=svg.")
    if call.output_format == "svg":
        _refuse_for_format(call, "svg", n=call.n != 1, stream=call.stream, partial_images=call.partial_images,
                           output_compression=call.output_compression is not None)


def _refuse_for_format(call: ImageCall, output_format: str, **sent: object) -> None:
    for param, present in sent.items():
        if present:
            raise invalid_request(param, f"Invalid '{param}': {output_format.upper()} output does not support "
                                  f"'{param}' as sent (output_format={output_format}).", "unsupported_value")


def _check_inputs(call: ImageCall) -> None:
    if call.kind != "edit":
        return
    if not call.images:
        raise missing_parameter("image")
    if call.mask is not None:
        check_mask(call.mask, call.images[0])


# The checks of the image settings alone, which the Responses API's image_generation tool shares.
SETTING_CHECKS: tuple[Callable[[ImageCall], None], ...] = (
    _check_size,
    _check_choice("quality", lambda call: call.family.qualities),
    _check_choice("output_format", _output_formats),
    _check_range("output_compression", 0, 100),
    _check_choice("background", lambda call: BACKGROUNDS),
    _check_transparency,
    _check_choice("moderation", lambda call: MODERATIONS),
    _check_choice("input_fidelity", lambda call: FIDELITIES),
    _check_model_only("input_fidelity", lambda family: family.input_fidelity,
                      "For GPT Image 2 and later models, omit this parameter: inputs always keep high fidelity."),
    _check_input_fidelity,
    _check_model_only("complexity", lambda family: family.complexity,
                      "Only gpt-image-2.6-flare and gpt-image-2.6-sunburst take 'complexity'."),
    _check_choice("complexity", lambda call: call.family.complexity),
    _check_range("partial_images", 0, 3),
    _check_range("frame_count", *FRAME_COUNTS),
    _check_gif,
    _check_svg,
    _check_inputs,
)
CHECKS: tuple[Callable[[ImageCall], None], ...] = (
    _check_model,
    _check_gpt_only_parameters,
    _check_prompt,
    _check_range("n", 1, MAX_N),
    *SETTING_CHECKS,
)
