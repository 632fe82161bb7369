"""Alt text from the providers: the OpenAI provider's describe() over real HTTP on 127.0.0.1 against the fake's
/v1/responses (its vision oracle names the image's colours), and the demo provider offline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wagtail_imagegen import pricing
from wagtail_imagegen.providers.base import DescribeRequest, InputImage, Unsupported, shortened
from wagtail_imagegen.providers.demo import DemoImageProvider
from wagtail_imagegen.providers.gemini import GeminiImageProvider
from wagtail_imagegen.providers.openai import OpenAIImageProvider
from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

from .helpers import config, image_bytes

KEY = "sk-describe-secret-key-0123456789"


class MemoryFiles:
    """providers.base.FileCache in a dict (the app's is the database: provider_files.py)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def get(self, sha256: str) -> str | None:
        return self.ids.get(sha256)

    def put(self, sha256: str, file_id: str, expires_at: int | None) -> None:
        self.ids[sha256] = file_id

    def forget(self, sha256: str) -> None:
        self.ids.pop(sha256, None)


def red_picture() -> InputImage:
    return InputImage(image_bytes("png", (64, 48), (210, 40, 30)), "red.png")


def ask(language: str = "de", name: str = "German", **options) -> DescribeRequest:
    return DescribeRequest(image=red_picture(), language=language, language_name=name, **options)


@pytest.fixture
def api() -> FakeImageAPI:
    return FakeImageAPI(api_key=KEY)


@pytest.fixture
def served(api):
    with serve_fake_api(api) as served:
        yield served


def test_openai_describes_in_the_named_language_through_responses_without_tools(api, served):
    with OpenAIImageProvider(config(base_url=served.base_url, api_key=KEY)) as provider:
        description = provider.describe(ask())
    assert description.text.startswith("Ein Bild, überwiegend in Rot")
    (call,) = [request for request in api.requests if request.path == "/v1/responses"]
    body = call.json
    assert body["store"] is False and "tools" not in body and body["model"] == "gpt-5.6-luna"
    text, image = body["input"][0]["content"]
    assert text["type"] == "input_text" and "in German" in text["text"] and "at most 125 characters" in text["text"]
    assert image["type"] == "input_image" and image["image_url"].startswith("data:image/png;base64,")
    # The mainline model's tokens, at its own prices.
    usage = description.usage
    assert usage.mainline_model == "gpt-5.6-luna" and usage.mainline_input_tokens > 85
    assert pricing.mainline_cost(usage) > Decimal(0)


def test_with_a_file_cache_the_image_is_uploaded_once_and_sent_by_file_id(api, served):
    files = MemoryFiles()
    with OpenAIImageProvider(config(base_url=served.base_url, api_key=KEY)) as provider:
        provider.files = files
        provider.describe(ask())
        provider.describe(ask("fr", "French"))
    uploads = [request for request in api.requests if request.method == "POST" and request.path == "/v1/files"]
    calls = [request for request in api.requests if request.path == "/v1/responses"]
    assert len(uploads) == 1 and len(calls) == 2
    assert {call.json["input"][0]["content"][1]["file_id"] for call in calls} == set(files.ids.values())


def test_a_file_gone_since_is_uploaded_again(api, served):
    files = MemoryFiles()
    with OpenAIImageProvider(config(base_url=served.base_url, api_key=KEY)) as provider:
        provider.files = files
        provider.describe(ask())
        api.expire_files()
        description = provider.describe(ask("en", "English"))
    assert description.text.startswith("A picture mostly in red")
    assert len([r for r in api.requests if r.method == "POST" and r.path == "/v1/files"]) == 2


def test_a_long_answer_is_cut_at_a_word_within_the_limit(api, served):
    with OpenAIImageProvider(config(base_url=served.base_url, api_key=KEY)) as provider:
        description = provider.describe(ask("en", "English", max_length=30))
    assert len(description.text) <= 30 and description.text == "A picture mostly in red, with"


def test_shortened_keeps_whole_words_and_one_line():
    assert shortened('  "A red\n chair by a window"  ', 14) == "A red chair by"
    assert shortened("Supercalifragilistic", 5) == "Super"


def test_the_demo_describes_offline_in_the_target_language():
    with DemoImageProvider(config(class_path="wagtail_imagegen.providers.demo.DemoImageProvider")) as demo:
        german = demo.describe(ask())
        english = demo.describe(ask("en", "English"))
    assert "rot" in german.text.lower() and german.text != english.text and "red" in english.text
    assert german.usage.total_tokens == 0


def test_a_provider_without_vision_says_so():
    gemini = GeminiImageProvider(config(class_path="wagtail_imagegen.providers.gemini.GeminiImageProvider"))
    assert not gemini.describes
    with pytest.raises(Unsupported):
        gemini.describe(ask())
