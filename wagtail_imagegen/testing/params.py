"""Reading an image request's parameters: JSON bodies carry typed values, multipart forms carry strings.

Which names each endpoint takes follows OpenAI's schemas (image-apis.md §1.2-1.3) and SDK 3.57, which adds
`complexity`, `frame_count`, `frame_duration_ms`, `svg` and `safety_identifier`.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid_request, invalid_type, unknown_parameter, unparsable_body
from .wire import RecordedRequest

INT_FIELDS = frozenset({"n", "output_compression", "partial_images", "frame_count", "frame_duration_ms"})
BOOL_FIELDS = frozenset({"stream"})
OBJECT_FIELDS = frozenset({"images", "mask", "svg"})
COMMON_FIELDS = frozenset({
    "prompt", "model", "n", "quality", "output_format", "output_compression", "stream", "partial_images",
    "size", "background", "user", "safety_identifier", "complexity", "frame_count", "frame_duration_ms", "svg",
})
GENERATION_FIELDS = COMMON_FIELDS | {"moderation", "response_format", "style"}
# The multipart edit schema has no `moderation` (and no `style`); the JSON edit schema has no response_format.
EDIT_FORM_FIELDS = COMMON_FIELDS | {"input_fidelity", "response_format"}
EDIT_JSON_FIELDS = COMMON_FIELDS | {"images", "mask", "moderation", "input_fidelity"}
EDIT_FILE_FIELDS = frozenset({"image", "image[]", "mask"})
# Multipart spells the `svg` object as bracketed fields (SDK 3.57: "Use multipart fields such as svg[model]").
SVG_FORM_FIELDS = {"svg[model]": ("model",), "svg[reasoning][effort]": ("reasoning", "effort")}


def json_params(request: RecordedRequest, allowed: frozenset[str]) -> dict[str, Any]:
    """The JSON body's parameters, nulls dropped (null means "not sent"), each of its schema's type."""
    if request.json is None:
        raise unparsable_body()
    _reject_unknown(request.json, allowed)
    params = {name: value for name, value in request.json.items() if value is not None}
    for name, value in params.items():
        _check_json_type(name, value)
    return params


def form_params(request: RecordedRequest) -> dict[str, Any]:
    """A multipart edit's text fields, read as the numbers, booleans and objects they stand for."""
    svg_fields = {name: values for name, values in request.form.items() if name in SVG_FORM_FIELDS}
    form = {name: values for name, values in request.form.items() if name not in SVG_FORM_FIELDS}
    _reject_unknown(form, EDIT_FORM_FIELDS)
    _reject_unknown(request.files, EDIT_FILE_FIELDS | EDIT_FORM_FIELDS)
    for name in EDIT_FILE_FIELDS & form.keys():
        raise invalid_request(name, f"Invalid type for '{name}': expected a file, but got a string instead.",
                              "invalid_type")
    # The SDK sends None as an empty string: treat it as not sent.
    params = {name: _from_form(name, values[-1]) for name, values in form.items() if values[-1] != ""}
    svg = _svg_object(svg_fields)
    return params | ({"svg": svg} if svg else {})


def _check_json_type(name: str, value: Any) -> None:
    if name in INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid_type(name, "an integer", value)
    if name in BOOL_FIELDS and not isinstance(value, bool):
        raise invalid_type(name, "a boolean", value)
    if name == "svg" and not isinstance(value, dict):
        raise invalid_type(name, "an object", value)
    if name not in INT_FIELDS | BOOL_FIELDS | OBJECT_FIELDS and not isinstance(value, str):
        raise invalid_type(name, "a string", value)


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


def _svg_object(fields: dict[str, list[str]]) -> dict[str, Any]:
    svg: dict[str, Any] = {}
    for name, values in fields.items():
        *parents, leaf = SVG_FORM_FIELDS[name]
        node = svg
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = values[-1]
    return svg


def _reject_unknown(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise unknown_parameter(name)
