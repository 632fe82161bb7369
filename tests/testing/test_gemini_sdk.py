"""The official google-genai SDK against the served fake's Gemini route: a generation, an edit with two images,
a multi-turn refine, and Google's errors as the SDK's exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import GEMINI_KEY as GKEY
from .helpers import opened, picture
from .test_gemini_fake import MODEL, PRO, path

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")


@pytest.fixture
def sdk(gemini_served) -> Any:
    options = types.HttpOptions(base_url=gemini_served.url, api_version="v1beta")
    return genai.Client(api_key=GKEY, http_options=options)


def sdk_image(response: Any) -> Any:
    part = next(part for part in response.candidates[0].content.parts if part.inline_data)
    return opened(part.inline_data.data), part


def test_sdk_generation(sdk, gemini_api):
    config = types.GenerateContentConfig(response_modalities=["IMAGE"],
                                         image_config=types.ImageConfig(aspect_ratio="3:2", image_size="2K"))
    response = sdk.models.generate_content(model=MODEL, contents="A lighthouse at dusk", config=config)
    image, part = sdk_image(response)
    assert image.size == (2528, 1696)
    assert part.thought_signature
    assert response.usage_metadata.candidates_tokens_details[0].token_count == 1680
    sent = gemini_api.requests[-1]
    assert sent.path == path() and sent.headers["x-goog-api-key"] == GKEY
    assert sent.json["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2", "imageSize": "2K"}


def test_sdk_edit_with_two_images(sdk, gemini_api):
    images = [types.Part.from_bytes(data=picture(900, 600, prompt=p), mime_type="image/png") for p in "ab"]
    response = sdk.models.generate_content(model=PRO, contents=["Put both on a beach", *images],
                                           config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]))
    image, _ = sdk_image(response)
    assert image.size == (1264, 848)  # the last image's 3:2, at 1K
    parts = gemini_api.requests[-1].json["contents"][0]["parts"]
    assert [("inlineData" in part) for part in parts] == [False, True, True]


def test_sdk_multi_turn_refine_sends_the_signatures_back(sdk, gemini_api):
    config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"],
                                         image_config=types.ImageConfig(aspect_ratio="16:9"))
    chat = sdk.chats.create(model=MODEL, config=config)
    first = chat.send_message("A lighthouse at dusk")
    second = chat.send_message("Now at night, with stars")
    assert sdk_image(second)[0].size == (1376, 768)
    assert sdk_image(first)[1].inline_data.data != sdk_image(second)[1].inline_data.data
    model_turn = gemini_api.requests[-1].json["contents"][1]
    assert model_turn["role"] == "model"
    assert all(part.get("thoughtSignature") for part in model_turn["parts"] if "inlineData" in part)


def test_sdk_maps_google_errors(sdk, gemini_api):
    gemini_api.inject("rate_limit", retry_after=3)
    with pytest.raises(genai.errors.ClientError) as raised:
        sdk.models.generate_content(model=MODEL, contents="x")
    assert raised.value.code == 429 and raised.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(genai.errors.ClientError) as raised:
        sdk.models.generate_content(model="gemini-3.1-flash-image", contents="x")
    assert raised.value.code == 404
