"""The fake API's Gemini route over real HTTP on 127.0.0.1: keys, validation, answers, multi-turn, faults, and
the official google-genai SDK driving it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from wagtail_imagegen.testing import ServedFakeAPI
from wagtail_imagegen.testing.gemini_lineup import GEMINI_3_SIZES, GEMINI_LINEUP, TIERS

from .conftest import GEMINI_KEY, GEMINI_TODAY
from .helpers import opened, picture

GKEY, TODAY = GEMINI_KEY, GEMINI_TODAY
MODEL = "gemini-nano-banana-2.1"
PRO = "gemini-3-pro-image"


@pytest.fixture
def http(gemini_served: ServedFakeAPI) -> Iterator[httpx.Client]:
    """A client for the served fake with Google's key header (overrides the OpenAI one in conftest)."""
    with httpx.Client(base_url=gemini_served.url, headers={"x-goog-api-key": GKEY}, timeout=60) as client:
        yield client


def path(model: str = MODEL, version: str = "v1beta") -> str:
    return f"/{version}/models/{model}:generateContent"


def body(prompt: str = "A lighthouse at dusk", *, parts: list[dict[str, Any]] | None = None,
         **config: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": prompt}, *(parts or [])]}]}
    if config:
        request["generationConfig"] = config
    return request


def inline(data: bytes, mime: str = "image/png", urlsafe: bool = False) -> dict[str, Any]:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return {"inlineData": {"mimeType": mime, "data": encode(data).decode("ascii")}}


def google_error(response: httpx.Response, code: int, status: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (code, status)
    return error


def image_part(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    parts = response.json()["candidates"][0]["content"]["parts"]
    return next(part for part in parts if "inlineData" in part)


def image_of(response: httpx.Response) -> Any:
    return opened(base64.b64decode(image_part(response)["inlineData"]["data"]))


# ---------------------------------------------------------------------------------------------------
# Keys and routes
# ---------------------------------------------------------------------------------------------------


def test_key_in_header_or_query_and_both_api_versions(gemini_served):
    with httpx.Client(base_url=gemini_served.url, timeout=60) as client:
        assert client.post(path(), json=body(), headers={"x-goog-api-key": GKEY}).status_code == 200
        assert client.post(f"{path(version='v1')}?key={GKEY}", json=body()).status_code == 200


def test_no_key_is_403_permission_denied(gemini_served):
    with httpx.Client(base_url=gemini_served.url, timeout=60) as client:
        error = google_error(client.post(path(), json=body()), 403, "PERMISSION_DENIED")
    assert "unregistered callers" in error["message"]


def test_an_openai_bearer_key_is_not_a_google_key(gemini_served):
    with httpx.Client(base_url=gemini_served.url, timeout=60) as client:
        google_error(client.post(path(), json=body(), headers={"authorization": f"Bearer {GKEY}"}), 403,
                     "PERMISSION_DENIED")


def test_wrong_key_is_400_api_key_invalid(http):
    error = google_error(http.post(path(), json=body(), headers={"x-goog-api-key": "nope"}), 400, "INVALID_ARGUMENT")
    assert error["message"] == "API key not valid. Please pass a valid API key."
    info = error["details"][0]
    assert (info["@type"], info["reason"], info["domain"]) == (
        "type.googleapis.com/google.rpc.ErrorInfo", "API_KEY_INVALID", "googleapis.com")


def test_unknown_model_is_404_naming_the_api_version(http):
    error = google_error(http.post(path("gemini-9-image"), json=body()), 404, "NOT_FOUND")
    assert error["message"].startswith("models/gemini-9-image is not found for API version v1beta, or is not "
                                       "supported for generateContent.")
    error = google_error(http.post(path("gemini-9-image", "v1"), json=body()), 404, "NOT_FOUND")
    assert "for API version v1," in error["message"]


@pytest.mark.parametrize("model", ["gemini-3.1-flash-image", "gemini-2.5-flash-image", "gemini-3-pro-image-preview",
                                   "gemini-3.1-flash-image-preview"])
def test_retired_models_are_404_on_the_fakes_calendar(http, model):
    google_error(http.post(path(model), json=body()), 404, "NOT_FOUND")


def test_a_retired_model_answers_the_day_before_its_shutdown_and_with_serve_retired(gemini_api, http):
    gemini_api.today = date(2026, 10, 28)
    assert http.post(path("gemini-3.1-flash-image"), json=body()).status_code == 200
    gemini_api.today = date(2026, 10, 29)
    assert http.post(path("gemini-3.1-flash-image"), json=body()).status_code == 404
    gemini_api.serve_retired = True
    assert http.post(path("gemini-3.1-flash-image"), json=body()).status_code == 200


def test_every_current_model_generates(http):
    current = [model.id for model in GEMINI_LINEUP if not model.retired_on(TODAY)]
    assert set(current) == {MODEL, PRO, "gemini-3.1-flash-lite-image"}
    for model_id in current:
        assert http.post(path(model_id), json=body()).json()["modelVersion"] == model_id


def test_requests_are_recorded_like_the_openai_routes(gemini_api, http):
    response = http.post(path(), json=body("A red kite"))
    recorded = gemini_api.requests[-1]
    assert recorded.path == path() and recorded.status == 200
    assert recorded.json["contents"][0]["parts"][0]["text"] == "A red kite"
    assert recorded.output_images == [base64.b64decode(image_part(response)["inlineData"]["data"])]
    assert recorded.headers["x-goog-api-key"] == GKEY


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("request_body", "name", "where"), [
    ({**body(), "prompt": "x"}, "prompt", None),
    (body(imageConfig={"aspectRatio": "1:1", "size": "1K"}), "size", "generation_config.image_config"),
    (body(imageConfig={"personGeneration": "ALLOW_ALL"}), "personGeneration", "generation_config.image_config"),
    (body(outputMimeType="image/png"), "outputMimeType", "generation_config"),
    ({"contents": [{"role": "user", "parts": [{"text": "x", "image": "y"}]}]}, "image", "contents[0].parts[0]"),
])
def test_unknown_fields_are_refused_with_their_path(http, request_body, name, where):
    error = google_error(http.post(path(), json=request_body), 400, "INVALID_ARGUMENT")
    at = f" at '{where}'" if where else ""
    assert error["message"] == f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.'
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_snake_case_and_camel_case_are_both_accepted(http):
    snake = {"contents": [{"role": "user", "parts": [{"text": "A fox"}, inline(picture(600, 400))]}],
             "generation_config": {"response_modalities": ["IMAGE"],
                                   "image_config": {"aspect_ratio": "16:9", "image_size": "2K"}}}
    snake["contents"][0]["parts"][1] = {"inline_data": {"mime_type": "image/png",
                                                        "data": base64.b64encode(picture(600, 400)).decode()}}
    assert image_of(http.post(path(), json=snake)).size == (2752, 1536)


def test_url_safe_base64_input_is_accepted(http):
    data = picture(640, 480)
    assert http.post(path(), json=body("edit", parts=[inline(data, urlsafe=True)])).status_code == 200


def test_bad_base64_is_refused(http):
    bad = {"inlineData": {"mimeType": "image/png", "data": "not base64!!"}}
    error = google_error(http.post(path(), json=body(parts=[bad])), 400, "INVALID_ARGUMENT")
    assert "Base64 decoding failed" in error["message"]
    assert "contents[0].parts[1].inline_data.data" in error["message"]


def test_an_undecodable_image_is_refused(http):
    error = google_error(http.post(path(), json=body(parts=[inline(b"GIF89a nonsense")])), 400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Unable to process input image.")


def test_bad_role_and_empty_contents(http):
    bad_role = {"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}
    assert google_error(http.post(path(), json=bad_role), 400, "INVALID_ARGUMENT")["message"] == (
        "Please use a valid role: user, model.")
    error = google_error(http.post(path(), json={"contents": []}), 400, "INVALID_ARGUMENT")
    assert "contents is not specified" in error["message"]


def test_bad_response_modality_is_an_enum_error(http):
    error = google_error(http.post(path(), json=body(responseModalities=["PICTURE"])), 400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Invalid value at 'generation_config.response_modalities[0]'")
    assert error["message"].endswith('"PICTURE"')


LITE = "gemini-3.1-flash-lite-image"


@pytest.mark.parametrize(("model", "aspect"), [(PRO, "1:4"), (PRO, "8:1"), (MODEL, "2:1"), (LITE, "4:1")])
def test_aspect_ratios_the_model_lacks_are_refused_naming_the_allowed_ones(http, model, aspect):
    response = http.post(path(model), json=body(imageConfig={"aspectRatio": aspect}))
    error = google_error(response, 400, "INVALID_ARGUMENT")
    assert error["message"].startswith("* GenerateContentRequest.generation_config.image_config.aspect_ratio: "
                                       "aspect_ratio must be one of '1:1', ")
    assert error["message"].endswith(", or '21:9'.\n")
    assert ("'1:4'" in error["message"]) == (model == MODEL)


@pytest.mark.parametrize(("model", "tier", "allowed"), [
    (MODEL, "512", "'1K', '2K', or '4K'"), (PRO, "512", "'1K', '2K', or '4K'"), (MODEL, "1k", "'1K', '2K', or '4K'"),
    ("gemini-3.1-flash-lite-image", "2K", "'1K'"),
])
def test_tiers_the_model_lacks_are_refused(http, model, tier, allowed):
    error = google_error(http.post(path(model), json=body(imageConfig={"imageSize": tier})), 400, "INVALID_ARGUMENT")
    assert error["message"] == ("* GenerateContentRequest.generation_config.image_config.image_size: image_size "
                                f"must be one of {allowed}.\n")


def test_too_many_reference_images(http):
    parts = [inline(picture(64, 64, prompt=str(i))) for i in range(15)]
    error = google_error(http.post(path(PRO), json=body(parts=parts)), 400, "INVALID_ARGUMENT")
    assert "maximum number of images" in error["message"] and "14" in error["message"]
    assert http.post(path(PRO), json=body(parts=parts[:14])).status_code == 200


# ---------------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "aspect", "tier"), [
    (MODEL, "1:1", "1K"), (MODEL, "3:2", "1K"), (MODEL, "9:16", "2K"), (MODEL, "1:4", "1K"),
    (PRO, "21:9", "1K"), (PRO, "4:5", "2K"), ("gemini-3.1-flash-lite-image", "16:9", "1K"),
])
def test_the_image_has_the_models_real_size_for_aspect_and_tier(http, model, aspect, tier):
    response = http.post(path(model), json=body(imageConfig={"aspectRatio": aspect, "imageSize": tier}))
    image = image_of(response)
    assert image.format == "PNG"
    assert image.size == GEMINI_3_SIZES[aspect][TIERS.index(tier)]


def test_512_on_a_retired_nano_banana_2_served_by_a_gateway(gemini_api, http):
    gemini_api.serve_retired = True
    response = http.post(path("gemini-3.1-flash-image"), json=body(imageConfig={"aspectRatio": "16:9",
                                                                                "imageSize": "512"}))
    assert image_of(response).size == (688, 384)
    assert response.json()["usageMetadata"]["candidatesTokensDetails"][0] == {"modality": "IMAGE", "tokenCount": 747}


def test_gemini_2_5_has_fixed_sizes_no_signatures_and_no_image_size(gemini_api, http):
    gemini_api.serve_retired = True
    response = http.post(path("gemini-2.5-flash-image"), json=body(imageConfig={"aspectRatio": "16:9"}))
    assert image_of(response).size == (1344, 768)
    assert all("thoughtSignature" not in part for part in response.json()["candidates"][0]["content"]["parts"])
    sized = http.post(path("gemini-2.5-flash-image"), json=body(imageConfig={"imageSize": "1K"}))
    google_error(sized, 400, "INVALID_ARGUMENT")


def test_defaults_are_1k_and_the_last_input_images_aspect(http):
    assert image_of(http.post(path(), json=body())).size == (1024, 1024)
    wide = http.post(path(), json=body("edit", parts=[inline(picture(1600, 900))]))
    assert image_of(wide).size == (1376, 768)


def test_answer_shape_text_then_signed_image_and_usage(http):
    response = http.post(path(PRO), json=body("A fox", responseModalities=["TEXT", "IMAGE"]))
    answer = response.json()
    candidate = answer["candidates"][0]
    assert (candidate["finishReason"], candidate["index"], candidate["content"]["role"]) == ("STOP", 0, "model")
    text, image = candidate["content"]["parts"]
    assert "text" in text and "thoughtSignature" in text
    assert image["inlineData"]["mimeType"] == "image/png" and base64.b64decode(image["thoughtSignature"])
    usage = answer["usageMetadata"]
    assert usage["candidatesTokensDetails"][0] == {"modality": "IMAGE", "tokenCount": 1120}
    assert usage["thoughtsTokenCount"] > 0
    assert usage["totalTokenCount"] == (usage["promptTokenCount"] + usage["candidatesTokenCount"]
                                        + usage["thoughtsTokenCount"])
    assert answer["modelVersion"] == PRO and answer["responseId"]


def test_image_only_modality_answers_one_image_part(http):
    parts = http.post(path(), json=body(responseModalities=["IMAGE"])).json()["candidates"][0]["content"]["parts"]
    assert [list(part) for part in parts] == [["inlineData", "thoughtSignature"]]


def test_text_only_modality_answers_no_image(http):
    parts = http.post(path(), json=body(responseModalities=["TEXT"])).json()["candidates"][0]["content"]["parts"]
    assert all("inlineData" not in part for part in parts)


def test_4k_pro_costs_2000_tokens_and_input_images_count(http):
    response = http.post(path(PRO), json=body(parts=[inline(picture(256, 256)), inline(picture(300, 200))],
                                              imageConfig={"aspectRatio": "1:1", "imageSize": "4K"}))
    usage = response.json()["usageMetadata"]
    assert usage["candidatesTokensDetails"][0]["tokenCount"] == 2000
    assert {"modality": "IMAGE", "tokenCount": 2 * 560} in usage["promptTokensDetails"]


def test_an_edit_with_two_images_derives_from_them(gemini_api, http):
    first, second = picture(800, 800, prompt="one"), picture(800, 800, prompt="two")
    response = http.post(path(), json=body("Put them together", parts=[inline(first), inline(second)]))
    assert image_of(response).size == (1024, 1024)
    assert len(gemini_api.requests[-1].json["contents"][0]["parts"]) == 3


# ---------------------------------------------------------------------------------------------------
# Multi-turn
# ---------------------------------------------------------------------------------------------------


def refine(first: httpx.Response, prompt: str = "Make it night", keep_signatures: bool = True) -> dict[str, Any]:
    model_turn = first.json()["candidates"][0]["content"]
    if not keep_signatures:
        model_turn = {**model_turn, "parts": [{k: v for k, v in part.items() if k != "thoughtSignature"}
                                              for part in model_turn["parts"]]}
    return {"contents": [body()["contents"][0], model_turn, {"role": "user", "parts": [{"text": prompt}]}]}


def test_a_refine_with_the_models_turn_and_its_signatures_is_accepted(http):
    first = http.post(path(), json=body(responseModalities=["TEXT", "IMAGE"]))
    second = http.post(path(), json=refine(first))
    assert image_of(second).size == (1024, 1024)
    assert image_part(second)["inlineData"]["data"] != image_part(first)["inlineData"]["data"]


def test_a_refine_without_the_image_parts_signature_is_400(http):
    first = http.post(path(), json=body(responseModalities=["TEXT", "IMAGE"]))
    error = google_error(http.post(path(), json=refine(first, keep_signatures=False)), 400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Image part is missing a thought_signature in content position 2, part "
                                       "position 2.")


def test_gemini_2_5_needs_no_signatures(gemini_api, http):
    gemini_api.serve_retired = True
    first = http.post(path("gemini-2.5-flash-image"), json=body())
    assert http.post(path("gemini-2.5-flash-image"), json=refine(first, keep_signatures=False)).status_code == 200


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


def test_gemini_safety_is_a_200_without_an_image(gemini_api, http):
    gemini_api.inject("gemini_safety")
    response = http.post(path(), json=body())
    candidate = response.json()["candidates"][0]
    assert response.status_code == 200
    assert candidate["finishReason"] == "IMAGE_SAFETY" and "parts" not in candidate["content"]
    gemini_api.inject("gemini_safety", finish_reason="PROHIBITED_CONTENT")
    assert http.post(path(), json=body()).json()["candidates"][0]["finishReason"] == "PROHIBITED_CONTENT"


def test_gemini_prompt_blocked_has_no_candidates(gemini_api, http):
    gemini_api.inject("gemini_prompt_blocked")
    answer = http.post(path(), json=body()).json()
    assert "candidates" not in answer
    assert answer["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert answer["usageMetadata"]["totalTokenCount"] == answer["usageMetadata"]["promptTokenCount"]


def test_gemini_text_only_and_its_prompt_token(http):
    response = http.post(path(), json=body("A cat [fake:gemini_text_only]"))
    parts = response.json()["candidates"][0]["content"]["parts"]
    assert response.status_code == 200 and all("inlineData" not in part for part in parts)
    assert response.json()["usageMetadata"]["candidatesTokensDetails"][0]["modality"] == "TEXT"


def test_gemini_data_url_text_carries_the_png_in_text(gemini_api, http):
    gemini_api.inject("gemini_data_url_text")
    parts = http.post(path(), json=body()).json()["candidates"][0]["content"]["parts"]
    text = next(part["text"] for part in parts if "data:image/png;base64," in part.get("text", ""))
    data = text.split("data:image/png;base64,", 1)[1].rstrip(")")
    assert base64.b64decode(data) == gemini_api.requests[-1].output_images[0]
    assert opened(base64.b64decode(data)).size == (1024, 1024)


def test_rate_limit_is_429_with_quota_failure_and_retry_info(gemini_api, http):
    gemini_api.inject("rate_limit", retry_after=15)
    error = google_error(http.post(path(), json=body()), 429, "RESOURCE_EXHAUSTED")
    types = {detail["@type"].rsplit(".", 1)[1]: detail for detail in error["details"]}
    assert types["RetryInfo"]["retryDelay"] == "15s"
    assert types["QuotaFailure"]["violations"][0]["quotaDimensions"]["model"] == MODEL


def test_insufficient_quota_is_429_without_retry_info(gemini_api, http):
    gemini_api.inject("insufficient_quota")
    error = google_error(http.post(path(), json=body()), 429, "RESOURCE_EXHAUSTED")
    assert all(not detail["@type"].endswith("RetryInfo") for detail in error["details"])


def test_server_error_and_unavailable(gemini_api, http):
    gemini_api.inject("server_error")
    google_error(http.post(path(), json=body()), 500, "INTERNAL")
    gemini_api.inject("unavailable")
    error = google_error(http.post(path(), json=body()), 503, "UNAVAILABLE")
    assert error["message"] == "The model is overloaded. Please try again later."


def test_faults_come_before_validation_but_after_the_key(gemini_api, http):
    gemini_api.inject("server_error")
    google_error(http.post(path(), json={"contents": []}), 500, "INTERNAL")
    with httpx.Client(base_url=str(http.base_url), timeout=60) as keyless:
        google_error(keyless.post(path(), json=body("[fake:server_error]")), 403, "PERMISSION_DENIED")


def test_malformed_json_truncated_base64_and_wrong_magic(gemini_api, http):
    gemini_api.inject("malformed_json")
    with pytest.raises(json.JSONDecodeError):
        http.post(path(), json=body()).json()
    gemini_api.inject("truncated_base64")
    data = base64.b64decode(image_part(http.post(path(), json=body()))["inlineData"]["data"])
    assert data != gemini_api.requests[-1].output_images[0]
    gemini_api.inject("wrong_magic")
    assert image_of(http.post(path(), json=body())).format == "JPEG"


def test_an_openai_only_fault_on_the_gemini_route_says_so(gemini_api, http):
    gemini_api.inject("moderation_blocked")
    error = google_error(http.post(path(), json=body()), 500, "INTERNAL")
    assert "moderation_blocked" in error["message"]


def test_gemini_faults_change_nothing_on_the_openai_route(gemini_api, gemini_served):
    gemini_api.inject("gemini_safety")
    with httpx.Client(base_url=gemini_served.url, headers={"authorization": f"Bearer {GKEY}"}, timeout=60) as client:
        response = client.post("/v1/images/generations", json={"model": "gpt-image-2", "prompt": "x",
                                                               "quality": "low"})
    assert response.status_code == 200 and response.json()["data"][0]["b64_json"]


def test_hang_and_drop_connection(gemini_api, gemini_served):
    with httpx.Client(base_url=gemini_served.url, headers={"x-goog-api-key": GKEY}, timeout=0.5) as client:
        gemini_api.inject("hang")
        with pytest.raises(httpx.ReadTimeout):
            client.post(path(), json=body())
        gemini_api.inject("drop_connection")
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(path(), json=body())
    assert [r.fault for r in gemini_api.requests[-2:]] == ["hang", "drop_connection"]


def test_a_prompt_token_faults_its_own_turn_only(http):
    first = http.post(path(), json=body("A fox [fake:gemini_safety]"))
    assert first.json()["candidates"][0]["finishReason"] == "IMAGE_SAFETY"
    ok = http.post(path(), json=body("A fox"))
    follow_up = {"contents": [body("A fox [fake:gemini_safety]")["contents"][0],
                              ok.json()["candidates"][0]["content"],
                              {"role": "user", "parts": [{"text": "Bigger"}]}]}
    assert image_of(http.post(path(), json=follow_up)).size == (1024, 1024)
