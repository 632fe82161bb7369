"""Fixtures of the provider tests."""

import pytest

from .helpers import ScriptedAPI


@pytest.fixture
def api() -> ScriptedAPI:
    """A scripted image API on httpx.MockTransport: queue answers, read back the requests."""
    return ScriptedAPI()
