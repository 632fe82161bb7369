"""An images-per-minute limit over a sliding 60-second window, and OpenAI's 429 and x-ratelimit-* headers."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from .errors import APIError

WINDOW_SECONDS = 60.0
# What the headers report when no limit is set: large enough never to matter.
UNLIMITED_IMAGES = 10_000
TOKEN_LIMIT = 10_000_000
ORGANIZATION = "org-fake"


class ImagesPerMinute:
    """Counts images (n per request) admitted in the last minute; thread-safe."""

    def __init__(self, limit: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._window: deque[tuple[float, int, int]] = deque()  # (admitted at, images, tokens)
        self._lock = threading.Lock()

    def admit(self, images: int, tokens: int) -> None:
        """Count a request of `images` images, or raise the 429 OpenAI sends when it would exceed the limit."""
        with self._lock:
            now = self._expire()
            used = self._images()
            if self.limit is not None and used + images > self.limit:
                raise rate_limit_error(self.limit, used + images, self._wait(used + images - self.limit, now))
            self._window.append((now, images, tokens))

    def headers(self) -> list[tuple[str, str]]:
        """x-ratelimit-* as OpenAI sends them; the requests trio reports this images-per-minute window."""
        with self._lock:
            now = self._expire()
            limit = self.limit if self.limit is not None else UNLIMITED_IMAGES
            reset = self._window[0][0] + WINDOW_SECONDS - now if self._window else 0.0
            tokens = sum(entry[2] for entry in self._window)
            return [
                ("x-ratelimit-limit-requests", str(limit)),
                ("x-ratelimit-remaining-requests", str(max(0, limit - self._images()))),
                ("x-ratelimit-reset-requests", duration(reset)),
                ("x-ratelimit-limit-tokens", str(TOKEN_LIMIT)),
                ("x-ratelimit-remaining-tokens", str(max(0, TOKEN_LIMIT - tokens))),
                ("x-ratelimit-reset-tokens", duration(reset)),
            ]

    def reset(self) -> None:
        with self._lock:
            self._window.clear()

    def _expire(self) -> float:
        now = self._clock()
        while self._window and self._window[0][0] <= now - WINDOW_SECONDS:
            self._window.popleft()
        return now

    def _images(self) -> int:
        return sum(entry[1] for entry in self._window)

    def _wait(self, excess: int, now: float) -> float:
        """Seconds until enough images leave the window to make room for `excess` more."""
        freed = 0
        for admitted_at, images, _tokens in self._window:
            freed += images
            if freed >= excess:
                return admitted_at + WINDOW_SECONDS - now
        return WINDOW_SECONDS  # more images than the limit allows at all: a full window is the best guess


def rate_limit_error(limit: int, current: int, retry_after: float) -> APIError:
    """OpenAI's images-per-minute 429, with retry-after (whole seconds, at least 1) and retry-after-ms."""
    seconds = max(1, math.ceil(retry_after))
    message = (
        f"Rate limit exceeded for images per minute in organization {ORGANIZATION}. Limit: {limit}/1min. "
        f"Current: {current}/1min. Please try again in {seconds}s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    headers = [("retry-after", str(seconds)), ("retry-after-ms", str(max(1, math.ceil(retry_after * 1000))))]
    return APIError(429, message, type="requests", code="rate_limit_exceeded", headers=headers)


def duration(seconds: float) -> str:
    """OpenAI's reset format: 120ms, 1.5s, 6m0s."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    return f"{int(seconds // 60)}m{int(seconds % 60)}s"
