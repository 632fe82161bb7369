"""Fixtures for the fake image API's own tests: a fresh fake, the fake on 127.0.0.1, an httpx client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import httpx
import pytest

from wagtail_imagegen.testing import FakeImageAPI, ServedFakeAPI, serve_fake_api

KEY = "sk-fake-key"
# The Gemini route's tests: Google's key, and the day their model calendar is read on.
GEMINI_KEY = "g-fake-key"
GEMINI_TODAY = date(2026, 12, 3)


@pytest.fixture
def fake_api() -> FakeImageAPI:
    return FakeImageAPI()


@pytest.fixture
def served_fake_api(fake_api: FakeImageAPI) -> Iterator[ServedFakeAPI]:
    with serve_fake_api(fake_api) as served:
        yield served


def client_for(served: ServedFakeAPI) -> httpx.Client:
    """A client for the served fake's root URL, with the right bearer key."""
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


@pytest.fixture
def http(served_fake_api: ServedFakeAPI) -> Iterator[httpx.Client]:
    with client_for(served_fake_api) as client:
        yield client


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[ServedFakeAPI, httpx.Client]]]:
    """Serve another FakeImageAPI built with the given options; returns it served, and a client for it."""
    with ExitStack() as stack:

        def start(**options: Any) -> tuple[ServedFakeAPI, httpx.Client]:
            served = stack.enter_context(serve_fake_api(FakeImageAPI(**options)))
            return served, stack.enter_context(client_for(served))

        yield start


@pytest.fixture
def gemini_api() -> FakeImageAPI:
    return FakeImageAPI(api_key=GEMINI_KEY, today=GEMINI_TODAY)


@pytest.fixture
def gemini_served(gemini_api: FakeImageAPI) -> Iterator[ServedFakeAPI]:
    with serve_fake_api(gemini_api) as served:
        yield served
