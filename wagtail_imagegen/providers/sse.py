"""Server-sent events: turn a stream of text lines into (event, data) frames, within a deadline."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str


class DeadlineExceeded(Exception):
    """The whole stream took longer than allowed (read timeouts alone restart with every chunk)."""


def iter_events(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Frames from SSE lines: `event:` and `data:` fields up to a blank line; comments are skipped."""
    event, data = "", []
    for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event, "\n".join(data))
            event, data = "", []
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:  # a stream may end without the final blank line
        yield ServerSentEvent(event, "\n".join(data))


def within_deadline(items: Iterable[str], deadline: float) -> Iterator[str]:
    """Pass `items` through, raising DeadlineExceeded once time.monotonic() is past `deadline`."""
    for item in items:
        if time.monotonic() > deadline:
            raise DeadlineExceeded("the stream did not finish in time")
        yield item
