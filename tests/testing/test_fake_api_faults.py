"""Fault injection on the fake image API: every fault, by inject() and by a [fake:...] prompt token."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from PIL import UnidentifiedImageError

from wagtail_imagegen.testing import FAULTS, FakeImageAPI

from .conftest import KEY
from .helpers import MODEL, decode, error_of, generate, opened


def check_rate_limit(response: httpx.Response) -> None:
    error = error_of(response)
    assert (error["code"], error["type"]) == ("rate_limit_exceeded", "requests")
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("3", "2500")
    assert "x-ratelimit-remaining-requests" in response.headers


def check_insufficient_quota(response: httpx.Response) -> None:
    assert (error_of(response)["code"], error_of(response)["type"]) == ("insufficient_quota", "insufficient_quota")
    assert "retry-after" not in response.headers


def check_server_error(response: httpx.Response) -> None:
    assert error_of(response)["type"] == "server_error"


def check_cloudflare_timeout(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert "524: A timeout occurred" in response.text


def check_comet_invalid_request(response: httpx.Response) -> None:
    error = error_of(response)
    assert (error["type"], error["param"], error["code"]) == ("comet_api_error", "", "invalid_request")
    assert f"(request id: {response.headers['x-request-id']})" in error["message"]


def check_moderation_blocked(response: httpx.Response) -> None:
    error = error_of(response)
    assert (error["type"], error["code"], error["param"]) == ("image_generation_user_error", "moderation_blocked", None)
    assert error["message"].startswith("Your request was rejected by the safety system.")
    assert error["message"].endswith("safety_violations=[violence].")
    assert error["moderation_details"] == {"moderation_stage": "output", "categories": ["violence"]}


def check_malformed_json(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def check_truncated_base64(response: httpx.Response) -> None:
    data = decode(response.json()["data"][0])  # valid base64 ...
    assert data.startswith(b"\x89PNG")
    with pytest.raises((OSError, SyntaxError, UnidentifiedImageError)):  # ... of a cut-short image
        opened(data)


def check_wrong_magic(response: httpx.Response) -> None:
    assert response.json()["output_format"] == "png"
    assert decode(response.json()["data"][0]).startswith(b"\xff\xd8\xff")  # JPEG, not PNG


def check_html_redirect(response: httpx.Response) -> None:
    assert response.headers["location"].startswith("http://127.0.0.1:")
    assert response.headers["content-type"].startswith("text/html") and "<html>" in response.text


def check_extra_usage_keys(response: httpx.Response) -> None:
    usage = response.json()["usage"]
    assert usage["prompt_tokens"] == 0 and usage["completion_tokens"] == 0
    assert usage["prompt_tokens_details"] == {"cached_tokens_details": {}}
    assert "claude_cache_creation_5_m_tokens" in usage and "claude_cache_creation_1_h_tokens" in usage
    assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"] > 0
    assert usage["input_tokens_details"]["cached_tokens_details"] == {}


def check_url_output(response: httpx.Response) -> None:
    item = response.json()["data"][0]
    assert "b64_json" not in item
    image = httpx.get(item["url"], timeout=10)
    assert item["url"].startswith("http://127.0.0.1:") and "/files/" in item["url"]
    assert image.headers["content-type"] == "image/png"
    assert opened(image.content).format == "PNG"


# fault -> (options, status, check); hang and drop_connection send no answer and are tested below.
ANSWERED = {
    "rate_limit": ({"retry_after": 2.5}, 429, check_rate_limit),
    "insufficient_quota": ({}, 429, check_insufficient_quota),
    "server_error": ({}, 500, check_server_error),
    "unavailable": ({}, 503, check_server_error),
    "cloudflare_timeout": ({}, 524, check_cloudflare_timeout),
    "comet_invalid_request": ({}, 500, check_comet_invalid_request),
    "moderation_blocked": ({"categories": ["violence"], "stage": "output"}, 400, check_moderation_blocked),
    "malformed_json": ({}, 200, check_malformed_json),
    "truncated_base64": ({}, 200, check_truncated_base64),
    "wrong_magic": ({}, 200, check_wrong_magic),
    "html_redirect": ({}, 301, check_html_redirect),
    "extra_usage_keys": ({}, 200, check_extra_usage_keys),
    "url_output": ({}, 200, check_url_output),
}


def test_every_fault_is_tested():
    assert set(ANSWERED) | {"hang", "drop_connection"} == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(ANSWERED))
def test_an_injected_fault_answers_the_next_call_like_the_real_failure(http, fake_api, fault):
    options, status, check = ANSWERED[fault]
    fake_api.inject(fault, **options)
    response = generate(http)
    assert response.status_code == status
    check(response)
    assert (fake_api.requests[0].fault, fake_api.requests[0].status) == (fault, status)
    assert generate(http).status_code == 200  # the next call is healthy again
    assert fake_api.image_calls == 2


def test_spoiled_successes_record_the_bytes_actually_returned(http, fake_api):
    fake_api.inject("truncated_base64")
    returned = decode(generate(http).json()["data"][0])
    assert fake_api.requests[-1].output_images == [returned]


def test_a_fault_injected_several_times_hits_that_many_calls(http, fake_api):
    fake_api.inject("server_error", times=2)
    assert [generate(http).status_code for _ in range(3)] == [500, 500, 200]
    assert fake_api.image_calls == 3


@pytest.mark.parametrize("fault", ["server_error", "moderation_blocked", "url_output"])
def test_a_prompt_token_triggers_the_fault_on_every_call_with_that_prompt(http, fake_api, fault):
    prompt = f"A lighthouse [fake:{fault}]"
    expected = ANSWERED[fault][1]
    assert [generate(http, prompt=prompt).status_code for _ in range(2)] == [expected, expected]
    assert generate(http).status_code == 200
    assert [request.fault for request in fake_api.requests] == [fault, fault, None]


def test_a_fault_is_served_before_the_request_is_validated(http, fake_api):
    fake_api.inject("unavailable")
    assert generate(http, size="nonsense").status_code == 503


def test_an_injected_fault_waits_for_an_authenticated_call(http, fake_api):
    fake_api.inject("server_error")
    assert generate(http, headers={"Authorization": "Bearer sk-wrong-key"}).status_code == 401
    assert generate(http).status_code == 500


def test_unknown_faults_and_options_are_refused_at_once(fake_api):
    with pytest.raises(ValueError, match="unknown fault"):
        fake_api.inject("meteor_strike")
    with pytest.raises(TypeError, match="retry_afer"):
        fake_api.inject("rate_limit", retry_afer=3)


def test_a_streamed_call_can_carry_a_spoiling_fault(http, fake_api):
    fake_api.inject("wrong_magic")
    text = generate(http, stream=True).text
    completed = json.loads(text.split("data: ")[-2].split("\n")[0])
    assert base64.b64decode(completed["b64_json"]).startswith(b"\xff\xd8")


# ---------------------------------------------------------------------------------------------------
# No answer at all
# ---------------------------------------------------------------------------------------------------


def test_drop_connection_closes_the_connection_without_an_answer(http, fake_api):
    fake_api.inject("drop_connection")
    with pytest.raises(httpx.RemoteProtocolError):
        generate(http)
    assert (fake_api.requests[-1].fault, fake_api.requests[-1].status) == ("drop_connection", 0)
    assert generate(http).status_code == 200


def test_hang_keeps_the_client_waiting_until_it_gives_up(http, fake_api):
    fake_api.inject("hang")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/images/generations", json={"prompt": "x"}, timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 3
    assert fake_api.requests[-1].status == 0


def test_hang_with_seconds_gives_up_on_its_own_and_drops_the_connection(http, fake_api):
    fake_api.inject("hang", seconds=0.3)
    with pytest.raises(httpx.RemoteProtocolError):
        generate(http)


@pytest.mark.parametrize(("fault", "error"),
                         [("hang", httpx.ReadTimeout), ("drop_connection", httpx.RemoteProtocolError)])
def test_in_process_silent_faults_raise_what_httpx_raises_over_a_network(fault, error):
    api = FakeImageAPI()
    api.inject(fault)
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(transport=httpx.WSGITransport(app=api), base_url="http://fake", headers=headers) as client:
        with pytest.raises(error):
            generate(client)
        assert generate(client).status_code == 200


def test_a_fault_rate_fails_about_that_share_of_calls_at_random():
    import httpx

    from wagtail_imagegen.testing import FakeImageAPI

    api = FakeImageAPI(api_key=None, fault_rate=0.3, random_faults=("server_error", "unavailable"), seed=7)
    with httpx.Client(transport=httpx.WSGITransport(app=api), base_url="http://fake/v1",
                      headers={"Authorization": "Bearer sk-any"}) as client:
        statuses = [client.post("/images/generations", json={"model": MODEL, "prompt": "x",
                                                             "quality": "low"}).status_code for _ in range(200)]
    failed = sum(status in (500, 503) for status in statuses)
    assert 40 <= failed <= 80  # 30 % of 200, give or take the randomness of a fixed seed
    assert set(statuses) <= {200, 500, 503}
