"""Reading a `POST /v1/responses` body into a checked Turn, with OpenAI's answers for what it refuses.

The parameter names, types and choices are the fake's own copy of SDK 3.57's `ResponseCreateParams`,
`ResponseInputImageParam` and `tool.ImageGeneration` (docs/responses-api.md §1): the fake never imports
the SDK. Image settings are checked by the Images API's own rules (validation.SETTING_CHECKS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .call import ImageCall
from .errors import (
    APIError,
    invalid_request,
    invalid_type,
    missing_parameter,
    model_not_found,
    too_long,
    unknown_parameter,
    unparsable_body,
    unsupported_value,
)
from .files_api import FileStore
from .inputs import InputImage, decode_data_url, sniff
from .lineup import find_model
from .responses_lineup import mainline_served
from .routes import Route
from .validation import SETTING_CHECKS
from .wire import RecordedRequest

# ResponseCreateParams (SDK 3.57), plus `stream`.
CREATE_FIELDS = frozenset({
    "access_programs", "background", "background_options", "context_management", "conversation", "image",
    "include", "input", "instructions", "max_output_tokens", "max_tool_calls", "metadata", "model", "moderation",
    "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options",
    "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier", "store", "stream",
    "stream_options", "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user",
})
STRING_FIELDS = ("model", "instructions", "previous_response_id", "user", "safety_identifier")
BOOL_FIELDS = ("store", "stream")
# tool.ImageGeneration (SDK 3.57).
TOOL_FIELDS = frozenset({
    "type", "action", "background", "complexity", "frame_count", "frame_duration_ms", "input_fidelity",
    "input_image_mask", "model", "moderation", "output_compression", "output_format", "partial_images", "quality",
    "size", "svg",
})
TOOL_INTS = frozenset({"output_compression", "partial_images", "frame_count", "frame_duration_ms"})
TOOL_OBJECTS = frozenset({"input_image_mask", "svg"})
ACTIONS = ("generate", "edit", "auto")
# The tool's default image model (SDK 3.57 ImageGeneration.model: "Default: `gpt-image-2.6-sunburst`").
DEFAULT_TOOL_MODEL = "gpt-image-2.6-sunburst"
TOOL_CHOICES = ("auto", "none", "required")
ROLES = ("user", "assistant", "system", "developer")
IMAGE_PART_FIELDS = frozenset({"type", "detail", "file_id", "image_url", "prompt_cache_breakpoint"})
DETAILS = ("low", "high", "auto", "original")  # ImageDetail
PART_TYPES = ("input_text", "input_image", "input_file")
MAX_FILE_ID = 64  # "Expected a string with maximum length 64" (BerriAI/litellm#24797, from OpenAI)
MAX_SAFETY_IDENTIFIER = 128


@dataclass
class Turn:
    """One `POST /v1/responses`, read and checked (the previous response is looked up by the caller)."""

    body: dict[str, Any]
    model: str
    texts: list[str] = field(default_factory=list)
    images: list[InputImage] = field(default_factory=list)
    call_refs: list[str] = field(default_factory=list)  # `{"type": "image_generation_call", "id": ...}` items
    tool: dict[str, Any] | None = None
    tool_index: int = 0
    tool_choice: Any = "auto"
    previous_response_id: str | None = None
    store: bool = True
    stream: bool = False

    @property
    def prompt(self) -> str:
        return " ".join(self.texts)

    @property
    def action(self) -> str:
        return (self.tool or {}).get("action") or "auto"

    @property
    def calls_tool(self) -> bool:
        """The fake's model always calls the image tool when it has it, unless told not to."""
        return self.tool is not None and self.tool_choice != "none"


def prompt_of(request: RecordedRequest) -> str:
    """The turn's text, read before validation (to spot `[fake:...]` tokens)."""
    value = (request.json or {}).get("input")
    if isinstance(value, str):
        return value
    texts = []
    for item in value if isinstance(value, list) else []:
        content = item.get("content") if isinstance(item, dict) else None
        parts = [content] if isinstance(content, str) else content if isinstance(content, list) else []
        texts += [part if isinstance(part, str) else part.get("text") for part in parts if isinstance(part, str | dict)]
    return " ".join(text for text in texts if isinstance(text, str))


def parse_turn(request: RecordedRequest, files: FileStore, *, today: date, serve_retired: bool) -> Turn:
    body = request.json
    if body is None:
        raise unparsable_body()
    for name in body:
        if name not in CREATE_FIELDS:
            raise unknown_parameter(name)
    params = {name: value for name, value in body.items() if value is not None}
    _check_types(params)
    if "model" not in params:
        raise missing_parameter("model")
    if not mainline_served(params["model"], today, serve_retired):
        raise model_not_found(params["model"])
    if len(params.get("safety_identifier", "")) > MAX_SAFETY_IDENTIFIER:
        raise too_long("safety_identifier", len(params["safety_identifier"]), MAX_SAFETY_IDENTIFIER)
    turn = Turn(body, params["model"], previous_response_id=params.get("previous_response_id"),
                store=params.get("store", True), stream=params.get("stream", False))
    _read_input(turn, params.get("input"), files)
    _read_tools(turn, params.get("tools", []))
    turn.tool_choice = _tool_choice(params.get("tool_choice", "auto"), turn)
    return turn


def _check_types(params: dict[str, Any]) -> None:
    for name in STRING_FIELDS:
        if name in params and not isinstance(params[name], str):
            raise invalid_type(name, "a string", params[name])
    for name in BOOL_FIELDS:
        if name in params and not isinstance(params[name], bool):
            raise invalid_type(name, "a boolean", params[name])
    if "input" in params and not isinstance(params["input"], str | list):
        raise invalid_type("input", "a string or an array", params["input"])
    if "tools" in params and not isinstance(params["tools"], list):
        raise invalid_type("tools", "an array", params["tools"])


# ---------------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------------


def _read_input(turn: Turn, value: str | list | None, files: FileStore) -> None:
    if isinstance(value, str):
        turn.texts.append(value)
        return
    for index, item in enumerate(value or []):
        param = f"input[{index}]"
        if not isinstance(item, dict):
            raise invalid_type(param, "an object", item)
        if item.get("type") == "image_generation_call":
            if not isinstance(item.get("id"), str):
                raise missing_parameter(f"{param}.id")
            turn.call_refs.append(item["id"])
            continue
        role = item.get("role")
        if role not in ROLES:
            raise unsupported_value(f"{param}.role", role, ROLES)
        _read_content(turn, item.get("content"), param, role == "user", files)


def _read_content(turn: Turn, content: object, param: str, from_user: bool, files: FileStore) -> None:
    if isinstance(content, str):
        if from_user:
            turn.texts.append(content)
        return
    if not isinstance(content, list):
        raise invalid_type(f"{param}.content", "a string or an array", content)
    for index, part in enumerate(content):
        where = f"{param}.content[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("output_text", "refusal") and not from_user:
            continue
        if kind not in PART_TYPES:
            raise unsupported_value(f"{where}.type", kind, PART_TYPES)
        if kind == "input_text":
            if not isinstance(part.get("text"), str):
                raise missing_parameter(f"{where}.text")
            if from_user:
                turn.texts.append(part["text"])
        elif kind == "input_image":
            image = _input_image(part, where, files)
            if from_user:
                turn.images.append(image)
        else:
            raise invalid_request(f"{where}.type", "This fake API implements image inputs only, not 'input_file'.")


def _input_image(part: dict[str, Any], where: str, files: FileStore) -> InputImage:
    for name in part:
        if name not in IMAGE_PART_FIELDS:
            raise unknown_parameter(f"{where}.{name}")
    detail = part.get("detail")
    if detail is not None and detail not in DETAILS:  # typed required, documented as defaulting to auto
        raise unsupported_value(f"{where}.detail", detail, DETAILS)
    return image_ref(part, where, files)


def image_ref(ref: dict[str, Any], where: str, files: FileStore) -> InputImage:
    """An `input_image` part or the tool's `input_image_mask`: exactly one of `file_id` or a data-URL `image_url`."""
    file_id, url = ref.get("file_id"), ref.get("image_url")
    if (file_id is None) == (url is None):
        raise invalid_request(where, f"Invalid '{where}': expected exactly one of 'image_url' or 'file_id'.")
    if file_id is not None:
        if not isinstance(file_id, str):
            raise invalid_type(f"{where}.file_id", "a string", file_id)
        if len(file_id) > MAX_FILE_ID:
            raise too_long(f"{where}.file_id", len(file_id), MAX_FILE_ID)
        return files.image(file_id, f"{where}.file_id")
    return sniff(decode_data_url(url, f"{where}.image_url"), f"{where}.image_url")


# ---------------------------------------------------------------------------------------------------
# tools and tool_choice
# ---------------------------------------------------------------------------------------------------


def _read_tools(turn: Turn, tools: list[Any]) -> None:
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid_type(f"tools[{index}]", "an object", tool)
        if tool.get("type") != "image_generation":
            raise invalid_request(f"tools[{index}].type", f"This fake API implements the 'image_generation' tool "
                                  f"only, not {tool.get('type')!r}.")
        if turn.tool is not None:
            raise invalid_request("tools", "Duplicate tool: 'image_generation' may be given once.")
        for name, value in tool.items():
            _check_tool_field(f"tools[{index}].{name}", name, value)
        turn.tool, turn.tool_index = tool, index


def _check_tool_field(param: str, name: str, value: object) -> None:
    if name not in TOOL_FIELDS:
        raise unknown_parameter(param)
    if value is None:
        return
    if name in TOOL_INTS and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid_type(param, "an integer", value)
    if name in TOOL_OBJECTS and not isinstance(value, dict):
        raise invalid_type(param, "an object", value)
    if name not in TOOL_INTS | TOOL_OBJECTS and not isinstance(value, str):
        raise invalid_type(param, "a string", value)
    if name == "action" and value not in ACTIONS:
        raise unsupported_value(param, value, ACTIONS)


def _tool_choice(choice: object, turn: Turn) -> object:
    if isinstance(choice, str):
        if choice not in TOOL_CHOICES:
            raise unsupported_value("tool_choice", choice, TOOL_CHOICES)
        return choice
    if not isinstance(choice, dict):
        raise invalid_type("tool_choice", "a string or an object", choice)
    if choice.get("type") != "image_generation":
        raise invalid_request("tool_choice.type", "This fake API implements the 'image_generation' tool only.")
    if turn.tool is None:
        raise invalid_request("tool_choice", "Tool choice 'image_generation' not found in 'tools' parameter.")
    return choice


# ---------------------------------------------------------------------------------------------------
# The image call the tool makes
# ---------------------------------------------------------------------------------------------------


def tool_call(turn: Turn, images: list[InputImage], files: FileStore, *, today: date,
              serve_retired: bool) -> ImageCall:
    """The tool's image call, checked like an Images API call; errors name `tools[i].…`."""
    tool = {name: value for name, value in (turn.tool or {}).items() if value is not None}
    prefix = f"tools[{turn.tool_index}]"
    model = tool.get("model") or DEFAULT_TOOL_MODEL
    found = find_model(model)
    if found is None or (found.retired_on(today) and not serve_retired) or not found.family.drawn:
        error = model_not_found(model)
        error.error["param"] = f"{prefix}.model"
        raise error
    if turn.action == "edit" and not images:
        raise invalid_request(f"{prefix}.action", "Invalid 'action': 'edit' needs an image to edit: an input_image "
                              "or a previous response with an image.")
    mask = image_ref(tool["input_image_mask"], f"{prefix}.input_image_mask", files) \
        if "input_image_mask" in tool else None
    settings = {name: value for name, value in tool.items() if name not in ("type", "action", "model",
                                                                          "input_image_mask")}
    kind = "edit" if images else "generate"
    call = ImageCall(Route(kind, "openai"), model, found.family, prompt=turn.prompt, images=images, mask=mask,
                     sent=frozenset(settings), **settings)
    try:
        for check in SETTING_CHECKS:
            check(call)
    except APIError as error:
        raise _in_tool(error, prefix) from None
    return call


def _in_tool(error: APIError, prefix: str) -> APIError:
    param = error.error.get("param")
    if param:
        name = "input_image_mask" if param == "mask" else param
        error.error["param"] = f"{prefix}.{name}"
        error.error["message"] = error.error["message"].replace(f"'{param}'", f"'{prefix}.{name}'")
    return error
