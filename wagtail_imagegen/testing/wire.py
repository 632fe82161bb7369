"""Reading WSGI requests (JSON and multipart bodies) and the reply value the fake API hands back."""

from __future__ import annotations

import http
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import parse_qsl

# Cloudflare's own status codes are not in http.HTTPStatus.
EXTRA_REASONS = {524: "A Timeout Occurred"}


@dataclass(frozen=True)
class UploadedPart:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One request the fake API received, and what it answered (status 0: no answer was sent)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadedPart]] = field(default_factory=dict)
    status: int = 0
    fault: str | None = None
    output_images: list[bytes] = field(default_factory=list)
    body: bytes = field(default=b"", repr=False)


class BadBody(ValueError):
    """The body could not be parsed as the content type it claims."""


def read_request(environ: dict[str, Any]) -> RecordedRequest:
    """A RecordedRequest for the WSGI `environ`, with its JSON or multipart body parsed where possible."""
    headers = _headers(environ)
    body = _body(environ)
    record = RecordedRequest(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=environ.get("PATH_INFO", "") or "/",
        query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
        headers=headers,
        body=body,
    )
    _parse_body(record)
    return record


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _parse_body(record: RecordedRequest) -> None:
    """Fill in `json` or `form`/`files`; a body that does not parse is left for the caller to reject."""
    content_type = header_param(record.headers.get("content-type", ""), None)
    try:
        if content_type == "multipart/form-data":
            boundary = header_param(record.headers["content-type"], "boundary")
            record.form, record.files = parse_multipart(record.body, boundary or "")
        elif record.body:
            parsed = json.loads(record.body)
            record.json = parsed if isinstance(parsed, dict) else None
    except (BadBody, ValueError):
        pass


def header_param(value: str, param: str | None) -> str | None:
    """The media type of a Content-Type style header (param None), or one of its parameters."""
    message = Message()
    message["content-type"] = value
    if param is None:
        return message.get_content_type() if value else ""
    found = message.get_param(param)
    return found if isinstance(found, str) else None


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, list[str]], dict[str, list[UploadedPart]]]:
    """Split a multipart/form-data body into text fields and file parts (those with a filename)."""
    if not boundary:
        raise BadBody("multipart body without a boundary")
    form: dict[str, list[str]] = {}
    files: dict[str, list[UploadedPart]] = {}
    for headers, data in _parts(b"\r\n" + body, b"\r\n--" + boundary.encode("latin-1")):
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_filename()
        if not isinstance(name, str):
            continue
        if filename is None:
            form.setdefault(name, []).append(data.decode("utf-8", errors="replace"))
        else:
            part = UploadedPart(filename, headers.get_content_type(), data)
            files.setdefault(name, []).append(part)
    return form, files


def _parts(body: bytes, delimiter: bytes) -> Iterable[tuple[Message, bytes]]:
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise BadBody("multipart body without parts")
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            return
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise BadBody("multipart part without headers")
        yield BytesHeaderParser().parsebytes(head.lstrip(b"\r\n")), data


# ---------------------------------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What to answer: a status, headers and a body (an iterable, so streams stay incremental)."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterable[bytes]

    @property
    def status_line(self) -> str:
        try:
            reason = http.HTTPStatus(self.status).phrase
        except ValueError:
            reason = EXTRA_REASONS.get(self.status, "Unknown")
        return f"{self.status} {reason}"


def json_reply(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    return raw_reply(status, json.dumps(payload).encode(), "application/json", headers)


def raw_reply(status: int, body: bytes, content_type: str, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    fixed = [("content-type", content_type), ("content-length", str(len(body)))]
    return Reply(status, [*fixed, *headers], [body])
