"""Test helpers for wagtail-imagegen and for projects using it: a faithful fake of the OpenAI Images API.

    from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

    api = FakeImageAPI()
    client = httpx.Client(transport=httpx.WSGITransport(app=api), base_url="http://fake/v1")  # in process
    with serve_fake_api(api) as served:                                                      # on loopback
        openai.OpenAI(api_key="sk-fake-key", base_url=served.base_url)

Names are imported on first use, so `python -m wagtail_imagegen.testing.fake_api` runs its module fresh.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake_api import FakeImageAPI
    from .faults import FAULTS
    from .server import ServedFakeAPI, serve_fake_api
    from .wire import RecordedRequest, UploadedPart

_EXPORTS = {
    "FakeImageAPI": "fake_api",
    "FAULTS": "faults",
    "RecordedRequest": "wire",
    "UploadedPart": "wire",
    "ServedFakeAPI": "server",
    "serve_fake_api": "server",
}
__all__ = ["FAULTS", "FakeImageAPI", "RecordedRequest", "ServedFakeAPI", "UploadedPart", "serve_fake_api"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
