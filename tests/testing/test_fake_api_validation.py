"""The fake image API refuses what OpenAI refuses, with OpenAI's status, param, code and wording."""

from __future__ import annotations

import pytest

from .helpers import GENERATE, error_of, generate

SIZE_MESSAGE = "Invalid value: '1254x836'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."

# (request overrides, param, code, words in the message)
REFUSED_GENERATIONS = {
    "no prompt": ({"prompt": None}, "prompt", "missing_required_parameter", "Missing required parameter: 'prompt'."),
    "empty prompt": ({"prompt": ""}, "prompt", "empty_string", "empty string"),
    "prompt too long": ({"prompt": "x" * 32_001}, "prompt", "string_above_max_length", "maximum length 32000"),
    "n zero": ({"n": 0}, "n", "integer_below_min_value", "Expected a value >= 1"),
    "n eleven": ({"n": 11}, "n", "integer_above_max_value", "Expected a value <= 10"),
    "n as text": ({"n": "2"}, "n", "invalid_type", "expected an integer, but got a string"),
    "stream as text": ({"stream": "yes"}, "stream", "invalid_type", "expected a boolean"),
    "non-standard size": ({"size": "1254x836"}, "size", "invalid_value", SIZE_MESSAGE),
    "dall-e size": ({"model": "gpt-image-1-mini", "size": "512x512"}, "size", "invalid_value", "'512x512'"),
    "gpt-image-2 off the grid": ({"model": "gpt-image-2", "size": "1000x1000"}, "size", "invalid_value",
                                 "divisible by 16"),
    "gpt-image-2 too narrow": ({"model": "gpt-image-2", "size": "3200x1008"}, "size", "invalid_value", "1:3 and 3:1"),
    "gpt-image-2 too big": ({"model": "gpt-image-2-2026-04-21", "size": "3840x2176"}, "size", "invalid_value",
                            "3840x2160"),
    "gpt-image-2 not a size": ({"model": "gpt-image-2", "size": "huge"}, "size", "invalid_value", "WIDTHxHEIGHT"),
    "dall-e quality": ({"quality": "hd"}, "quality", "invalid_value",
                       "Supported values are: 'low', 'medium', 'high', and 'auto'."),
    "gif output": ({"output_format": "gif"}, "output_format", "invalid_value", "'png', 'jpeg', and 'webp'"),
    "compression over 100": ({"output_format": "jpeg", "output_compression": 101}, "output_compression",
                             "integer_above_max_value", "<= 100"),
    "compression below 0": ({"output_format": "webp", "output_compression": -1}, "output_compression",
                            "integer_below_min_value", ">= 0"),
    "unknown background": ({"background": "clear"}, "background", "invalid_value", "'transparent', 'opaque'"),
    "transparent jpeg": ({"background": "transparent", "output_format": "jpeg"}, "background", "invalid_value",
                         "'png' or 'webp'"),
    "transparent gpt-image-2": ({"model": "gpt-image-2", "background": "transparent"}, "background",
                                "invalid_value", "not supported for model 'gpt-image-2'"),
    "response_format": ({"response_format": "b64_json"}, "response_format", "unknown_parameter",
                        "Unknown parameter: 'response_format'."),
    "style": ({"style": "vivid"}, "style", "unknown_parameter", "Unknown parameter: 'style'."),
    "unknown field": ({"temperature": 1}, "temperature", "unknown_parameter", "Unknown parameter: 'temperature'."),
    "input_fidelity on generations": ({"input_fidelity": "high"}, "input_fidelity", "unknown_parameter",
                                      "Unknown parameter"),
    "moderation high": ({"moderation": "high"}, "moderation", "invalid_value", "'low' and 'auto'"),
    "four partial images": ({"stream": True, "partial_images": 4}, "partial_images", "integer_above_max_value",
                            "<= 3"),
    "dall-e-3": ({"model": "dall-e-3"}, "model", "invalid_value", "not supported by this fake"),
    "no model means dall-e-2": ({"model": None}, "model", "invalid_value", "'dall-e-2'"),
    "not an image model": ({"model": "gpt-4o"}, "model", "invalid_value", "Invalid value: 'gpt-4o'."),
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
        {"moderation": "low", "user": "editor-7"},
        {"prompt": "x" * 32_000},
        {"n": 10, "quality": "low"},
        {"model": "gpt-image-1", "output_format": "webp", "output_compression": 0},
        {"model": "chatgpt-image-latest", "background": "opaque"},
        {"model": "gpt-image-2", "size": "1008x3024", "quality": "low"},
        {"n": None, "quality": None},  # JSON nulls mean "not sent"
    ],
)
def test_a_generation_within_the_rules_is_accepted(http, overrides):
    assert generate(http, **overrides).status_code == 200


def test_a_body_that_is_not_json_gets_400(http):
    response = http.post(GENERATE, content=b"prompt=hello", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "could not parse the JSON body" in error_of(response)["message"]
