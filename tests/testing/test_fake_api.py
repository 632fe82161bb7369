"""The fake image API over real HTTP on 127.0.0.1: generations, auth, routes, Azure paths, rate limits, records."""

from __future__ import annotations

import concurrent.futures
import re

import httpx
import pytest

from .conftest import KEY
from .helpers import GENERATE, MODEL, decode, error_of, generate, opened

# ---------------------------------------------------------------------------------------------------
# Generations
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "output_format", "pil_format"),
    [("1024x1024", "png", "PNG"), ("1536x1024", "jpeg", "JPEG"), ("1024x1536", "webp", "WEBP")],
)
def test_generation_returns_n_real_images_of_the_requested_size_and_format(http, fake_api, size, output_format,
                                                                           pil_format):
    response = generate(http, n=2, size=size, output_format=output_format, quality="low")
    assert response.status_code == 200
    body = response.json()
    images = [decode(item) for item in body["data"]]
    assert len(images) == 2 and images[0] != images[1]
    for data in images:
        image = opened(data)
        assert image.format == pil_format
        assert f"{image.width}x{image.height}" == size
        assert image.mode == "RGB"
    assert body["size"] == size and body["output_format"] == output_format and body["quality"] == "low"
    assert body["background"] == "opaque" and isinstance(body["created"], int)
    assert fake_api.requests[-1].output_images == images


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_transparent_background_gives_images_with_transparent_pixels(http, output_format):
    response = generate(http, background="transparent", output_format=output_format)
    body = response.json()
    image = opened(decode(body["data"][0]))
    assert image.mode == "RGBA"
    assert image.getchannel("A").getextrema()[0] == 0
    assert body["background"] == "transparent"


def test_auto_settings_resolve_to_medium_quality_square_size_and_opaque_background(http):
    body = generate(http, size="auto", quality="auto", background="auto").json()
    assert (body["size"], body["quality"], body["background"], body["output_format"]) == (
        "1024x1024", "medium", "opaque", "png")
    assert opened(decode(body["data"][0])).size == (1024, 1024)


# Output tokens an image: gpt-image-2's anchors read off OpenAI's calculator, 2.5's published 1024² counts,
# 2.6's factors (see testing/tokens.py for the sources).
USAGE_CASES = [
    ("gpt-image-2", 1, "1024x1024", "low", 196),
    ("gpt-image-2-2026-04-21", 1, "1024x1024", "high", 7024),
    ("gpt-image-2", 2, "1536x1024", "high", 5488),
    ("gpt-image-2.5-flare", 1, "1024x1024", "medium", 439),
    ("gpt-image-2.5-sunburst-2026-09-08", 1, "1024x1024", "xhigh", 3122),
    ("gpt-image-2.5-sunburst", 1, "1024x1024", "max", 7024),
    (MODEL, 3, "1536x1024", "low", 601),
    ("gpt-image-2.6-sunburst", 1, "1024x1024", "medium", 1756),
]


@pytest.mark.parametrize(("model", "n", "size", "quality", "per_image"), USAGE_CASES)
def test_generation_usage_follows_each_models_token_counts(http, model, n, size, quality, per_image):
    prompt = "A blue heron standing in reeds, morning fog"  # 43 characters: 11 tokens
    usage = generate(http, model=model, prompt=prompt, n=n, size=size, quality=quality).json()["usage"]
    output_tokens = n * per_image
    text_tokens = 11
    assert usage == {
        "total_tokens": text_tokens + output_tokens,
        "input_tokens": text_tokens,
        "output_tokens": output_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
        "output_tokens_details": {"image_tokens": output_tokens, "text_tokens": 0},
    }


def test_the_same_prompt_always_draws_the_same_bytes(http):
    first, second = (decode(generate(http).json()["data"][0]) for _ in range(2))
    other = decode(generate(http, prompt="Something else entirely").json()["data"][0])
    assert first == second != other


def test_lower_jpeg_compression_gives_smaller_files(http):
    sizes = [len(decode(generate(http, output_format="jpeg", output_compression=c).json()["data"][0]))
             for c in (10, 100)]
    assert sizes[0] < sizes[1] / 2


def test_gpt_image_2_draws_custom_sizes(http):
    body = generate(http, model="gpt-image-2", size="1536x864").json()
    assert body["size"] == "1536x864"
    assert opened(decode(body["data"][0])).size == (1536, 864)


def test_answers_carry_a_request_id_processing_time_and_rate_limit_headers(http):
    headers = generate(http).headers
    assert re.fullmatch(r"req_[0-9a-f]{32}", headers["x-request-id"])
    assert int(headers["openai-processing-ms"]) >= 0
    for name in ("limit-requests", "remaining-requests", "reset-requests", "limit-tokens", "remaining-tokens"):
        assert headers[f"x-ratelimit-{name}"]


def test_latency_delays_every_answer(fake_api, http):
    fake_api.latency = 0.3
    response = generate(http)
    assert response.elapsed.total_seconds() >= 0.3
    assert int(response.headers["openai-processing-ms"]) >= 300


# ---------------------------------------------------------------------------------------------------
# Auth and routes
# ---------------------------------------------------------------------------------------------------


def test_a_wrong_key_gets_401_with_the_key_masked(http):
    secret = "sk-wrong-0123456789abcdef"
    response = http.post(GENERATE, json={"prompt": "x"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert error["message"].startswith("Incorrect API key provided: sk-wro***.")
    assert secret not in response.text and "0123456789" not in response.text


def test_a_missing_key_gets_401(served_fake_api):
    response = httpx.post(served_fake_api.base_url + "/images/generations", json={"prompt": "x"})
    assert response.status_code == 401
    assert "didn't provide an API key" in error_of(response)["message"]


def test_an_api_key_of_none_accepts_any_key(serve):
    _, http = serve(api_key=None)
    assert generate(http, headers={"Authorization": "Bearer sk-any"}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/chat/completions"), ("GET", GENERATE),
                                              ("POST", "/images/generations"), ("GET", "/files/nothing.png")])
def test_other_routes_get_404_in_the_error_envelope(http, fake_api, method, path):
    response = http.request(method, path)
    assert response.status_code == 404
    assert error_of(response)["message"] == f"Invalid URL ({method} {path})"
    assert fake_api.image_calls == 0


# ---------------------------------------------------------------------------------------------------
# Azure
# ---------------------------------------------------------------------------------------------------

DEPLOYMENT = "/openai/deployments/my-images/images/generations"


def azure(http: httpx.Client, path: str, *, key: str | None = KEY, query: str = "?api-version=2025-04-01-preview",
          **params: object) -> httpx.Response:
    headers = {"Authorization": ""} | ({"api-key": key} if key else {})
    return http.post(path + query, json={"prompt": "A harbour", **params}, headers=headers)


def test_azure_deployment_path_takes_the_api_key_header_and_needs_no_model(http, fake_api):
    response = azure(http, DEPLOYMENT, quality="low")
    assert response.status_code == 200
    assert opened(decode(response.json()["data"][0])).format == "PNG"
    assert fake_api.requests[-1].query == {"api-version": "2025-04-01-preview"}


def test_azure_deployment_path_refuses_a_bearer_token(http):
    response = http.post(DEPLOYMENT + "?api-version=2025-04-01-preview", json={"prompt": "x"})
    assert response.status_code == 401


def test_azure_deployment_path_requires_an_api_version(http):
    response = azure(http, DEPLOYMENT, query="")
    assert response.status_code == 400
    assert (error_of(response)["param"], error_of(response)["code"]) == ("api-version", "missing_required_parameter")


@pytest.mark.parametrize("path", [DEPLOYMENT, "/openai/v1/images/generations"])
def test_azure_paths_reject_webp_output_and_keep_their_own_calendar(http, path):
    response = azure(http, path, model="gpt-image-1", output_format="webp")
    assert response.status_code == 400
    assert error_of(response)["param"] == "output_format"
    assert azure(http, path, model="gpt-image-1", output_format="jpeg").status_code == 200


def test_azure_v1_path_takes_the_api_key_header_or_the_openai_clients_bearer_token(http):
    assert azure(http, "/openai/v1/images/generations", query="", model="my-deployment").status_code == 200
    bearer = http.post("/openai/v1/images/generations", json={"model": "my-deployment", "prompt": "x"})
    assert bearer.status_code == 200


# ---------------------------------------------------------------------------------------------------
# Images per minute
# ---------------------------------------------------------------------------------------------------


def test_over_the_images_per_minute_limit_gets_429_with_retry_headers(serve):
    _, http = serve(ipm=3)
    assert generate(http, n=2).status_code == 200
    response = generate(http, n=2)
    assert response.status_code == 429
    error = error_of(response)
    assert (error["code"], error["type"], error["param"]) == ("rate_limit_exceeded", "requests", None)
    assert "images per minute in organization org-fake. Limit: 3/1min. Current: 4/1min." in error["message"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert 0 < int(response.headers["retry-after-ms"]) <= 60_000
    assert response.headers["x-ratelimit-limit-requests"] == "3"
    assert response.headers["x-ratelimit-remaining-requests"] == "1"
    assert generate(http, n=1).status_code == 200  # one image still fits


def test_the_images_per_minute_limit_holds_under_concurrent_requests(serve):
    served, http = serve(ipm=5)
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(lambda _: generate(http, quality="low").status_code, range(12)))
    assert statuses == [200] * 5 + [429] * 7
    assert served.api.image_calls == 12


# ---------------------------------------------------------------------------------------------------
# Recorded requests
# ---------------------------------------------------------------------------------------------------


def test_every_request_is_recorded_with_its_answer(http, fake_api):
    generate(http, size="bad")
    http.post(GENERATE, json={"prompt": "x"}, headers={"Authorization": "Bearer sk-nope"})
    http.get("/nowhere?x=1")
    bad, unauthorised, lost = fake_api.requests
    assert (bad.method, bad.path, bad.status, bad.fault) == ("POST", GENERATE, 400, None)
    assert bad.json == {"model": MODEL, "prompt": "A lighthouse at dusk", "size": "bad"}
    assert bad.headers["authorization"] == f"Bearer {KEY}" and bad.headers["content-type"] == "application/json"
    assert bad.output_images == []
    assert unauthorised.status == 401
    assert (lost.status, lost.query) == (404, {"x": "1"})
    assert fake_api.image_calls == 2  # the 404 was no call to an images endpoint


def test_reset_forgets_requests_faults_and_the_rate_limit_window(serve):
    served, http = serve(ipm=1)
    generate(http)
    served.api.inject("server_error", times=3)
    served.api.reset()
    assert served.api.requests == [] and served.api.image_calls == 0
    assert generate(http).status_code == 200
