"""The fake API's images-per-minute window, on a clock the test controls."""

from __future__ import annotations

import pytest

from wagtail_imagegen.testing.errors import APIError
from wagtail_imagegen.testing.ratelimit import ImagesPerMinute, duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_headers(error: APIError) -> dict[str, str]:
    return dict(error.headers)


def test_images_count_against_the_window_until_they_are_a_minute_old():
    clock = Clock()
    window = ImagesPerMinute(4, clock)
    window.admit(3, 100)
    clock.now += 20
    window.admit(1, 100)
    with pytest.raises(APIError) as refused:
        window.admit(2, 100)
    assert refused.value.status == 429
    assert retry_headers(refused.value) == {"retry-after": "40", "retry-after-ms": "40000"}  # when the first 3 leave
    clock.now += 40
    window.admit(2, 100)


def test_retry_after_is_at_least_one_second():
    clock = Clock()
    window = ImagesPerMinute(1, clock)
    window.admit(1, 0)
    clock.now += 59.9
    with pytest.raises(APIError) as refused:
        window.admit(1, 0)
    assert retry_headers(refused.value)["retry-after"] == "1"
    assert retry_headers(refused.value)["retry-after-ms"] == "100"


def test_the_headers_report_the_window():
    clock = Clock()
    window = ImagesPerMinute(10, clock)
    window.admit(4, 1234)
    clock.now += 15
    headers = dict(window.headers())
    assert headers["x-ratelimit-limit-requests"] == "10"
    assert headers["x-ratelimit-remaining-requests"] == "6"
    assert headers["x-ratelimit-reset-requests"] == "45s"
    assert int(headers["x-ratelimit-limit-tokens"]) - int(headers["x-ratelimit-remaining-tokens"]) == 1234


def test_without_a_limit_everything_is_admitted():
    window = ImagesPerMinute(None)
    for _ in range(100):
        window.admit(10, 0)


@pytest.mark.parametrize(("seconds", "text"), [(0.12, "120ms"), (1.5, "1.5s"), (360, "6m0s"), (0, "0ms")])
def test_durations_are_written_like_openai_writes_them(seconds, text):
    assert duration(seconds) == text
