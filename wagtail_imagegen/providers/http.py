"""Reading HTTP answers without trusting them: bodies are capped before they can fill the memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from .. import __version__
from .base import ProviderConfig, UnusableResponse

CONNECT_TIMEOUT = 10.0
USER_AGENT = f"wagtail-imagegen/{__version__} (+https://github.com/wagtail-imagegen/wagtail-imagegen)"


def api_client(config: ProviderConfig, base_url: str, headers: dict[str, str],
               transport: httpx.BaseTransport | None) -> httpx.Client:
    """A provider's one httpx client: its timeout, our user agent, and no redirects (a redirect means a wrong
    BASE_URL; following it would hide that)."""
    return httpx.Client(
        base_url=base_url, headers={"User-Agent": USER_AGENT, **headers},
        timeout=httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT), follow_redirects=False, transport=transport,
    )


def too_large(limit: int) -> UnusableResponse:
    return UnusableResponse(
        detail=f"the answer is larger than {limit // (1024 * 1024)} MB (OPTIONS['MAX_IMAGE_MB'] per image)",
    )


def capped(chunks: Iterable[Any], limit: int, size: Callable[[Any], int] = len) -> Iterator[Any]:
    """Pass chunks through until more than `limit` bytes have come, then refuse the answer."""
    seen = 0
    for chunk in chunks:
        seen += size(chunk)
        if seen > limit:
            raise too_large(limit)
        yield chunk


def read_capped(response: httpx.Response, limit: int) -> httpx.Response:
    """The response with its body read, refusing bodies over `limit` bytes before they fill the memory."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:  # refuse at once: the API said how big it is
        response.close()
        raise too_large(limit)
    try:
        content = b"".join(capped(response.iter_bytes(), limit))
    finally:
        response.close()
    return httpx.Response(response.status_code, headers=response.headers, content=content, request=response.request)
