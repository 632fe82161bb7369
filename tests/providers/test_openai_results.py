"""Reading ImagesResponse bodies: only `data` matters, every other key is optional, unknown keys ignored."""

from __future__ import annotations

import pytest

from wagtail_imagegen.providers.base import BadResponse, Usage
from wagtail_imagegen.providers.openai_results import has_magic, parse_usage, result_from_body

from .helpers import image_bytes, images_body

FULL_USAGE = {
    "total_tokens": 4260, "input_tokens": 100, "output_tokens": 4160,
    "input_tokens_details": {"text_tokens": 60, "image_tokens": 40},
    "output_tokens_details": {"image_tokens": 4100, "text_tokens": 60},
}
# What CometAPI adds to some edit responses.
COMET_EXTRAS = {
    "prompt_tokens": 0, "completion_tokens": 0, "prompt_tokens_details": {"cached_tokens_details": {}},
    "completion_tokens_details": {}, "claude_cache_creation_5_m_tokens": 0, "claude_cache_creation_1_h_tokens": 0,
}


def no_fetch(url: str) -> bytes:
    raise AssertionError(f"nothing should be downloaded, asked for {url}")


def read(body, output_format="png"):
    return result_from_body(body, output_format=output_format, fetch=no_fetch)


def test_usage_reads_input_and_output_details():
    assert parse_usage(FULL_USAGE) == Usage(
        input_text_tokens=60, input_image_tokens=40, output_image_tokens=4100, output_text_tokens=60)


def test_without_output_details_every_output_token_is_an_image_token():
    usage = {k: v for k, v in FULL_USAGE.items() if k != "output_tokens_details"}
    assert parse_usage(usage).output_image_tokens == 4160


def test_unknown_usage_keys_from_gateways_are_ignored():
    usage = {**FULL_USAGE, **COMET_EXTRAS,
             "input_tokens_details": {**FULL_USAGE["input_tokens_details"], "cached_tokens_details": {}}}
    assert parse_usage(usage) == parse_usage(FULL_USAGE)


@pytest.mark.parametrize("usage", [None, "n/a", {}])
def test_missing_usage_is_none_or_zero(usage):
    parsed = parse_usage(usage)
    assert parsed is None or parsed.total_tokens == 0


def test_a_bare_response_with_only_created_and_data_is_enough():
    image = image_bytes()
    result = read(images_body(image))
    assert result.images[0].data == image
    assert (result.usage, result.size, result.quality, result.background) == (None, None, None, None)


def test_unknown_top_level_keys_are_ignored():
    image = image_bytes()
    result = read(images_body(image, usage={**FULL_USAGE, **COMET_EXTRAS}, provider="comet", id="x"))
    assert result.images[0].data == image and result.usage.input_image_tokens == 40


def test_the_format_the_api_reports_wins_over_the_requested_one():
    image = image_bytes("webp")
    result = read(images_body(image, output_format="webp"), output_format="png")
    assert result.images[0].mime_type == "image/webp"


def test_revised_prompt_is_kept():
    body = images_body(image_bytes())
    body["data"][0]["revised_prompt"] = "a lighthouse at dusk, oil painting"
    assert read(body).images[0].revised_prompt == "a lighthouse at dusk, oil painting"


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_magic_bytes_match_only_their_own_format(output_format):
    data = image_bytes(output_format)
    assert [has_magic(data, name) for name in ("png", "jpeg", "webp")] == [
        name == output_format for name in ("png", "jpeg", "webp")]


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_a_file_cut_short_is_refused_although_it_starts_right(output_format):
    whole = image_bytes(output_format, size=(64, 64))
    assert read(images_body(whole), output_format).images[0].data == whole
    with pytest.raises(BadResponse) as caught:
        read(images_body(whole[: len(whole) * 3 // 4]), output_format)
    assert caught.value.retryable


def test_a_truncated_png_header_is_refused():
    with pytest.raises(BadResponse):
        read(images_body(image_bytes()[:6]))
