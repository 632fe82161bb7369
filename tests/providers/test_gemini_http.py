"""The Gemini provider over real HTTP on 127.0.0.1, against wagtail_imagegen.testing's fake (its Gemini route)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from PIL import Image

from wagtail_imagegen.providers.base import (
    AuthenticationFailed,
    BadResponse,
    ContentRejected,
    ImageRequest,
    InputImage,
    InvalidRequest,
    ModelNotFound,
    ProviderUnavailable,
    RateLimited,
    Turn,
    Unsupported,
)
from wagtail_imagegen.providers.gemini import GeminiImageProvider
from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api
from wagtail_imagegen.testing.gemini import REFUSAL_TEXT

from .helpers import config, image_bytes

KEY = "g-test-secret-key-0123456789"
MODEL = "gemini-nano-banana-2.1"
PRO = "gemini-3-pro-image"


@contextmanager
def gemini_for(api: FakeImageAPI, **overrides) -> Iterator[GeminiImageProvider]:
    with serve_fake_api(api) as served, GeminiImageProvider(config(**{
        "class_path": "wagtail_imagegen.providers.gemini.GeminiImageProvider", "model": MODEL,
        "base_url": f"{served.url}/v1beta", "api_key": api.api_key, **overrides,
    })) as provider:
        yield provider


@pytest.fixture
def gemini_api() -> FakeImageAPI:
    return FakeImageAPI(api_key=KEY)


@pytest.fixture
def provider(gemini_api):
    with gemini_for(gemini_api) as provider:
        yield provider


def request(prompt: str = "A lighthouse at dusk", *, kind: str = "generate", **options) -> ImageRequest:
    images = options.pop("images", ())
    return ImageRequest.of(kind, prompt, images=images, model=options.pop("model", MODEL), **options)


def sent(api: FakeImageAPI) -> dict:
    return api.requests[-1].json


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.size


def test_a_size_in_pixels_is_sent_as_its_aspect_ratio_and_tier_with_the_key_in_its_header(provider, gemini_api):
    result = provider.run(request(size="1536x1024"))
    recorded = gemini_api.requests[-1]
    assert recorded.path == f"/v1beta/models/{MODEL}:generateContent"
    assert recorded.headers["x-goog-api-key"] == KEY and "authorization" not in recorded.headers
    assert sent(gemini_api)["generationConfig"] == {"responseModalities": ["IMAGE"],
                                                    "imageConfig": {"aspectRatio": "3:2", "imageSize": "2K"}}
    # Stored as the model made it: the exact bytes, at the model's own size (3:2 at 2K), never rescaled.
    assert [image.data for image in result.images] == recorded.output_images
    assert size_of(result.images[0].data) == (2528, 1696) and result.size == "2528x1696"
    assert result.usage.output_image_tokens > 0 and result.usage.input_text_tokens > 0


def test_auto_sends_no_image_config_and_gets_a_1k_square(provider, gemini_api):
    result = provider.run(request(size="auto"))
    assert "imageConfig" not in sent(gemini_api)["generationConfig"]
    assert size_of(result.images[0].data) == (1024, 1024)


def test_an_edit_sends_both_library_images_as_inline_data_in_order(provider, gemini_api):
    first, second = image_bytes(colour="red", size=(64, 48)), image_bytes("jpeg", colour="blue", size=(32, 32))
    images = (InputImage(first, "a.png"), InputImage(second, "b.jpg", "image/jpeg"))
    provider.run(request("Put the lamp beside the chair", kind="edit", images=images, size="1024x1024"))
    parts = sent(gemini_api)["contents"][0]["parts"]
    assert parts[0] == {"text": "Put the lamp beside the chair"}
    assert [(part["inlineData"]["mimeType"], base64.b64decode(part["inlineData"]["data"])) for part in parts[1:]] == [
        ("image/png", first), ("image/jpeg", second)]


def test_n_candidates_are_n_calls(provider, gemini_api):
    result = provider.run(request(n=3, size="1024x1024"))
    assert len(gemini_api.requests) == 3 and len(result.images) == 3
    assert result.usage.output_image_tokens == 3 * provider.run(request(size="1024x1024")).usage.output_image_tokens


class FaultOnCall(httpx.HTTPTransport):
    """Real HTTP, but the fake is told to fail the `number`-th call just before it is sent."""

    def __init__(self, api: FakeImageAPI, number: int, fault: str) -> None:
        super().__init__()
        self.api, self.number, self.fault, self.calls = api, number, fault, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == self.number:
            self.api.inject(self.fault)
        return super().handle_request(request)


def test_when_a_later_call_fails_the_images_made_are_kept_and_the_failure_recorded(gemini_api):
    with serve_fake_api(gemini_api) as served, GeminiImageProvider(
        config(class_path="wagtail_imagegen.providers.gemini.GeminiImageProvider", model=MODEL,
               base_url=f"{served.url}/v1beta", api_key=KEY),
        transport=FaultOnCall(gemini_api, 2, "unavailable"),
    ) as provider:
        result = provider.run(request(n=3))
    # Raising would have the job retried and the first image made and billed again.
    assert len(gemini_api.requests) == 2 and len(result.images) == 1
    assert result.images[0].data == gemini_api.requests[0].output_images[0]
    assert result.metadata["missing"]["images"] == 2
    assert result.metadata["missing"]["error"]["code"] == "provider_unavailable"


def test_when_the_first_call_fails_the_error_is_raised(provider, gemini_api):
    gemini_api.inject("unavailable")
    with pytest.raises(ProviderUnavailable):
        provider.run(request(n=3))
    assert len(gemini_api.requests) == 1


def test_a_refinement_continues_the_conversation_with_the_model_s_thought_signatures(provider, gemini_api):
    first = provider.run(request("A red bicycle", size="1024x1024"))
    turn = first.metadata["turns"][0]["parts"]
    assert any("thoughtSignature" in part for part in turn if part.get("image"))
    history = (Turn("user", "A red bicycle"),
               Turn("model", images=(InputImage(first.images[0].data, "turn.png"),), parts=tuple(turn)))
    refined = ImageRequest(kind="edit", prompt="Make it blue", spec=request().spec,
                           images=(InputImage(first.images[0].data, "candidate.png"),), history=history)
    provider.run(refined)
    contents = sent(gemini_api)["contents"]
    assert [content["role"] for content in contents] == ["user", "model", "user"]
    assert contents[-1]["parts"] == [{"text": "Make it blue"}]  # the candidate travels in the model's turn
    image_part = next(part for part in contents[1]["parts"] if "inlineData" in part)
    assert base64.b64decode(image_part["inlineData"]["data"]) == first.images[0].data
    assert image_part["thoughtSignature"]


def test_a_model_turn_without_its_signature_is_what_the_real_api_refuses(provider, gemini_api):
    """The fake holds the provider to Gemini 3's rule: dropping the signature is a 400, not silently fine."""
    first = provider.run(request("A red bicycle"))
    unsigned = tuple({key: value for key, value in part.items() if key != "thoughtSignature"}
                     for part in first.metadata["turns"][0]["parts"])
    history = (Turn("user", "A red bicycle"),
               Turn("model", images=(InputImage(first.images[0].data, "turn.png"),), parts=unsigned))
    with pytest.raises(InvalidRequest, match="thought_signature"):
        provider.run(ImageRequest(kind="edit", prompt="Make it blue", spec=request().spec,
                                  images=(InputImage(first.images[0].data, "c.png"),), history=history))


# -- what the model cannot do is refused before any call -------------------------------------------------


@pytest.mark.parametrize(("options", "param"), [
    ({"size": "3000x1000"}, "size"),
    ({"size": "9000x9000"}, "size"),
    ({"background": "transparent"}, "background"),
    ({"quality": "high"}, "quality"),
    ({"output_format": "jpeg"}, "output_format"),
])
def test_what_the_model_cannot_do_is_refused_before_any_call(provider, gemini_api, options, param):
    with pytest.raises(InvalidRequest) as refused:
        provider.run(request(**options))
    assert refused.value.param == param and gemini_api.requests == []


def test_a_mask_is_refused_as_unsupported(provider, gemini_api):
    image = InputImage(image_bytes(), "a.png")
    with pytest.raises(Unsupported, match="mask"):
        provider.run(ImageRequest(kind="edit", prompt="x", spec=request().spec, images=(image,), mask=image))
    assert gemini_api.requests == []


def test_pro_has_no_extreme_ratios(gemini_api):
    with gemini_for(gemini_api, model=PRO) as provider, pytest.raises(InvalidRequest, match="21:9"):
        provider.run(request(model=PRO, size="4000x1000"))


# -- failures, in our hierarchy -------------------------------------------------------------------------


@pytest.mark.parametrize(("finish", "stage"), [("IMAGE_SAFETY", "output"), ("PROHIBITED_CONTENT", "input")])
def test_a_safety_block_is_a_content_refusal_in_one_call(provider, gemini_api, finish, stage):
    gemini_api.inject("gemini_safety", finish_reason=finish)
    with pytest.raises(ContentRejected) as refused:
        provider.run(request(n=2))
    assert refused.value.categories == (finish,) and refused.value.stage == stage
    assert not refused.value.retryable and len(gemini_api.requests) == 1


def test_a_blocked_prompt_is_a_content_refusal(provider, gemini_api):
    gemini_api.inject("gemini_prompt_blocked", block_reason="PROHIBITED_CONTENT")
    with pytest.raises(ContentRejected) as refused:
        provider.run(request())
    assert refused.value.categories == ("PROHIBITED_CONTENT",) and refused.value.stage == "input"


def test_text_without_an_image_fails_with_the_model_s_words(provider, gemini_api):
    gemini_api.inject("gemini_text_only")
    with pytest.raises(BadResponse) as failed:
        provider.run(request())
    assert not failed.value.retryable and len(gemini_api.requests) == 1
    # The model's own words, for the editor to rephrase by (the fake's text, not ours).
    said = REFUSAL_TEXT.format(prompt="A lighthouse at dusk")
    assert failed.value.message == f"The model answered without an image: “{said}”"


def test_an_image_in_a_data_url_inside_text_is_accepted(provider, gemini_api):
    gemini_api.inject("gemini_data_url_text")
    result = provider.run(request())
    assert result.images[0].data == gemini_api.requests[-1].output_images[0]


def test_a_429_is_retryable_after_its_retry_info_delay(provider, gemini_api):
    gemini_api.inject("rate_limit", retry_after=7)
    with pytest.raises(RateLimited) as limited:
        provider.run(request())
    assert limited.value.retry_after == 7 and limited.value.retryable


@pytest.mark.parametrize("fault", ["server_error", "unavailable"])
def test_server_errors_are_retryable(provider, gemini_api, fault):
    gemini_api.inject(fault)
    with pytest.raises(ProviderUnavailable) as failed:
        provider.run(request())
    assert failed.value.retryable


def test_a_wrong_key_and_no_key_are_authentication_failures_without_the_key_in_any_text(gemini_api):
    with gemini_for(gemini_api, api_key="g-wrong-secret-key") as provider, pytest.raises(AuthenticationFailed) as e:
        provider.run(request())
    assert "g-wrong-secret-key" not in f"{e.value.message} {e.value.detail}"
    with gemini_for(gemini_api, api_key=None) as provider, pytest.raises(AuthenticationFailed) as missing:
        provider.run(request())
    assert missing.value.status == 403  # Google's "unregistered callers": a key problem, not a permission one


def test_a_retired_model_is_not_found_and_names_its_successor(gemini_api):
    with gemini_for(gemini_api, model="gemini-3.1-flash-image") as provider, pytest.raises(ModelNotFound) as gone:
        provider.run(request(model="gemini-3.1-flash-image"))
    assert gone.value.successor == MODEL and MODEL in gone.value.message and not gone.value.retryable


def test_google_style_keys_are_redacted_wherever_they_appear():
    from wagtail_imagegen.providers.base import redact

    leaked = "API key not valid: AIzaSyD-EXAMPLEexample0123456789abcd was refused"
    assert "AIza" not in redact(leaked) and "[redacted]" in redact(leaked)
