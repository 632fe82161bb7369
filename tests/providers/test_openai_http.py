"""The OpenAI provider over real HTTP on 127.0.0.1, against wagtail_imagegen.testing's fake image API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from wagtail_imagegen.providers.base import (
    AuthenticationFailed,
    BadResponse,
    ConnectionLost,
    ContentRejected,
    GarbledResponse,
    InputImage,
    InvalidRequest,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from wagtail_imagegen.providers.openai import AzureOpenAIImageProvider, OpenAIImageProvider
from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

from .helpers import config, edit, generation, image_bytes


@contextmanager
def provider_for(api: FakeImageAPI, **overrides) -> Iterator[OpenAIImageProvider]:
    """A provider talking to `api` served on 127.0.0.1."""
    with serve_fake_api(api) as served, OpenAIImageProvider(
        config(**{"base_url": served.base_url, "api_key": api.api_key, **overrides})
    ) as provider:
        yield provider


@pytest.fixture
def provider(fake_api):
    with provider_for(fake_api) as provider:
        yield provider


def output_of(fake_api) -> list[bytes]:
    return fake_api.requests[-1].output_images


def test_generation_returns_the_bytes_the_fake_sent(provider, fake_api):
    result = provider.run(generation(size="1536x1024", quality="low", n=2, output_format="webp",
                                     output_compression=60))
    assert [image.data for image in result.images] == output_of(fake_api)
    assert fake_api.requests[-1].json["output_compression"] == 60
    assert (result.size, result.quality, result.output_format) == ("1536x1024", "low", "webp")
    assert result.usage.output_image_tokens > 0 and result.request_id.startswith("req_")


def test_multi_image_masked_edit_arrives_as_image_brackets_and_mask(provider, fake_api):
    request = edit(3, mask=InputImage(image_bytes(colour=(0, 0, 0, 0)), "mask.png"), input_fidelity="high")
    result = provider.run(request)
    recorded = fake_api.requests[-1]
    assert [part.data for part in recorded.files["image[]"]] == [image.data for image in request.images]
    assert recorded.files["mask"][0].data == request.mask.data
    assert "input_fidelity" not in recorded.form  # 2.x keeps the inputs' detail unasked; "high" is a no-op
    assert [image.data for image in result.images] == recorded.output_images


def test_single_image_edit_arrives_as_image(provider, fake_api):
    request = edit(1)
    provider.run(request)
    assert [part.data for part in fake_api.requests[-1].files["image"]] == [request.images[0].data]


@pytest.mark.parametrize("kind", ["generate", "edit"])
def test_streaming_delivers_partials_then_the_final_bytes(provider, fake_api, kind):
    partials = []
    request = edit(partial_images=2) if kind == "edit" else generation(partial_images=2)
    result = provider.run(request, on_partial=partials.append)
    assert [partial.index for partial in partials] == [0, 1]
    assert [image.data for image in result.images] == output_of(fake_api)
    assert result.usage is not None


def test_a_stream_without_done_sentinel_still_completes():
    api = FakeImageAPI(api_key="sk-fake-key", done_sentinel=False)
    with provider_for(api) as provider:
        result = provider.run(generation(partial_images=1), on_partial=lambda partial: None)
    assert [image.data for image in result.images] == api.requests[-1].output_images


@pytest.mark.parametrize(("fault", "options", "expected", "retryable"), [
    ("rate_limit", {"retry_after": 3.0}, RateLimited, True),
    ("insufficient_quota", {}, QuotaExceeded, False),
    ("server_error", {}, ProviderUnavailable, True),
    ("unavailable", {}, ProviderUnavailable, True),
    ("cloudflare_timeout", {}, ProviderUnavailable, True),
    ("comet_invalid_request", {}, InvalidRequest, False),
    ("moderation_blocked", {"categories": ["violence"], "stage": "output"}, ContentRejected, False),
    ("drop_connection", {}, ConnectionLost, True),
    ("malformed_json", {}, GarbledResponse, True),
    ("truncated_base64", {}, GarbledResponse, True),
    ("wrong_magic", {}, GarbledResponse, True),
    ("html_redirect", {}, BadResponse, False),
])
def test_every_fault_becomes_the_right_error(provider, fake_api, fault, options, expected, retryable):
    fake_api.inject(fault, **options)
    with pytest.raises(expected) as caught:
        provider.run(generation())
    assert type(caught.value) is expected and caught.value.retryable is retryable
    assert fake_api.api_key not in repr(caught.value.as_dict())


def test_rate_limit_fault_reports_its_retry_after(provider, fake_api):
    fake_api.inject("rate_limit", retry_after=3.0)
    with pytest.raises(RateLimited) as caught:
        provider.run(generation())
    assert caught.value.retry_after == pytest.approx(3.0)


def test_moderation_fault_reports_categories_and_stage(provider, fake_api):
    fake_api.inject("moderation_blocked", categories=["violence", "gore"], stage="output")
    with pytest.raises(ContentRejected) as caught:
        provider.run(generation())
    assert (caught.value.categories, caught.value.stage) == (("violence", "gore"), "output")


def test_comet_request_id_is_kept(provider, fake_api):
    fake_api.inject("comet_invalid_request")
    with pytest.raises(InvalidRequest) as caught:
        provider.run(generation())
    assert caught.value.request_id.startswith("req_")
    assert caught.value.request_id in caught.value.detail  # CometAPI quotes it in the message too


def test_html_redirect_tells_to_check_base_url(provider, fake_api):
    fake_api.inject("html_redirect")
    with pytest.raises(BadResponse) as caught:
        provider.run(generation())
    assert "BASE_URL" in caught.value.message
    assert len(fake_api.requests) == 1  # the redirect was not followed


def test_hang_is_a_timeout_within_the_configured_timeout(fake_api):
    fake_api.inject("hang")
    started = time.monotonic()
    with provider_for(fake_api, timeout=0.5) as provider, pytest.raises(ProviderTimeout):
        provider.run(generation())
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("fault", ["wrong_magic", "truncated_base64"])
def test_spoiled_stream_images_are_retryable_bad_responses(provider, fake_api, fault):
    fake_api.inject(fault)
    with pytest.raises(BadResponse) as caught:
        provider.run(generation(partial_images=1))
    assert caught.value.retryable


def test_extra_usage_keys_are_ignored(provider, fake_api):
    plain = provider.run(generation()).usage
    fake_api.inject("extra_usage_keys")
    decorated = provider.run(generation())
    assert decorated.usage == plain
    assert [image.data for image in decorated.images] == output_of(fake_api)


def test_url_output_is_downloaded_byte_identical(provider, fake_api):
    fake_api.inject("url_output")
    result = provider.run(generation(n=2))
    outputs = [request for request in fake_api.requests if request.method == "POST"][-1].output_images
    assert [image.data for image in result.images] == outputs
    assert [request.method for request in fake_api.requests] == ["POST", "GET", "GET"]


def test_a_wrong_key_is_an_authentication_failure_without_the_key(fake_api):
    wrong = "sk-wrong-key-abcdefghijklmnop"
    with provider_for(fake_api, api_key=wrong) as provider, pytest.raises(AuthenticationFailed) as caught:
        provider.run(generation())
    assert wrong not in repr(caught.value.as_dict()) and "sk-" not in caught.value.detail


def test_images_per_minute_limit_is_a_rate_limit_with_retry_after():
    with provider_for(FakeImageAPI(api_key="sk-fake-key", ipm=1)) as provider:
        provider.run(generation())
        with pytest.raises(RateLimited) as caught:
            provider.run(generation())
    assert caught.value.retry_after and caught.value.retry_after > 0


def test_azure_deployment_url_with_api_version(fake_api, served_fake_api):
    base = f"{served_fake_api.url}/openai/deployments/images-1"
    azure = config(base_url=base, api_key=fake_api.api_key, options={"API_VERSION": "2025-04-01-preview"})
    with AzureOpenAIImageProvider(azure) as provider:
        result = provider.run(edit(2))
    recorded = fake_api.requests[-1]
    assert recorded.path == "/openai/deployments/images-1/images/edits"
    assert recorded.query == {"api-version": "2025-04-01-preview"}
    assert [image.data for image in result.images] == recorded.output_images


def test_azure_v1_api(fake_api, served_fake_api):
    azure = config(base_url=f"{served_fake_api.url}/openai/v1", api_key=fake_api.api_key, model="my-images")
    with AzureOpenAIImageProvider(azure) as provider:
        result = provider.run(generation(model="my-images"))
    assert fake_api.requests[-1].path == "/openai/v1/images/generations"
    assert result.images[0].data == output_of(fake_api)[0]
