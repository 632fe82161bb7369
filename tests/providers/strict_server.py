"""A strict, independent OpenAI-compatible Images server for conformance tests (not our fake API).

Which fields exist and which values they take is derived from the official SDK's own parameter types
(`openai.types.image_generate_params`, `openai.types.image_edit_params`), so a request our provider builds
differently from the SDK fails here. The documented GPT-image rules the types cannot express (no
`response_format`/`style`, compression only for jpeg/webp, ...) are added on top. Valid requests are
answered with real images, and every exchange is recorded with its violations and the exact bytes served.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from openai.types import image_edit_params, image_generate_params
from PIL import Image
from typing_extensions import is_typeddict

from .helpers import PIL_FORMATS, parse_multipart

GPT_IMAGE_MODEL = re.compile(r"^(gpt-image|chatgpt-image)")
GPT_IMAGE_QUALITIES = {"low", "medium", "high", "auto"}
# Documented per family (image-apis.md §0; SDK 3.57's docstrings), which the SDK's shared Literals cannot say.
TOP_QUALITY_MODELS = re.compile(r"^gpt-image-2\.[56]-")  # xhigh and max
COMPLEXITY_MODELS = re.compile(r"^gpt-image-2\.6-")
MIN_PIXELS, MAX_PIXELS = 655_360, 8_294_400
STANDARD_SIZES = {"auto", "1024x1024", "1536x1024", "1024x1536"}
SIZE = re.compile(r"^(\d+)x(\d+)$")
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF"}
RANGES = {"n": (1, 10), "partial_images": (0, 3), "output_compression": (0, 100)}
MAX_IMAGES = 16


# -- rules from the SDK's TypedDicts ------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """What one parameter accepts, read off its annotation."""

    literals: tuple[object, ...] = ()
    open_types: frozenset[type] = frozenset()
    nullable: bool = False
    is_file: bool = False
    is_file_list: bool = False

    def accepts(self, value: object) -> bool:
        if value is None:
            return self.nullable
        if any(type(value) is type(literal) and value == literal for literal in self.literals):
            return True
        kind = dict if isinstance(value, dict) else type(value)
        return kind in self.open_types


def flatten(annotation: Any) -> Iterator[Any]:
    """The members of an annotation, through Required/NotRequired/Optional/Union."""
    origin = get_origin(annotation)
    if origin in (Required, NotRequired, Union, types.UnionType):
        for argument in get_args(annotation):
            yield from flatten(argument)
    else:
        yield annotation


def rule_for(annotation: Any) -> FieldRule:
    members = list(flatten(annotation))
    literals = tuple(value for member in members if get_origin(member) is Literal for value in get_args(member))
    sequences = [member for member in members if get_origin(member) in (Sequence, typing.Sequence)]
    return FieldRule(
        literals=literals,
        open_types=frozenset(
            dict if is_typeddict(member) else member for member in members
            if member in (str, int, float) or is_typeddict(member)
        ),
        nullable=type(None) in members,
        is_file=bytes in members,
        is_file_list=any(bytes in flatten(get_args(sequence)[0]) for sequence in sequences),
    )


@dataclass(frozen=True)
class Schema:
    rules: dict[str, FieldRule]
    required: frozenset[str]


def schema_of(typed_dict: type) -> Schema:
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    # The SDK's string annotations hide Required[...] from __required_keys__; read it off the hints too.
    required = {name for name, hint in hints.items() if get_origin(hint) is Required}
    return Schema({name: rule_for(hint) for name, hint in hints.items()}, frozenset(required))


SCHEMAS = {
    ("generations", False): schema_of(image_generate_params.ImageGenerateParamsNonStreaming),
    ("generations", True): schema_of(image_generate_params.ImageGenerateParamsStreaming),
    ("edits", False): schema_of(image_edit_params.ImageEditParamsNonStreaming),
    ("edits", True): schema_of(image_edit_params.ImageEditParamsStreaming),
}


# -- checking a request -------------------------------------------------------------------------------


def field_violations(fields: dict[str, Any], schema: Schema, file_names: set[str]) -> list[str]:
    """Unknown fields, values outside the SDK's types, missing required fields."""
    problems = [f"missing required field {name!r}" for name in sorted(schema.required - fields.keys() - file_names)]
    for name, value in fields.items():
        rule = schema.rules.get(name)
        if rule is None:
            problems.append(f"unknown parameter {name!r}")
        elif rule.is_file:
            problems.append(f"{name!r} must be a file")
        elif not rule.accepts(value):
            problems.append(f"{name}={value!r} is outside the SDK's type")
    return problems


def gpt_image_violations(fields: dict[str, Any]) -> list[str]:
    """Documented rules for GPT image models that the SDK's types do not express."""
    model, output_format = str(fields.get("model", "")), fields.get("output_format", "png")
    problems = [] if model else ["`model` must always be sent"]
    if not GPT_IMAGE_MODEL.match(model):
        return problems
    problems += [f"{name!r} is not supported for GPT image models" for name in ("response_format", "style")
                 if name in fields]
    problems += [f"{name}={fields[name]} is out of range" for name, (low, high) in RANGES.items()
                 if isinstance(fields.get(name), int) and not low <= fields[name] <= high]
    qualities = GPT_IMAGE_QUALITIES | ({"xhigh", "max"} if TOP_QUALITY_MODELS.match(model) else set())
    if fields.get("quality") not in qualities | {None}:
        problems.append(f"quality {fields['quality']!r} is not a quality of {model}")
    if "complexity" in fields and not COMPLEXITY_MODELS.match(model):
        problems.append(f"complexity is not supported by {model}")
    if "output_compression" in fields and output_format not in ("jpeg", "webp"):
        problems.append("output_compression is only for jpeg and webp")
    if fields.get("background") == "transparent" and output_format not in ("png", "webp"):
        problems.append("a transparent background needs png or webp")
    if "partial_images" in fields and fields.get("stream") is not True:
        problems.append("partial_images needs stream=true")
    return problems + size_violations(model, fields.get("size")) + fidelity_violations(model, fields)


def size_violations(model: str, size: Any) -> list[str]:
    if size is None or size in STANDARD_SIZES:
        return []
    match = SIZE.match(str(size))
    if not model.startswith("gpt-image-2") or not match:
        return [f"size {size!r} is not supported by {model}"]
    width, height = int(match[1]), int(match[2])
    if (width % 16 or height % 16 or max(width, height) > 3840 or max(width, height) > 3 * min(width, height)
            or not MIN_PIXELS <= width * height <= MAX_PIXELS):
        return [f"size {size!r} breaks the custom size rules"]
    return []


def fidelity_violations(model: str, fields: dict[str, Any]) -> list[str]:
    if "input_fidelity" in fields and (model.startswith("gpt-image-2") or model == "gpt-image-1-mini"):
        return [f"input_fidelity must be omitted for {model}"]
    return []


def form_value(rule: FieldRule | None, text: str) -> Any:
    """A multipart string read back the way the SDK wrote it (ints via str(), booleans "true"/"false")."""
    if rule is not None and int in rule.open_types and re.fullmatch(r"-?\d+", text):
        return int(text)
    if rule is not None and any(isinstance(literal, bool) for literal in rule.literals) and text in ("true", "false"):
        return text == "true"
    return text


def image_part_violations(files: list[tuple[str, bytes]], rules: dict[str, FieldRule]) -> list[str]:
    """Part names: `image` once, or repeated `image[]` (the SDK's brackets format), and an optional `mask`."""
    allowed = {name for name, rule in rules.items() if rule.is_file}
    allowed |= {f"{name}[]" for name, rule in rules.items() if rule.is_file_list}
    names = [name for name, _ in files]
    problems = [f"unexpected file part {name!r}" for name in names if name not in allowed]
    if "image" in names and "image[]" in names:
        problems.append("both `image` and `image[]` parts")
    if names.count("image") > 1 or names.count("mask") > 1:
        problems.append("`image` or `mask` repeated; several images are `image[]` parts")
    sources = [data for name, data in files if name in ("image", "image[]")]
    if not 1 <= len(sources) <= MAX_IMAGES:
        problems.append(f"{len(sources)} images; 1 to {MAX_IMAGES} are allowed")
    problems += [f"image {index} is not png, jpeg or webp" for index, data in enumerate(sources)
                 if not any(data.startswith(magic) for magic in MAGIC.values())]
    masks = [data for name, data in files if name == "mask"]
    return problems + (mask_violations(masks[0], sources[0]) if masks and sources else [])


def mask_violations(mask: bytes, first_image: bytes) -> list[str]:
    if not mask.startswith(MAGIC["png"]):
        return ["the mask must be a PNG"]
    if Image.open(io.BytesIO(mask)).size != Image.open(io.BytesIO(first_image)).size:
        return ["the mask must have the dimensions of the first image"]
    return []


# -- the server ---------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request the server received, what was wrong with it, and the image bytes it sent back."""

    endpoint: str
    fields: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    partials: list[bytes] = field(default_factory=list)


class StrictImageServer:
    """A WSGI app: POST /v1/images/generations (JSON) and /v1/images/edits (multipart)."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.exchanges: list[Exchange] = []
        self._serial = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        status, headers, body = self.handle(environ)
        start_response(status, headers)
        return body

    def handle(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.", "invalid_api_key")
        endpoint = environ["PATH_INFO"].removeprefix("/v1/images/")
        if environ["REQUEST_METHOD"] != "POST" or endpoint not in ("generations", "edits"):
            return error(404, f"Unknown route {environ['PATH_INFO']}", "not_found")
        exchange = self.read(endpoint, environ)
        with self._lock:
            self.exchanges.append(exchange)
        if exchange.violations:
            return error(400, "; ".join(exchange.violations), "strict_violation")
        return self.answer(exchange)

    def read(self, endpoint: str, environ: dict[str, Any]) -> Exchange:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        content_type = environ.get("CONTENT_TYPE", "")
        if endpoint == "generations":
            if content_type != "application/json":
                return Exchange(endpoint, {}, violations=[f"generations need JSON, got {content_type!r}"])
            fields = json.loads(body)
            schema = SCHEMAS[endpoint, fields.get("stream") is True]
            return Exchange(endpoint, fields, violations=field_violations(fields, schema, set())
                            + gpt_image_violations(fields))
        return self.read_multipart(content_type, body)

    def read_multipart(self, content_type: str, body: bytes) -> Exchange:
        if not content_type.startswith("multipart/form-data"):
            return Exchange("edits", {}, violations=[f"edits need multipart/form-data, got {content_type!r}"])
        parts = parse_multipart(content_type, body)
        texts = [part for part in parts if part.filename is None]
        files = [(part.name, part.data) for part in parts if part.filename is not None]
        streaming = any(part.name == "stream" and part.text == "true" for part in texts)
        schema = SCHEMAS["edits", streaming]
        fields = {part.name: form_value(schema.rules.get(part.name), part.text) for part in texts}
        violations = [f"field {name!r} sent twice" for name in fields if [p.name for p in texts].count(name) > 1]
        violations += field_violations(fields, schema, {name.removesuffix("[]") for name, _ in files})
        violations += gpt_image_violations(fields) + image_part_violations(files, schema.rules)
        return Exchange("edits", fields, files, violations)

    def answer(self, exchange: Exchange) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
        fields = exchange.fields
        output_format = fields.get("output_format", "png")
        transparent = fields.get("background") == "transparent"
        exchange.images = [self.picture(output_format, transparent) for _ in range(fields.get("n", 1))]
        if fields.get("stream") is True:
            exchange.partials = [self.picture(output_format, transparent) for _ in range(fields["partial_images"])]
            return "200 OK", [("Content-Type", "text/event-stream")], self.events(exchange)
        payload = {"created": 1700000000, "data": [{"b64_json": encoded(image)} for image in exchange.images],
                   **resolved(fields), "usage": USAGE}
        return json_response(200, payload)

    def events(self, exchange: Exchange) -> Iterator[bytes]:
        kind = "image_generation" if exchange.endpoint == "generations" else "image_edit"
        echo = {name: exchange.fields.get(name, "auto") for name in ("size", "quality", "background")}
        echo["output_format"] = exchange.fields.get("output_format", "png")
        for index, partial in enumerate(exchange.partials):
            yield frame({"type": f"{kind}.partial_image", "b64_json": encoded(partial), "created_at": 1700000000,
                         "partial_image_index": index, **echo})
        for image in exchange.images:
            yield frame({"type": f"{kind}.completed", "b64_json": encoded(image), "created_at": 1700000000,
                         "usage": USAGE, **echo})
        if len(self.exchanges) % 2:  # the [DONE] sentinel is undocumented: send it every other time
            yield b"data: [DONE]\n\n"

    def picture(self, output_format: str, transparent: bool) -> bytes:
        """A real image with a colour of its own, so no two answers share bytes."""
        serial = next(self._serial)
        colour = (serial * 37 % 256, serial * 91 % 256, serial * 13 % 256, 0 if transparent else 255)
        mode = "RGBA" if transparent else "RGB"
        buffer = io.BytesIO()
        Image.new(mode, (24, 16), colour[: len(mode)]).save(buffer, PIL_FORMATS[output_format])
        return buffer.getvalue()


USAGE = {"total_tokens": 1100, "input_tokens": 44, "output_tokens": 1056,
         "input_tokens_details": {"text_tokens": 44, "image_tokens": 0}}


def resolved(fields: dict[str, Any]) -> dict[str, str]:
    """The settings a real response reports, with "auto" resolved."""
    size, quality = fields.get("size", "auto"), fields.get("quality", "auto")
    return {"size": "1024x1024" if size == "auto" else size, "quality": "medium" if quality == "auto" else quality,
            "background": "transparent" if fields.get("background") == "transparent" else "opaque",
            "output_format": fields.get("output_format", "png")}


def encoded(image: bytes) -> str:
    return base64.b64encode(image).decode()


def frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def json_response(status: int, payload: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    return f"{status} X", [("Content-Type", "application/json")], [json.dumps(payload).encode()]


def error(status: int, message: str, code: str) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    return json_response(status, {"error": {"message": message, "type": "invalid_request_error",
                                            "param": None, "code": code}})


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(app: StrictImageServer) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) and yield its base URL, ".../v1"."""
    server = make_server("127.0.0.1", 0, app, server_class=ThreadingServer, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
