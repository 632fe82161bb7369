"""The provider contract: one suite, run against every real provider over HTTP on 127.0.0.1 (the fake API
serves both OpenAI's Images API and Gemini's generateContent). What the rest of the app relies on holds
for each: exact bytes back, usage, and every failure as the same error type with the same verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from wagtail_imagegen.providers.base import (
    AuthenticationFailed,
    ContentRejected,
    ImageProvider,
    ImageRequest,
    InputImage,
    ModelNotFound,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from wagtail_imagegen.providers.gemini import GeminiImageProvider
from wagtail_imagegen.providers.openai import OpenAIImageProvider
from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

from .helpers import config, image_bytes

KEY = "sk-contract-secret-key-0123456789"


@dataclass(frozen=True)
class Flavour:
    cls: type[ImageProvider]
    model: str
    retired: str  # a model shut down before today, and its successor
    successor: str
    path: str  # the API path under the server's root
    refusal: str  # the fault that makes the service's safety system refuse

    def base_url(self, root: str) -> str:
        return f"{root}/{self.path}"


FLAVOURS = {
    "openai": Flavour(OpenAIImageProvider, "gpt-image-2.6-flare", "gpt-image-1.5", "gpt-image-2.6-sunburst", "v1",
                      "moderation_blocked"),
    "gemini": Flavour(GeminiImageProvider, "gemini-nano-banana-2.1", "gemini-3.1-flash-image",
                      "gemini-nano-banana-2.1", "v1beta", "gemini_safety"),
}


@pytest.fixture(params=sorted(FLAVOURS))
def flavour(request) -> Flavour:
    return FLAVOURS[request.param]


@pytest.fixture
def api() -> FakeImageAPI:
    return FakeImageAPI(api_key=KEY)


@pytest.fixture
def served(api) -> Iterator[str]:
    with serve_fake_api(api) as served:
        yield served.url


def provider_for(flavour: Flavour, root: str, **overrides) -> ImageProvider:
    return flavour.cls(config(**{"class_path": f"{flavour.cls.__module__}.{flavour.cls.__name__}",
                                 "model": flavour.model, "base_url": flavour.base_url(root), "api_key": KEY,
                                 **overrides}))


def request(flavour: Flavour, kind: str = "generate", **options) -> ImageRequest:
    images = (InputImage(image_bytes(size=(64, 64)), "a.png"),) if kind == "edit" else ()
    return ImageRequest.of(kind, "A lighthouse at dusk", images=images,
                           **{"model": flavour.model, "size": "1024x1024", **options})


@pytest.mark.parametrize("kind", ["generate", "edit"])
def test_the_images_are_the_exact_bytes_the_api_sent_with_usage(flavour, api, served, kind):
    with provider_for(flavour, served) as provider:
        result = provider.run(request(flavour, kind, n=2))
    returned = [image for exchange in api.requests for image in exchange.output_images]
    assert [image.data for image in result.images] == returned and len(returned) == 2
    assert all(image.mime_type == "image/png" for image in result.images)
    assert result.usage is not None and result.usage.output_image_tokens > 0


def test_a_wrong_key_fails_as_authentication_without_the_key_in_any_text(flavour, api, served):
    wrong = "sk-wrong-contract-key-9876543210"
    with provider_for(flavour, served, api_key=wrong) as provider, pytest.raises(AuthenticationFailed) as failed:
        provider.run(request(flavour))
    assert not failed.value.retryable
    assert wrong not in f"{failed.value.message} {failed.value.detail} {failed.value.as_dict()}"


def test_a_rate_limit_is_retryable_after_the_delay_the_api_asks(flavour, api, served):
    api.inject("rate_limit", retry_after=6)
    with provider_for(flavour, served) as provider, pytest.raises(RateLimited) as limited:
        provider.run(request(flavour))
    assert limited.value.retryable and limited.value.retry_after == 6


@pytest.mark.parametrize("fault", ["server_error", "unavailable"])
def test_server_trouble_is_retryable(flavour, api, served, fault):
    api.inject(fault)
    with provider_for(flavour, served) as provider, pytest.raises(ProviderUnavailable) as failed:
        provider.run(request(flavour))
    assert failed.value.retryable


def test_a_dead_connection_is_retryable_and_may_have_charged(flavour, api, served):
    api.inject("drop_connection")
    with provider_for(flavour, served) as provider, pytest.raises(ProviderUnavailable) as failed:
        provider.run(request(flavour))
    assert failed.value.retryable and failed.value.may_have_charged


def test_a_call_that_outlasts_the_timeout_is_a_timeout(flavour, api, served):
    api.inject("hang", seconds=5)
    with provider_for(flavour, served, timeout=0.5) as provider, pytest.raises(ProviderTimeout) as failed:
        provider.run(request(flavour))
    assert failed.value.retryable and failed.value.may_have_charged


def test_a_safety_refusal_is_content_rejected_and_not_retried(flavour, api, served):
    api.inject(flavour.refusal)
    with provider_for(flavour, served) as provider, pytest.raises(ContentRejected) as refused:
        provider.run(request(flavour))
    assert not refused.value.retryable and len(api.requests) == 1


def test_a_retired_model_fails_at_once_naming_its_successor(flavour, api, served):
    with provider_for(flavour, served, model=flavour.retired) as provider, pytest.raises(ModelNotFound) as gone:
        provider.run(request(flavour, model=flavour.retired))
    assert not gone.value.retryable and gone.value.successor == flavour.successor
    assert flavour.retired in gone.value.message and flavour.successor in gone.value.message
