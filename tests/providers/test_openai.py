"""OpenAIImageProvider over httpx.MockTransport: request shapes, answers, streaming, Azure."""

from __future__ import annotations

import time

import httpx
import pytest

from wagtail_imagegen.providers.base import (
    BadResponse,
    ContentRejected,
    InputImage,
    InvalidRequest,
    PartialImage,
    ProviderTimeout,
    RateLimited,
    Unsupported,
)
from wagtail_imagegen.providers.openai import AzureOpenAIImageProvider, OpenAIImageProvider

from .helpers import API_KEY, edit, generation, image_bytes, images_body, parse_multipart, sse, stream_response

# -- generations --------------------------------------------------------------------------------------


def test_generation_posts_json_with_every_set_field_and_nothing_else(api):
    api.provider().run(generation(size="1536x1024", quality="high", background="opaque", n=2, user="editor-7"))
    assert api.last.method == "POST"
    assert api.last.url == "https://api.example.test/v1/images/generations"
    assert api.last.headers["content-type"] == "application/json"
    assert api.last_json() == {
        "model": "gpt-image-2.6-flare",
        "prompt": "a lighthouse at dusk",
        "n": 2,
        "size": "1536x1024",
        "quality": "high",
        "background": "opaque",
        "output_format": "png",
        "moderation": "auto",
        "user": "editor-7",
    }


def test_generation_never_sends_dalle_only_or_edit_only_fields(api):
    api.provider().run(generation(moderation="low"))
    sent = api.last_json()
    assert not {"response_format", "style", "input_fidelity", "stream", "partial_images"} & set(sent)
    assert sent["moderation"] == "low"


def test_input_fidelity_on_a_generation_is_refused_before_any_call(api):
    with pytest.raises(Unsupported) as caught:
        api.provider().run(generation(input_fidelity="high"))
    assert caught.value.param == "input_fidelity" and api.requests == []


@pytest.mark.parametrize(("model", "complexity", "sent"), [
    ("gpt-image-2.6-flare", "low", "low"), ("gpt-image-2.6-sunburst", None, None),
])
def test_complexity_is_sent_to_the_models_that_have_it(api, model, complexity, sent):
    api.provider().run(generation(model=model, complexity=complexity))
    assert api.last_json().get("complexity") == sent


def test_complexity_is_refused_before_any_call_where_the_model_has_none(api):
    with pytest.raises(Unsupported) as caught:
        api.provider().run(generation(model="gpt-image-2.5-flare", complexity="low"))
    assert caught.value.param == "complexity" and api.requests == []


@pytest.mark.parametrize(("output_format", "compression", "expected"), [
    ("png", None, None), ("jpeg", 80, 80), ("webp", 0, 0), ("jpeg", None, None),
])
def test_compression_is_sent_only_for_jpeg_and_webp_when_set(api, output_format, compression, expected):
    api.default_image = image_bytes(output_format)
    api.provider().run(generation(output_format=output_format, output_compression=compression))
    assert api.last_json().get("output_compression") == expected
    assert api.last_json()["output_format"] == output_format


def test_model_is_sent_even_when_it_is_the_configured_one(api):
    api.provider(model="gpt-image-1-mini").run(generation(model="gpt-image-1-mini"))
    assert api.last_json()["model"] == "gpt-image-1-mini"


def test_headers_carry_key_user_agent_organization_and_project(api):
    provider = api.provider(options={"ORGANIZATION": "org-123", "PROJECT": "proj_9"})
    provider.run(generation())
    headers = api.last.headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert "wagtail-imagegen" in headers["user-agent"]
    assert (headers["openai-organization"], headers["openai-project"]) == ("org-123", "proj_9")


def test_no_organization_header_unless_configured(api):
    api.provider().run(generation())
    assert "openai-organization" not in api.last.headers
    assert "openai-project" not in api.last.headers


# -- edits --------------------------------------------------------------------------------------------


def edit_parts(api):
    return parse_multipart(api.last.headers["content-type"], api.last.content)


def form_fields(api) -> dict[str, str]:
    return {part.name: part.text for part in edit_parts(api) if part.filename is None}


def test_single_image_edit_sends_the_part_image(api):
    request = edit(1)
    api.provider().run(request)
    assert api.last.url.path == "/v1/images/edits"
    files = [part for part in edit_parts(api) if part.filename]
    assert [(part.name, part.filename, part.data) for part in files] == [
        ("image", "source-0.png", request.images[0].data)
    ]
    assert files[0].content_type == "image/png"


def test_several_images_are_repeated_image_brackets_parts_in_order_then_the_mask(api):
    mask = InputImage(image_bytes(colour=(0, 0, 0, 0)), "mask.png")
    request = edit(3, mask=mask)
    api.provider().run(request)
    files = [(part.name, part.data) for part in edit_parts(api) if part.filename]
    assert files == [("image[]", image.data) for image in request.images] + [("mask", mask.data)]


def test_edit_form_fields_are_strings_without_moderation(api):
    api.default_image = image_bytes("webp")
    api.provider().run(edit(output_format="webp", output_compression=70, input_fidelity="high", moderation="low"))
    assert form_fields(api) == {
        "model": "gpt-image-2.6-flare", "prompt": "a lighthouse at dusk", "n": "1", "size": "auto",
        "quality": "auto", "background": "auto", "output_format": "webp", "output_compression": "70",
    }  # no input_fidelity: 2.6 keeps inputs at high fidelity by itself and takes no such parameter


# A gateway that still serves the 1.x models says so in the provider's MODELS (OpenAI shut them down).
STILL_SERVED = tuple({"NAME": name, "SHUTDOWN": None} for name in ("gpt-image-1.5", "gpt-image-1"))


@pytest.mark.parametrize(("model", "sent"), [
    ("gpt-image-1.5", True), ("gpt-image-1", True), ("gpt-image-2", False), ("gpt-image-2-2026-04-21", False),
    ("gpt-image-2.6-sunburst", False),
])
def test_input_fidelity_is_sent_only_to_models_that_take_it_as_a_parameter(api, model, sent):
    api.provider(model=model, models=STILL_SERVED).run(edit(model=model, input_fidelity="high"))
    assert ("input_fidelity" in form_fields(api)) is sent


def test_streamed_edit_sends_stream_as_the_string_true(api):
    api.reply(stream_response(sse(completed_event(kind="image_edit"))))
    api.provider().run(edit(partial_images=2))
    fields = form_fields(api)
    assert (fields["stream"], fields["partial_images"]) == ("true", "2")


@pytest.mark.parametrize("count", [0, 17])
def test_edit_with_no_or_too_many_images_is_refused_before_any_call(api, count):
    with pytest.raises(InvalidRequest) as caught:
        api.provider().run(edit(count))
    assert caught.value.param == "image"
    assert api.requests == []


@pytest.mark.parametrize(("fields", "param"), [
    ({"background": "transparent", "output_format": "jpeg"}, "background"),
    ({"quality": "xhigh", "model": "gpt-image-2"}, "quality"),
    ({"size": "512x512"}, "size"),
    ({"size": "4000x1000"}, "size"),
    ({"size": "1000x1000", "model": "gpt-image-2"}, "size"),
])
def test_what_the_model_cannot_do_is_refused_before_any_call(api, fields, param):
    with pytest.raises(InvalidRequest) as caught:
        api.provider().run(generation(**fields))
    assert caught.value.param == param and caught.value.message
    assert api.requests == []


def test_a_custom_size_reaches_gpt_image_2(api):
    api.provider().run(generation(model="gpt-image-2", size="1536x864"))
    assert api.last_json()["size"] == "1536x864"


# -- answers ------------------------------------------------------------------------------------------


def test_result_holds_the_exact_bytes_and_the_resolved_settings(api):
    first, second = image_bytes(colour="red"), image_bytes(colour="blue")
    body = images_body(first, second, size="1024x1536", quality="medium", background="opaque", output_format="png")
    api.reply(httpx.Response(200, json=body, headers={"x-request-id": "req_abc"}))
    result = api.provider().run(generation(n=2))
    assert [image.data for image in result.images] == [first, second]
    assert {image.mime_type for image in result.images} == {"image/png"}
    assert (result.size, result.quality, result.background, result.output_format) == (
        "1024x1536", "medium", "opaque", "png")
    assert (result.request_id, result.created) == ("req_abc", 1713833628)


def test_a_url_output_is_downloaded_with_the_key_only_from_the_api_host(api):
    on_cdn, on_api = image_bytes(colour="red"), image_bytes(colour="blue")
    body = {"created": 1, "data": [{"url": "https://cdn.example.test/a.png"},
                                    {"url": "https://api.example.test/v1/files/b.png"}]}
    api.reply(httpx.Response(200, json=body), httpx.Response(200, content=on_cdn),
              httpx.Response(200, content=on_api))
    result = api.provider().run(generation(n=2))
    assert [image.data for image in result.images] == [on_cdn, on_api]
    cdn, same_host = api.requests[1:]
    assert cdn.method == "GET" and "authorization" not in cdn.headers
    assert same_host.headers["authorization"] == f"Bearer {API_KEY}"


def test_a_failed_download_is_a_retryable_bad_response(api):
    body = {"created": 1, "data": [{"url": "https://cdn.example.test/gone.png"}]}
    api.reply(httpx.Response(200, json=body), httpx.Response(404, text="expired"))
    with pytest.raises(BadResponse) as caught:
        api.provider().run(generation())
    assert caught.value.retryable


def test_the_client_is_built_once_and_closed(api):
    provider = api.provider()
    provider.run(generation())
    provider.run(generation())
    client = provider.client
    assert client.timeout == httpx.Timeout(5.0, connect=10.0)
    assert client.follow_redirects is False
    provider.close()
    assert client.is_closed


def test_a_subclass_can_replace_the_client(api):
    class WithHook(OpenAIImageProvider):
        def build_client(self) -> httpx.Client:
            client = super().build_client()
            client.headers["X-Site"] = "intranet"
            return client

    with api.provider(WithHook) as provider:
        provider.run(generation())
    assert api.last.headers["x-site"] == "intranet"


# -- streaming ----------------------------------------------------------------------------------------


def partial_event(index: int, image: bytes, kind: str = "image_generation") -> dict:
    return {"type": f"{kind}.partial_image", "b64_json": images_body(image)["data"][0]["b64_json"],
            "partial_image_index": index, "created_at": 1, "size": "auto", "quality": "auto",
            "background": "auto", "output_format": "png"}


def completed_event(image: bytes | None = None, kind: str = "image_generation") -> dict:
    usage = {"total_tokens": 1300, "input_tokens": 20, "output_tokens": 1280,
             "input_tokens_details": {"text_tokens": 20, "image_tokens": 0}}
    encoded = images_body(image or image_bytes())["data"][0]["b64_json"]
    return {"type": f"{kind}.completed", "b64_json": encoded, "created_at": 7, "size": "1024x1024",
            "quality": "auto", "background": "opaque", "output_format": "png", "usage": usage}


@pytest.mark.parametrize("done", [True, False], ids=["with-DONE", "without-DONE"])
def test_stream_reports_partials_and_returns_the_completed_image(api, done):
    partials = [image_bytes(colour=colour) for colour in ("red", "green")]
    final = image_bytes(colour="navy")
    events = [partial_event(0, partials[0]), partial_event(1, partials[1]), completed_event(final)]
    api.reply(stream_response(sse(*events, *(["[DONE]"] if done else [])), **{"x-request-id": "req_s"}))
    seen: list[PartialImage] = []
    result = api.provider().run(generation(partial_images=2), on_partial=seen.append)
    assert api.last_json()["stream"] is True and api.last_json()["partial_images"] == 2
    assert [(p.index, p.data, p.mime_type) for p in seen] == [(0, partials[0], "image/png"),
                                                              (1, partials[1], "image/png")]
    assert [image.data for image in result.images] == [final]
    assert result.usage.output_image_tokens == 1280 and result.usage.input_text_tokens == 20
    assert (result.quality, result.size, result.request_id) == (None, "1024x1024", "req_s")


def test_stream_of_an_edit_uses_image_edit_events(api):
    final = image_bytes(colour="olive")
    api.reply(stream_response(sse(partial_event(0, image_bytes(), "image_edit"), completed_event(final, "image_edit"))))
    seen = []
    result = api.provider().run(edit(partial_images=1), on_partial=seen.append)
    assert len(seen) == 1 and result.images[0].data == final


def test_an_error_frame_in_a_stream_is_translated(api):
    error = {"error": {"message": "Rejected. safety_violations=[violence].", "type": "image_generation_user_error",
                       "param": None, "code": "moderation_blocked"}}
    api.reply(stream_response(sse(partial_event(0, image_bytes()), error)))
    with pytest.raises(ContentRejected) as caught:
        api.provider().run(generation(partial_images=1))
    assert caught.value.categories == ("violence",)


def test_a_rate_limit_frame_in_a_stream_is_retryable(api):
    error = {"error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    api.reply(stream_response(sse(error)))
    with pytest.raises(RateLimited):
        api.provider().run(generation(partial_images=1))


def test_a_stream_without_a_completed_event_is_a_retryable_bad_response(api):
    api.reply(stream_response(sse(partial_event(0, image_bytes()), "[DONE]")))
    with pytest.raises(BadResponse) as caught:
        api.provider().run(generation(partial_images=1))
    assert caught.value.retryable


def test_a_stream_that_outlasts_the_timeout_fails_although_every_chunk_is_quick(api):
    def trickle():
        for index in range(50):
            time.sleep(0.03)
            yield sse(partial_event(index % 3, image_bytes()))

    api.reply(stream_response(trickle()))
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        api.provider(timeout=0.3).run(generation(partial_images=3))
    assert time.monotonic() - started < 1.0


def test_a_json_answer_to_a_stream_request_is_accepted(api):
    result = api.provider().run(generation(partial_images=2), on_partial=pytest.fail)
    assert result.images[0].data == api.default_image


# -- Azure --------------------------------------------------------------------------------------------


def test_azure_deployment_urls_get_api_key_header_and_api_version(api):
    base = "https://res.openai.azure.com/openai/deployments/images-1"
    provider = api.provider(AzureOpenAIImageProvider, base_url=base, options={"API_VERSION": "2025-04-01-preview"})
    provider.run(generation())
    provider.run(edit())
    for request, path in zip(api.requests, ["generations", "edits"], strict=True):
        assert str(request.url) == f"{base}/images/{path}?api-version=2025-04-01-preview"
        assert request.headers["api-key"] == API_KEY
        assert "authorization" not in request.headers


def test_azure_v1_api_has_no_api_version_and_sends_the_deployment_as_model(api):
    provider = api.provider(AzureOpenAIImageProvider, base_url="https://res.openai.azure.com/openai/v1",
                            model="my-images")
    provider.run(generation(model="my-images"))
    assert str(api.last.url) == "https://res.openai.azure.com/openai/v1/images/generations"
    assert api.last_json()["model"] == "my-images"


def test_azure_has_no_webp_and_refuses_it_without_calling(api):
    provider = api.provider(AzureOpenAIImageProvider)
    assert provider.model_spec().formats == ("png", "jpeg")
    with pytest.raises(Unsupported) as caught:
        provider.run(generation(output_format="webp"))
    assert caught.value.param == "output_format"
    assert api.requests == []


def test_openai_still_offers_webp(api):
    assert "webp" in api.provider().model_spec().formats
