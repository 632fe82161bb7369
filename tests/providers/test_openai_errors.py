"""How every failure of the Images API reaches the rest of the app: the right class, a retry verdict, no key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from wagtail_imagegen.providers.base import (
    AccessDenied,
    AuthenticationFailed,
    BadResponse,
    ConnectionLost,
    ContentRejected,
    GarbledResponse,
    InvalidRequest,
    ModelNotFound,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    advised,
)
from wagtail_imagegen.providers.openai_errors import retry_after

from .helpers import API_KEY, generation, image_bytes, images_body


def envelope(code: str | None = None, message: str = "Something was wrong.", param: str | None = None,
             type_: str = "invalid_request_error", **extra: object) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code, **extra}}


def failure(api, response: httpx.Response | Exception, **request_fields):
    api.reply(response)
    with pytest.raises(Exception) as caught:
        api.provider().run(generation(**request_fields))
    return caught.value


@pytest.mark.parametrize(("status", "body", "expected", "retryable"), [
    (401, envelope("invalid_api_key"), AuthenticationFailed, False),
    (403, envelope(None, "Your organization must be verified"), AccessDenied, False),
    (404, envelope("model_not_found", "The model does not exist"), ModelNotFound, False),
    (429, envelope("billing_hard_limit_reached", "Billing hard limit has been reached"), QuotaExceeded, False),
    (422, envelope(None), InvalidRequest, False),
    (429, envelope("insufficient_quota", "You exceeded your current quota"), QuotaExceeded, False),
    (429, envelope("rate_limit_exceeded", type_="requests"), RateLimited, True),
    (408, envelope(None), ProviderUnavailable, True),
    (409, envelope(None), ProviderUnavailable, True),
    (500, envelope(None, type_="server_error"), ProviderUnavailable, True),
    (502, envelope(None), ProviderUnavailable, True),
    (503, envelope(None), ProviderUnavailable, True),
    (500, envelope("invalid_request", "bad image (request id: 2025abc)", type_="comet_api_error"),
     InvalidRequest, False),
])
def test_status_and_code_choose_the_error_class(api, status, body, expected, retryable):
    error = failure(api, httpx.Response(status, json=body, headers={"x-request-id": "req_42"}))
    assert type(error) is expected
    assert error.retryable is retryable
    assert (error.status, error.request_id) == (status, "req_42")
    assert error.detail == body["error"]["message"]


def test_a_cloudflare_524_page_is_retryable_although_it_is_html(api):
    page = httpx.Response(524, text="<html>A timeout occurred</html>", headers={"content-type": "text/html"})
    error = failure(api, page)
    assert isinstance(error, ProviderUnavailable) and error.retryable


def test_moderation_block_reports_categories_and_stage_from_the_details(api):
    body = envelope("moderation_blocked", "Your request was rejected by the safety system. safety_violations=[sexual].",
                    type_="image_generation_user_error",
                    moderation_details={"moderation_stage": "output", "categories": ["sexual", "violence"]})
    error = failure(api, httpx.Response(400, json=body))
    assert isinstance(error, ContentRejected) and not error.retryable
    assert (error.categories, error.stage) == (("sexual", "violence"), "output")
    assert "sexual" in error.message and "finished image" in error.message


def test_moderation_categories_are_parsed_from_the_message_without_details(api):
    body = envelope("moderation_blocked", "Rejected. safety_violations=[violence, self-harm].")
    error = failure(api, httpx.Response(400, json=body))
    assert (error.categories, error.stage) == (("violence", "self-harm"), None)


@pytest.mark.parametrize("code", ["content_policy_violation", "contentFilter"])
def test_legacy_and_azure_safety_codes_are_content_rejections(api, code):
    error = failure(api, httpx.Response(400, json=envelope(code, "Your task failed as a result of our safety system.")))
    assert isinstance(error, ContentRejected)


def test_azure_content_filter_inside_a_200_is_a_content_rejection(api):
    body = {"created": 1, "error": {"code": "contentFilter", "message": "Generated image was filtered."}}
    error = failure(api, httpx.Response(200, json=body))
    assert isinstance(error, ContentRejected)


def test_invalid_value_names_the_setting_and_the_refused_value(api):
    body = envelope("invalid_value", "Invalid value: '3008x1696'. Resolutions above 2560x1440 are unavailable.", "size")
    error = failure(api, httpx.Response(400, json=body), model="gpt-image-2", size="3008x1696")
    assert isinstance(error, InvalidRequest) and error.param == "size"
    assert "size" in error.message and "3008x1696" in error.message
    assert error.detail.startswith("Invalid value: '3008x1696'")


def test_unknown_parameter_names_the_parameter_without_quoting_a_value(api):
    body = envelope("unknown_parameter", "Unknown parameter: 'response_format'.", "response_format")
    error = failure(api, httpx.Response(400, json=body))
    assert error.param == "response_format"
    assert "response_format" in error.message


@pytest.mark.parametrize(("status", "header", "kind", "retryable"), [
    (503, "false", ProviderUnavailable, False), (400, "true", InvalidRequest, True),
    (429, "false", RateLimited, False), (503, "true", ProviderUnavailable, True), (400, "false", InvalidRequest, False),
])
def test_x_should_retry_picks_the_class_of_the_status_verdict_it_overrides(api, status, header, kind, retryable):
    error = failure(api, httpx.Response(status, json=envelope(None), headers={"x-should-retry": header}))
    assert isinstance(error, kind) and error.code == kind.code and error.retryable is retryable
    assert type(error) is advised(kind, retryable)


@pytest.mark.parametrize("response", [
    httpx.Response(301, headers={"location": "https://www.cometapi.com/v1/images/generations"}),
    httpx.Response(200, text="<!doctype html><title>Home</title>", headers={"content-type": "text/html"}),
    httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"}),
], ids=["redirect", "html-200", "html-404"])
def test_a_wrong_base_url_tells_the_administrator_to_check_it(api, response):
    error = failure(api, response)
    assert type(error) is BadResponse and not error.retryable and not error.may_have_charged
    assert "BASE_URL" in error.message


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"created": 1, "data": [{"b64_json": "iVBOR', "truncated JSON"),
    (b'{"created": 1}', "no data"),
    (b'{"created": 1, "data": []}', "empty data"),
    (b'{"created": 1, "data": [{"b64_json": "%%%not base64%%%"}]}', "bad base64"),
    (b'{"created": 1, "data": [{"revised_prompt": "x"}]}', "neither b64_json nor url"),
])
def test_a_garbled_success_is_a_retryable_bad_response(api, body, problem):
    error = failure(api, httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    assert type(error) is GarbledResponse and error.retryable and error.may_have_charged, problem
    assert error.code == "bad_response"


def test_bytes_that_are_not_the_requested_format_are_a_retryable_bad_response(api):
    error = failure(api, httpx.Response(200, json=images_body(image_bytes("jpeg"))), output_format="png")
    assert isinstance(error, BadResponse) and error.retryable
    assert "png" in error.detail


@pytest.mark.parametrize(("exception", "expected"), [
    (httpx.ReadTimeout("timed out"), ProviderTimeout),
    (httpx.ConnectTimeout("timed out"), ProviderTimeout),
    (httpx.ConnectError("connection refused"), ProviderUnavailable),
    (httpx.RemoteProtocolError("peer closed connection"), ConnectionLost),
])
def test_transport_failures_are_retryable_and_chained(api, exception, expected):
    error = failure(api, exception)
    assert type(error) is expected and error.retryable
    # Only a refused connection proves the request never reached the API.
    assert error.may_have_charged is not isinstance(exception, httpx.ConnectError)
    assert error.__cause__ is exception


def test_the_request_id_embedded_by_cometapi_is_kept(api):
    body = envelope("", "upstream error (request id: 20250101abcdef)", type_="comet_api_error")
    error = failure(api, httpx.Response(503, json=body))
    assert error.request_id == "20250101abcdef"


# -- retry-after --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after-ms": "1500"}, 1.5),
    ({"retry-after": "7"}, 7.0),
    ({"retry-after": "0"}, 0.0),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"retry-after": "86400"}, 600.0),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_reads_milliseconds_then_seconds_and_caps(headers, seconds):
    assert retry_after(httpx.Headers(headers)) == seconds


def test_retry_after_reads_an_http_date():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 27 <= retry_after(httpx.Headers({"retry-after": when})) <= 30


def test_retry_after_in_the_past_means_now():
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0


def test_rate_limited_error_carries_retry_after(api):
    error = failure(api, httpx.Response(429, json=envelope("rate_limit_exceeded"), headers={"retry-after-ms": "2000"}))
    assert error.retry_after == 2.0


# -- redaction ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 429, 500])
def test_the_key_never_appears_in_an_error(api, status):
    message = f"Incorrect API key provided: {API_KEY}. Also sk-abc***. See Bearer {API_KEY}."
    error = failure(api, httpx.Response(status, json=envelope("invalid_api_key", message, "user")), user=API_KEY)
    text = repr(error.as_dict()) + str(error)
    assert API_KEY not in text and "sk-" not in text
    assert "[redacted]" in error.detail


def test_the_key_never_appears_in_a_transport_error(api):
    error = failure(api, httpx.ConnectError(f"could not connect with {API_KEY}"))
    assert API_KEY not in error.detail


def test_a_model_the_api_does_not_serve_is_named_with_its_successor(api):
    body = envelope("model_not_found", "The model `gpt-image-1.5` does not exist or you do not have access to it.")
    api.reply(httpx.Response(404, json=body))
    with pytest.raises(ModelNotFound) as caught:  # a gateway that said it still served the model, and stopped
        api.provider(models=({"NAME": "gpt-image-1.5", "SHUTDOWN": None},)).run(generation(model="gpt-image-1.5"))
    assert caught.value.retryable is False
    assert "gpt-image-1.5" in caught.value.message and "gpt-image-2.6-sunburst" in caught.value.message
