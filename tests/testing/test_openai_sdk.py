"""The official openai SDK against the served fake: requests it builds are accepted, answers parse into its models."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date

import openai
import pytest
from openai.types import (
    ImageEditCompletedEvent,
    ImageEditPartialImageEvent,
    ImageGenCompletedEvent,
    ImageGenPartialImageEvent,
    ImagesResponse,
    Model,
)

from wagtail_imagegen.testing import ServedFakeAPI

from .conftest import KEY
from .helpers import MODEL, mask_bytes, opened, picture


@pytest.fixture
def client(served_fake_api) -> Iterator[openai.OpenAI]:
    with sdk_for(served_fake_api) as sdk:
        yield sdk


def test_generate_parses_into_the_sdks_images_response(client, fake_api):
    result = client.images.generate(model=MODEL, prompt="A teapot", size="1536x1024", quality="low", n=2,
                                    complexity="low")
    assert isinstance(result, ImagesResponse)
    assert (result.size, result.quality, result.background, result.output_format) == ("1536x1024", "low", "opaque",
                                                                                       "png")
    images = [base64.b64decode(item.b64_json) for item in result.data]
    assert images == fake_api.requests[-1].output_images
    assert opened(images[0]).size == (1536, 1024)
    assert result.usage.output_tokens == result.usage.output_tokens_details.image_tokens == 2 * 601
    assert result.usage.input_tokens_details.text_tokens == 2


def test_edit_with_several_images_and_a_mask_is_sent_as_image_array_parts(client, fake_api):
    sources = [picture(), picture(prompt="b"), picture(512, 512, "webp", prompt="c")]
    files = [(f"in{i}.png", data, "image/png") for i, data in enumerate(sources)]
    result = client.images.edit(model="gpt-image-2.6-sunburst", image=files, mask=("mask.png", mask_bytes(1024, 1024)),
                                prompt="Put them in a gift basket", size="auto", quality="xhigh")
    request = fake_api.requests[-1]
    assert [part.data for part in request.files["image[]"]] == sources
    assert request.files["mask"][0].data == mask_bytes(1024, 1024)
    assert isinstance(result, ImagesResponse) and result.size == "1024x1024"
    assert result.usage.input_tokens_details.image_tokens == 4 * (765 + 765 + 255)  # high fidelity, automatically


def test_input_fidelity_is_refused_on_2x_and_taken_by_a_gateway_serving_gpt_image_1_5(client, serve):
    image = ("in.png", picture(), "image/png")
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(model=MODEL, image=image, prompt="x", input_fidelity="high")
    assert (raised.value.param, raised.value.code) == ("input_fidelity", "unsupported_parameter")
    served, _ = serve(serve_retired=True)
    with sdk_for(served) as gateway:
        result = gateway.images.edit(model="gpt-image-1.5", image=image, prompt="x", input_fidelity="high")
    assert result.usage.input_tokens_details.image_tokens == 4 * 765


def test_gif_and_svg_outputs_arrive_as_base64_files(client):
    gif = client.images.generate(model=MODEL, prompt="A spinning top", output_format="gif", frame_count=4,
                                 frame_duration_ms=120, quality="low")
    animation = opened(base64.b64decode(gif.data[0].b64_json))
    assert (animation.format, animation.n_frames, animation.info["duration"]) == ("GIF", 4, 120)
    svg = client.images.generate(model="gpt-image-2.6-sunburst", prompt="A <logo> & mark", output_format="svg",
                                 size="1536x1024", svg={"model": "gpt-5.6-terra"})
    markup = base64.b64decode(svg.data[0].b64_json).decode()
    assert markup.startswith("<svg") and 'viewBox="0 0 1536 1024"' in markup
    assert "<title>A &lt;logo&gt; &amp; mark</title>" in markup and svg.output_format == "svg"


def test_streamed_generate_yields_partial_then_completed_events(client):
    stream = client.images.generate(model=MODEL, prompt="A teapot", stream=True, partial_images=2)
    events = list(stream)
    assert [type(event) for event in events] == [ImageGenPartialImageEvent] * 2 + [ImageGenCompletedEvent]
    assert [event.partial_image_index for event in events[:2]] == [0, 1]
    assert events[-1].usage.total_tokens > 0 and events[-1].size == "auto"
    assert opened(base64.b64decode(events[-1].b64_json)).format == "PNG"


def test_streamed_edit_yields_image_edit_events(client):
    stream = client.images.edit(model=MODEL, image=("in.png", picture(), "image/png"), prompt="teal",
                                stream=True, partial_images=2, output_format="jpeg")
    events = list(stream)
    assert [type(event) for event in events] == [ImageEditPartialImageEvent] * 2 + [ImageEditCompletedEvent]
    assert opened(base64.b64decode(events[-1].b64_json)).format == "JPEG"


def sdk_for(served: ServedFakeAPI, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=served.base_url, max_retries=0, timeout=30)


def test_a_stream_without_the_done_sentinel_still_ends(serve):
    served, _ = serve(done_sentinel=False)
    with sdk_for(served) as sdk:
        events = list(sdk.images.generate(model="gpt-image-2", prompt="x", stream=True))
    assert [type(event) for event in events] == [ImageGenCompletedEvent]


def test_url_output_parses_into_image_urls(client, fake_api):
    fake_api.inject("url_output")
    result = client.images.generate(model=MODEL, prompt="x")
    assert result.data[0].b64_json is None and "/files/" in result.data[0].url


def test_extra_usage_keys_do_not_break_the_sdks_models(client, fake_api):
    fake_api.inject("extra_usage_keys")
    assert client.images.generate(model=MODEL, prompt="x").usage.total_tokens > 0


def test_the_model_list_parses_into_the_sdks_models(client):
    models = list(client.models.list())
    assert all(isinstance(model, Model) for model in models)
    assert {"gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2-2026-04-21"} <= {m.id for m in models}
    assert client.models.retrieve("gpt-image-2.5-flare").owned_by == "system"


def test_a_retired_model_raises_not_found_and_a_gateway_lists_its_shutdown_date(serve):
    served, _ = serve(today=date(2026, 12, 2))
    with sdk_for(served) as sdk:
        with pytest.raises(openai.NotFoundError) as raised:
            sdk.images.generate(model="gpt-image-1.5", prompt="x")
        assert raised.value.code == "model_not_found"
        with pytest.raises(openai.NotFoundError):
            sdk.models.retrieve("gpt-image-1-mini")
    served, _ = serve(today=date(2026, 12, 2), serve_retired=True)
    with sdk_for(served) as gateway:
        assert gateway.models.retrieve("gpt-image-1-mini").shutdown_date == "2026-12-01"
        assert gateway.images.generate(model="gpt-image-1.5", prompt="x", quality="low").usage.output_tokens == 272


def test_the_azure_client_reaches_the_deployment_route_with_its_api_key_header(served_fake_api, fake_api):
    azure = openai.AzureOpenAI(api_key=KEY, azure_endpoint=served_fake_api.url, api_version="2025-04-01-preview",
                               max_retries=0, timeout=30)
    with azure:
        result = azure.images.generate(model="gpt-image-1", prompt="A harbour", output_format="jpeg")
    request = fake_api.requests[-1]
    assert request.path == "/openai/deployments/gpt-image-1/images/generations"
    assert request.headers["api-key"] == KEY and request.query["api-version"] == "2025-04-01-preview"
    assert opened(base64.b64decode(result.data[0].b64_json)).format == "JPEG"


# ---------------------------------------------------------------------------------------------------
# Errors map onto the SDK's exception classes
# ---------------------------------------------------------------------------------------------------


def test_rate_limit_raises_rate_limit_error_with_retry_headers(client, fake_api):
    fake_api.inject("rate_limit", retry_after=4)
    with pytest.raises(openai.RateLimitError) as raised:
        client.images.generate(model=MODEL, prompt="x")
    assert raised.value.code == "rate_limit_exceeded"
    assert raised.value.response.headers["retry-after"] == "4"


def test_a_bad_size_raises_bad_request_error_naming_the_size(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model=MODEL, prompt="x", size="1254x836")
    assert (raised.value.param, raised.value.code) == ("size", "invalid_value")


def test_moderation_blocked_raises_bad_request_error_with_the_details(client, fake_api):
    fake_api.inject("moderation_blocked", categories=["violence"])
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(model=MODEL, image=("in.png", picture(), "image/png"), prompt="x")
    assert raised.value.code == "moderation_blocked"
    assert raised.value.body["moderation_details"] == {"moderation_stage": "input", "categories": ["violence"]}


def test_a_wrong_key_raises_authentication_error_without_the_key(served_fake_api):
    with sdk_for(served_fake_api, "sk-wrong-secret-123456") as sdk, pytest.raises(openai.AuthenticationError) as raised:
        sdk.images.generate(model=MODEL, prompt="x")
    assert raised.value.code == "invalid_api_key" and "secret-123456" not in str(raised.value)


@pytest.mark.parametrize(("fault", "error"), [("server_error", openai.InternalServerError),
                                              ("unavailable", openai.InternalServerError),
                                              ("drop_connection", openai.APIConnectionError),
                                              ("insufficient_quota", openai.RateLimitError)])
def test_other_faults_raise_the_sdks_matching_errors(client, fake_api, fault, error):
    fake_api.inject(fault)
    with pytest.raises(error):
        client.images.generate(model=MODEL, prompt="x")
