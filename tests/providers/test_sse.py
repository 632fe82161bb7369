"""The server-sent events decoder and the stream deadline."""

from __future__ import annotations

import time

import pytest

from wagtail_imagegen.providers.sse import DeadlineExceeded, ServerSentEvent, iter_events, within_deadline


def test_frames_end_at_blank_lines_and_keep_their_event_name():
    lines = ["event: a", "data: {\"x\": 1}", "", "data: [DONE]", ""]
    assert list(iter_events(lines)) == [ServerSentEvent("a", '{"x": 1}'), ServerSentEvent("", "[DONE]")]


def test_multi_line_data_is_joined_and_comments_are_skipped():
    lines = [": keep-alive", "event: b", "data: first", "data: second", "", ""]
    assert list(iter_events(lines)) == [ServerSentEvent("b", "first\nsecond")]


def test_a_last_frame_without_blank_line_is_still_delivered():
    assert list(iter_events(["data: tail"])) == [ServerSentEvent("", "tail")]


def test_deadline_stops_a_stream_that_keeps_going():
    def forever():
        while True:
            time.sleep(0.01)
            yield "data: x"

    with pytest.raises(DeadlineExceeded):
        for _ in within_deadline(forever(), time.monotonic() + 0.1):
            pass


def test_deadline_lets_a_quick_stream_through():
    assert list(within_deadline(["a", "b"], time.monotonic() + 5)) == ["a", "b"]
