"""The OpenAI provider's Responses API mode over real HTTP on 127.0.0.1, against the fake's /v1/responses."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
import pytest

from wagtail_imagegen import catalog, pricing
from wagtail_imagegen.providers.base import (
    BadResponse,
    ContentRejected,
    ImageRequest,
    InputImage,
    Turn,
)
from wagtail_imagegen.providers.openai import AzureOpenAIImageProvider, OpenAIImageProvider
from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

from .helpers import config, image_bytes

KEY = "sk-responses-secret-key-0123456789"
MAINLINE = "gpt-5.6-luna"


@contextmanager
def responses_provider(api: FakeImageAPI, **options) -> Iterator[OpenAIImageProvider]:
    with serve_fake_api(api) as served, OpenAIImageProvider(config(
        base_url=served.base_url, api_key=KEY, options={"API": "responses", **options},
    )) as provider:
        yield provider


@pytest.fixture
def api() -> FakeImageAPI:
    return FakeImageAPI(api_key=KEY)


@pytest.fixture
def provider(api):
    with responses_provider(api) as provider:
        yield provider


def request(prompt: str = "A lighthouse at dusk", kind: str = "generate", **options) -> ImageRequest:
    images = options.pop("images", ())
    mask = options.pop("mask", None)
    history = options.pop("history", ())
    built = ImageRequest.of(kind, prompt, images=images, mask=mask,
                            **{"model": "gpt-image-2.6-flare", "size": "1024x1024", "quality": "low", **options})
    return ImageRequest(kind=built.kind, prompt=built.prompt, spec=built.spec, images=built.images, mask=built.mask,
                        history=history)


def follow_up(result, prompt: str = "Make it blue") -> ImageRequest:
    """A refinement of `result`'s image, as inputs.conversation() builds it from the job chain."""
    candidate = InputImage(result.images[0].data, "candidate.png")
    history = (Turn("user", "A lighthouse at dusk"),
               Turn("model", images=(candidate,), parts=tuple(result.metadata["turns"][0]["parts"])))
    return request(prompt, "edit", images=(candidate,), history=history)


def test_a_generation_calls_the_image_tool_through_the_mainline_model_and_stores_the_response(provider, api):
    result = provider.run(request())
    sent = api.requests[-1]
    assert sent.path == "/v1/responses"
    body = sent.json
    assert (body["model"], body["store"], body["tool_choice"]) == (MAINLINE, True, {"type": "image_generation"})
    assert body["tools"] == [{"type": "image_generation", "model": "gpt-image-2.6-flare", "size": "1024x1024",
                              "quality": "low", "background": "auto", "output_format": "png", "moderation": "auto",
                              "action": "generate"}]
    assert body["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "A lighthouse at dusk"}]}]
    assert [image.data for image in result.images] == sent.output_images
    part = result.metadata["turns"][0]["parts"][0]
    assert part["response_id"].startswith("resp_") and part["image_call_id"].startswith("ig_")
    # Two-part usage: the image tool's tokens at the image model's prices, the mainline model's at its own.
    usage = result.usage
    assert usage.output_image_tokens > 0 and usage.mainline_input_tokens > 0 and usage.mainline_model == MAINLINE
    image_only = pricing.cost_of(type(usage)(input_text_tokens=usage.input_text_tokens,
                                             output_image_tokens=usage.output_image_tokens),
                                 catalog.model_spec("gpt-image-2.6-flare"))
    mainline = (usage.mainline_input_tokens * Decimal(1) + usage.mainline_output_tokens * Decimal(6)) / 1_000_000
    assert pricing.cost_of(usage, catalog.model_spec("gpt-image-2.6-flare")) == (image_only + mainline).quantize(
        Decimal("0.000001"))


def test_an_edit_sends_the_images_in_order_and_the_mask_on_the_tool(provider, api):
    first, second = image_bytes(size=(64, 64), colour="red"), image_bytes(size=(32, 32), colour="blue")
    mask = image_bytes(size=(64, 64), colour=(0, 0, 0, 0))
    provider.run(request("Put the lamp beside the chair", "edit", images=(
        InputImage(first, "a.png"), InputImage(second, "b.png")), mask=InputImage(mask, "mask.png")))
    body = api.requests[-1].json
    parts = body["input"][0]["content"]
    assert [base64.b64decode(part["image_url"].split(",", 1)[1]) for part in parts[1:]] == [first, second]
    assert body["tools"][0]["action"] == "edit"
    assert base64.b64decode(body["tools"][0]["input_image_mask"]["image_url"].split(",", 1)[1]) == mask


def test_a_refinement_sends_only_the_instruction_and_the_previous_response_id(provider, api):
    first = provider.run(request())
    second = provider.run(follow_up(first))
    body = api.requests[-1].json
    assert body["previous_response_id"] == first.metadata["turns"][0]["parts"][0]["response_id"]
    assert body["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "Make it blue"}]}]
    assert body["tools"][0]["action"] == "edit" and "image_url" not in str(body)  # no image bytes travel again
    third = provider.run(follow_up(second, "Now at night"))
    assert api.requests[-1].json["previous_response_id"] == second.metadata["turns"][0]["parts"][0]["response_id"]
    assert third.images and "fallback" not in third.metadata


def test_when_the_previous_response_is_gone_the_candidate_is_edited_through_the_images_api(provider, api):
    first = provider.run(request())
    api.expire_responses()
    result = provider.run(follow_up(first))
    gone, fallback = api.requests[-2], api.requests[-1]
    assert gone.path == "/v1/responses" and gone.status == 400
    assert fallback.path == "/v1/images/edits" and fallback.files["image"][0].data == first.images[0].data
    assert result.metadata["fallback"] == "images/edits" and result.images[0].data == fallback.output_images[0]


def test_n_candidates_are_n_calls(provider, api):
    result = provider.run(request(n=2))
    assert len(result.images) == 2 and [r.path for r in api.requests] == ["/v1/responses"] * 2
    assert len(result.metadata["turns"]) == 2


def test_a_refused_image_inside_a_response_is_a_content_refusal(provider, api):
    api.inject("moderation_blocked", categories=["violence"], stage="output")
    with pytest.raises(ContentRejected) as refused:
        provider.run(request())
    assert refused.value.categories == ("violence",) and refused.value.stage == "output"
    assert not refused.value.retryable


def test_an_answer_in_words_fails_with_them(provider, api):
    api.inject("text_only")
    with pytest.raises(BadResponse) as failed:
        provider.run(request())
    assert failed.value.message.startswith("The model answered without an image: “") and not failed.value.retryable


def test_the_mainline_model_is_a_setting(api):
    with responses_provider(api, RESPONSES_MODEL="gpt-5.4-mini") as provider:
        provider.run(request())
    assert api.requests[-1].json["model"] == "gpt-5.4-mini"


def test_the_mode_makes_one_image_a_call(provider):
    assert not provider.model_spec("gpt-image-2.6-flare").accepts_n


def test_previews_stream_from_the_partial_image_events_and_the_final_item_replaces_them(provider, api):
    partials = []
    result = provider.run(request(partial_images=2), on_partial=partials.append)
    body = api.requests[-1].json
    assert body["stream"] is True and body["tools"][0]["partial_images"] == 2
    assert [partial.index for partial in partials] == [0, 1] and all(p.data[:4] == b"\x89PNG" for p in partials)
    assert [image.data for image in result.images] == api.requests[-1].output_images
    assert result.metadata["turns"][0]["parts"][0]["response_id"].startswith("resp_")


def test_a_stream_cut_before_its_end_is_unreadable_and_worth_a_retry_though_maybe_billed(provider, api):
    api.inject("truncated_stream")
    partials = []
    with pytest.raises(BadResponse) as failed:
        provider.run(request(partial_images=1), on_partial=partials.append)
    assert failed.value.retryable and failed.value.may_have_charged and len(partials) == 1


def test_azure_names_the_image_deployment_in_its_header(api):
    """Azure runs the tool on a deployment of its own: the job's model (the image deployment) goes in a
    header, RESPONSES_MODEL (the orchestrator's deployment) is the body's model; the fake refuses a tool
    call without the header (the next test)."""
    with serve_fake_api(api) as served, AzureOpenAIImageProvider(config(
        base_url=f"{served.base_url.removesuffix('/v1')}/openai/v1", api_key=KEY, options={"API": "responses"},
    )) as provider:
        result = provider.run(request())
    sent = api.requests[-1]
    assert sent.path == "/openai/v1/responses"
    assert sent.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-2.6-flare"
    assert sent.json["model"] == MAINLINE and result.images[0].data[:4] == b"\x89PNG"


def test_the_fake_azure_refuses_the_tool_without_an_image_deployment(api):
    with serve_fake_api(api) as served:
        url = f"{served.base_url.removesuffix('/v1')}/openai/v1/responses"
        answer = httpx.post(url, headers={"api-key": KEY}, json={
            "model": MAINLINE, "input": "a lighthouse", "tools": [{"type": "image_generation"}]})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "missing_image_generation_deployment"
