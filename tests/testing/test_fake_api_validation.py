"""The fake image API refuses what OpenAI refuses, with OpenAI's status, param, code and wording."""

from __future__ import annotations

import pytest

from .helpers import GENERATE, error_of, generate

QUALITIES_2_6 = "Supported values are: 'low', 'medium', 'high', 'xhigh', 'max', and 'auto'."
QUALITIES_2 = "Invalid value: 'xhigh'. Supported values are: 'low', 'medium', 'high', and 'auto'."

# (request overrides, param, code, words in the message); the model is gpt-image-2.6-flare unless named.
REFUSED_GENERATIONS = {
    "no prompt": ({"prompt": None}, "prompt", "missing_required_parameter", "Missing required parameter: 'prompt'."),
    "empty prompt": ({"prompt": ""}, "prompt", "empty_string", "empty string"),
    "prompt too long": ({"prompt": "x" * 32_001}, "prompt", "string_above_max_length", "maximum length 32000"),
    "n zero": ({"n": 0}, "n", "integer_below_min_value", "Expected a value >= 1"),
    "n eleven": ({"n": 11}, "n", "integer_above_max_value", "Expected a value <= 10"),
    "n as text": ({"n": "2"}, "n", "invalid_type", "expected an integer, but got a string"),
    "stream as text": ({"stream": "yes"}, "stream", "invalid_type", "expected a boolean"),
    "off the grid": ({"size": "1000x1000"}, "size", "invalid_value", "divisible by 16"),
    "too narrow": ({"model": "gpt-image-2", "size": "3200x1008"}, "size", "invalid_value", "1:3 and 3:1"),
    "long edge over 3840": ({"size": "4096x2048"}, "size", "invalid_value", "longest edge must be at most 3840"),
    "too few pixels": ({"model": "gpt-image-2.5-flare", "size": "768x768"}, "size", "invalid_value",
                       "at least 655,360 pixels"),
    "too many pixels": ({"model": "gpt-image-2-2026-04-21", "size": "3840x2176"}, "size", "invalid_value",
                        "at most 8,294,400 pixels"),
    "not a size": ({"size": "huge"}, "size", "invalid_value", "WIDTHxHEIGHT"),
    "dall-e quality": ({"quality": "hd"}, "quality", "invalid_value", QUALITIES_2_6),
    "xhigh on gpt-image-2": ({"model": "gpt-image-2", "quality": "xhigh"}, "quality", "invalid_value", QUALITIES_2),
    "max on gpt-image-2's snapshot": ({"model": "gpt-image-2-2026-04-21", "quality": "max"}, "quality",
                                      "invalid_value", "'high', and 'auto'."),
    "bmp output": ({"output_format": "bmp"}, "output_format", "invalid_value",
                   "'png', 'jpeg', 'webp', 'gif', and 'svg'"),
    "gif on 2.5": ({"model": "gpt-image-2.5-sunburst", "output_format": "gif"}, "output_format", "invalid_value",
                   "Supported values are: 'png', 'jpeg', and 'webp'."),
    "svg on gpt-image-2": ({"model": "gpt-image-2", "output_format": "svg"}, "output_format", "invalid_value",
                           "'png', 'jpeg', and 'webp'"),
    "compression over 100": ({"output_format": "jpeg", "output_compression": 101}, "output_compression",
                             "integer_above_max_value", "<= 100"),
    "compression below 0": ({"output_format": "webp", "output_compression": -1}, "output_compression",
                            "integer_below_min_value", ">= 0"),
    "unknown background": ({"background": "clear"}, "background", "invalid_value", "'transparent', 'opaque'"),
    "transparent jpeg": ({"background": "transparent", "output_format": "jpeg"}, "background", "invalid_value",
                         "'png' or 'webp'"),
    "transparent gif": ({"background": "transparent", "output_format": "gif"}, "background", "invalid_value",
                        "'png' or 'webp'"),
    "complexity on 2.5": ({"model": "gpt-image-2.5-flare", "complexity": "low"}, "complexity",
                          "unsupported_parameter", "Unsupported parameter: 'complexity'"),
    "complexity on gpt-image-2": ({"model": "gpt-image-2", "complexity": "high"}, "complexity",
                                  "unsupported_parameter", "not supported with this model"),
    "complexity extreme": ({"complexity": "extreme"}, "complexity", "invalid_value",
                           "Supported values are: 'low', 'medium', and 'high'."),
    "frame_count without gif": ({"frame_count": 4}, "frame_count", "unsupported_parameter", "output_format=gif"),
    "frame_duration_ms without gif": ({"frame_duration_ms": 100}, "frame_duration_ms", "unsupported_parameter",
                                      "output_format=gif"),
    "one frame": ({"output_format": "gif", "frame_count": 1}, "frame_count", "integer_below_min_value", ">= 2"),
    "seventeen frames": ({"output_format": "gif", "frame_count": 17}, "frame_count", "integer_above_max_value",
                         "<= 16"),
    "ten-millisecond frames": ({"output_format": "gif", "frame_duration_ms": 10}, "frame_duration_ms",
                               "integer_below_min_value", ">= 20"),
    "streamed gif": ({"output_format": "gif", "stream": True}, "stream", "unsupported_value", "GIF output"),
    "compressed gif": ({"output_format": "gif", "output_compression": 50}, "output_compression",
                       "unsupported_value", "GIF output"),
    "two svgs": ({"output_format": "svg", "n": 2}, "n", "unsupported_value", "SVG output"),
    "streamed svg": ({"output_format": "svg", "stream": True, "partial_images": 1}, "stream", "unsupported_value",
                     "SVG output"),
    "svg object with png": ({"svg": {"model": "gpt-5.6-terra"}}, "svg", "unsupported_parameter",
                            "output_format=svg"),
    "svg not an object": ({"output_format": "svg", "svg": "gpt-5.6-terra"}, "svg", "invalid_type", "an object"),
    "response_format": ({"response_format": "b64_json"}, "response_format", "unknown_parameter",
                        "Unknown parameter: 'response_format'."),
    "style": ({"style": "vivid"}, "style", "unknown_parameter", "Unknown parameter: 'style'."),
    "unknown field": ({"temperature": 1}, "temperature", "unknown_parameter", "Unknown parameter: 'temperature'."),
    "input_fidelity on generations": ({"input_fidelity": "high"}, "input_fidelity", "unknown_parameter",
                                      "Unknown parameter"),
    "moderation high": ({"moderation": "high"}, "moderation", "invalid_value", "'low' and 'auto'"),
    "four partial images": ({"stream": True, "partial_images": 4}, "partial_images", "integer_above_max_value",
                            "<= 3"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_GENERATIONS))
def test_a_generation_openai_would_refuse_gets_400_naming_the_parameter(http, fake_api, case):
    overrides, param, code, words = REFUSED_GENERATIONS[case]
    response = generate(http, **overrides)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert words in error["message"]
    assert fake_api.requests[-1].status == 400 and fake_api.requests[-1].output_images == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"moderation": "low", "user": "editor-7", "safety_identifier": "hash-of-editor-7"},
        {"prompt": "x" * 32_000},
        {"n": 10, "quality": "low"},
        {"model": "gpt-image-2.5-flare", "output_format": "webp", "output_compression": 0},
        {"model": "gpt-image-2.5-sunburst-2026-09-08", "quality": "xhigh", "background": "opaque"},
        {"model": "gpt-image-2", "size": "1008x3024", "quality": "low"},
        {"model": "gpt-image-2", "background": "transparent"},  # "in preview", but accepted
        {"size": "3840x2160", "quality": "low"},  # the largest size
        {"size": "1024x640", "quality": "low"},  # exactly the fewest pixels
        {"model": "gpt-image-2.6-sunburst", "complexity": "low", "quality": "max"},
        {"output_format": "gif", "frame_count": 2, "frame_duration_ms": 655_360, "size": "1024x640"},
        {"output_format": "svg", "svg": {"model": "gpt-5.6-terra", "reasoning": {"effort": "low"}}},
        {"n": None, "quality": None, "complexity": None},  # JSON nulls mean "not sent"
    ],
)
def test_a_generation_within_the_rules_is_accepted(http, overrides):
    response = generate(http, **overrides)
    assert response.status_code == 200, response.text


def test_a_body_that_is_not_json_gets_400(http):
    response = http.post(GENERATE, content=b"prompt=hello", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "could not parse the JSON body" in error_of(response)["message"]
