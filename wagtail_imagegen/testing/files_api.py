"""The fake API's Files API: `POST /v1/files` (multipart), `GET /v1/files`, `GET` and `DELETE /v1/files/{id}`,
as OpenAI answers them (docs/responses-api.md §3), and the store the Responses route reads `file_id`s from.

Only the purposes the image flows use are taken (`vision`, `user_data`); `vision` files must be images.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import APIError, invalid_request, invalid_type, missing_parameter, out_of_range, unsupported_value
from .inputs import InputImage, sniff
from .wire import RecordedRequest, Reply, json_reply

FILES_ROUTE = re.compile(r"^(?:/openai)?/v1/files(?:/(?P<file_id>[^/]+))?/?$")
PURPOSES = ("vision", "user_data")
# FileCreateParams.ExpiresAfter (SDK 3.57): anchor `created_at`, 3600 (1 hour) to 2592000 (30 days) seconds.
EXPIRY_SECONDS = (3600, 2_592_000)
MAX_LIST = 10_000


@dataclass
class StoredFile:
    id: str
    data: bytes
    filename: str
    purpose: str
    created_at: int
    expires_at: int | None = None

    def body(self) -> dict[str, Any]:
        """FileObject (SDK 3.57 `types/file_object.py`)."""
        return {"id": self.id, "object": "file", "bytes": len(self.data), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": "processed", "status_details": None,
                "expires_at": self.expires_at}


def no_such_file(file_id: str, param: str | None = "id") -> APIError:
    """OpenAI's answer for a file id it does not have (any more): 404, "No such File object: …"."""
    return APIError(404, f"No such File object: {file_id}", param=param)


class FileStore:
    """Uploaded files, by id. Expired files answer like deleted ones. Thread-safe; `clock` is injectable."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, filename: str, purpose: str, expires_after: int | None = None) -> StoredFile:
        now = int(self.clock())
        stored = StoredFile(f"file-{uuid.uuid4().hex[:24]}", data, filename, purpose, now,
                            now + expires_after if expires_after else None)
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None or (stored.expires_at is not None and self.clock() >= stored.expires_at):
            return None
        return stored

    def delete(self, file_id: str) -> bool:
        """Remove a file (a test hook too: the API then answers as if the user deleted it)."""
        found = self.get(file_id) is not None
        with self._lock:
            self._files.pop(file_id, None)
        return found

    def expire(self) -> None:
        """Let every stored file expire now (a test hook: like `expires_after` running out)."""
        now = int(self.clock())
        with self._lock:
            for stored in self._files.values():
                stored.expires_at = now

    def listed(self) -> list[StoredFile]:
        with self._lock:
            ids = list(self._files)
        return [stored for stored in map(self.get, ids) if stored is not None]

    def clear(self) -> None:
        with self._lock:
            self._files.clear()

    def image(self, file_id: str, param: str) -> InputImage:
        """The image a `file_id` reference names, for the Responses route: gone → 404, not an image → 400."""
        stored = self.get(file_id)
        if stored is None:
            raise no_such_file(file_id, param)
        return sniff(stored.data, param)


def answer_files(store: FileStore, request: RecordedRequest, file_id: str | None) -> Reply:
    """One Files API call (after authentication)."""
    if file_id is None and request.method == "POST":
        return json_reply(200, _upload(store, request).body())
    if file_id is None and request.method == "GET":
        return json_reply(200, _list(store, request))
    if file_id is not None and request.method in ("GET", "DELETE"):
        stored = store.get(file_id)
        if stored is None:
            raise no_such_file(file_id)
        if request.method == "GET":
            return json_reply(200, stored.body())
        store.delete(file_id)
        return json_reply(200, {"id": file_id, "object": "file", "deleted": True})
    raise APIError(404, f"Invalid URL ({request.method} {request.path})")


def _upload(store: FileStore, request: RecordedRequest) -> StoredFile:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise invalid_request(None, "The Files API takes multipart/form-data with 'file' and 'purpose'.", None)
    parts = request.files.get("file") or []
    if not parts:
        raise missing_parameter("file")
    purpose = (request.form.get("purpose") or [""])[-1]
    if not purpose:
        raise missing_parameter("purpose")
    if purpose not in PURPOSES:
        raise unsupported_value("purpose", purpose, PURPOSES)
    if purpose == "vision":
        sniff(parts[0].data, "file")  # vision files are images: PNG, JPEG or WebP
    return store.add(parts[0].data, parts[0].filename, purpose, _expiry(request.form))


def _expiry(form: dict[str, list[str]]) -> int | None:
    anchor = (form.get("expires_after[anchor]") or [None])[-1]
    seconds = (form.get("expires_after[seconds]") or [None])[-1]
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise unsupported_value("expires_after.anchor", anchor, ("created_at",))
    try:
        value = int(seconds or "")
    except ValueError:
        raise invalid_type("expires_after.seconds", "an integer", seconds) from None
    if not EXPIRY_SECONDS[0] <= value <= EXPIRY_SECONDS[1]:
        raise out_of_range("expires_after.seconds", value, *EXPIRY_SECONDS)
    return value


def _list(store: FileStore, request: RecordedRequest) -> dict[str, Any]:
    """A cursor page (SDK `SyncCursorPage`): newest first unless `order=asc`, `purpose` and `after` filters."""
    files = sorted(store.listed(), key=lambda stored: stored.created_at, reverse=request.query.get("order") != "asc")
    if request.query.get("purpose"):
        files = [stored for stored in files if stored.purpose == request.query["purpose"]]
    if request.query.get("after"):
        ids = [stored.id for stored in files]
        files = files[ids.index(request.query["after"]) + 1:] if request.query["after"] in ids else []
    limit = int(request.query.get("limit") or MAX_LIST)
    page = files[:limit]
    return {"object": "list", "data": [stored.body() for stored in page], "has_more": len(files) > limit,
            "first_id": page[0].id if page else None, "last_id": page[-1].id if page else None}
