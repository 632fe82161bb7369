"""Model lifecycle on the fake image API: OpenAI's shutdown dates, its model_not_found 404, /v1/models, and
a gateway mode that still serves retired models."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from wagtail_imagegen.testing import FakeImageAPI

from .helpers import EDIT, error_of, generate, picture, upload

DAY_AFTER_1_5 = date(2026, 12, 2)
DAY_BEFORE_1_5 = date(2026, 11, 30)
RETIRED = ["gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini", "chatgpt-image-latest", "gpt-image-1",
           "dall-e-3", "dall-e-2"]
# Ids OpenAI never had: a chat model, and a 2.6 snapshot nobody published (SDK 3.57 lists the aliases only).
UNKNOWN = ["gpt-4o", "gpt-image-3", "gpt-image-2.6-flare-2026-11-04"]
CURRENT = ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08",
           "gpt-image-2.5-sunburst", "gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2", "gpt-image-2-2026-04-21"]


def assert_model_not_found(response: httpx.Response, model: str) -> None:
    assert response.status_code == 404
    assert error_of(response) == {
        "message": f"The model `{model}` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found",
    }


@pytest.mark.parametrize("model", RETIRED + UNKNOWN)
def test_a_retired_or_unknown_model_answers_404_model_not_found(serve, model):
    served, http = serve(today=DAY_AFTER_1_5)
    assert_model_not_found(generate(http, model=model), model)
    assert served.api.requests[-1].output_images == []


@pytest.mark.parametrize("model", ["gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini",
                                   "chatgpt-image-latest"])
def test_a_1x_model_answers_until_the_day_before_its_shutdown(serve, model):
    _, before = serve(today=DAY_BEFORE_1_5)
    _, on_the_day = serve(today=date(2026, 12, 1))
    assert generate(before, model=model, quality="low").status_code == 200
    assert_model_not_found(generate(on_the_day, model=model), model)


def test_gpt_image_1_left_earlier_than_the_rest(serve):
    _, day_before = serve(today=date(2026, 10, 22))
    _, shutdown_day = serve(today=date(2026, 10, 23))
    assert generate(day_before, model="gpt-image-1", quality="low").status_code == 200
    assert_model_not_found(generate(shutdown_day, model="gpt-image-1"), "gpt-image-1")


@pytest.mark.parametrize("model", CURRENT)
def test_the_current_lineup_is_served(serve, model):
    _, http = serve(today=DAY_AFTER_1_5)
    assert generate(http, model=model, quality="low").status_code == 200


def test_the_clock_can_be_moved_on_the_same_fake(serve):
    served, http = serve(today=DAY_BEFORE_1_5)
    assert generate(http, model="gpt-image-1.5", quality="low").status_code == 200
    served.api.today = DAY_AFTER_1_5
    assert generate(http, model="gpt-image-1.5").status_code == 404


def test_the_default_clock_is_todays_utc_date():
    assert FakeImageAPI().today == datetime.now(UTC).date()


def test_without_a_model_both_defaults_are_shut_down(serve):
    """Generations default to dall-e-2 and edits to gpt-image-1.5: both are gone, so always send `model`."""
    _, http = serve(today=DAY_AFTER_1_5)
    assert_model_not_found(generate(http, model=None), "dall-e-2")
    edit = http.post(EDIT, data={"prompt": "x"}, files=[("image", upload(picture()))])
    assert_model_not_found(edit, "gpt-image-1.5")


# ---------------------------------------------------------------------------------------------------
# serve_retired: a gateway that still serves the 1.x models
# ---------------------------------------------------------------------------------------------------

SIZE_MESSAGE = "Invalid value: '1254x836'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."


@pytest.fixture
def gateway(serve) -> httpx.Client:
    return serve(today=DAY_AFTER_1_5, serve_retired=True)[1]


def test_serve_retired_answers_1x_models_with_their_own_rules_and_token_table(gateway):
    body = generate(gateway, model="gpt-image-1.5", size="1536x1024", quality="low", n=2).json()
    assert body["usage"]["output_tokens"] == 2 * 400  # OpenAI's gpt-image-1 table (image-apis.md §1.9)
    assert generate(gateway, model="gpt-image-1", quality="high").json()["usage"]["output_tokens"] == 4160
    refused = generate(gateway, model="chatgpt-image-latest", size="1254x836")
    assert (refused.status_code, error_of(refused)["message"]) == (400, SIZE_MESSAGE)


@pytest.mark.parametrize(("overrides", "param", "code", "words"), [
    ({"quality": "xhigh"}, "quality", "invalid_value", "'low', 'medium', 'high', and 'auto'"),
    ({"complexity": "low"}, "complexity", "unsupported_parameter", "not supported with this model"),
    ({"output_format": "gif"}, "output_format", "invalid_value", "'png', 'jpeg', and 'webp'"),
    ({"size": "1536x864"}, "size", "invalid_value", "Supported values are"),
])
def test_served_1x_models_refuse_what_only_2x_takes(gateway, overrides, param, code, words):
    response = generate(gateway, model="gpt-image-1.5", **overrides)
    error = error_of(response)
    assert (response.status_code, error["param"], error["code"]) == (400, param, code)
    assert words in error["message"]


@pytest.mark.parametrize(("model", "fidelity", "status"), [("gpt-image-1.5", "high", 200), ("gpt-image-1", "low", 200),
                                                           ("gpt-image-1-mini", "low", 200),
                                                           ("gpt-image-1-mini", "high", 400)])
def test_served_1x_edits_take_input_fidelity_as_each_model_does(gateway, model, fidelity, status):
    data = {"model": model, "prompt": "teal", "input_fidelity": fidelity, "quality": "low"}
    response = gateway.post(EDIT, data=data, files=[("image", upload(picture()))])
    assert response.status_code == status, response.text
    if status == 400:
        assert error_of(response)["message"] == "Invalid value: 'high'. Supported values are: 'low'."


def test_serve_retired_still_leaves_dall_e_to_openai(gateway):
    response = generate(gateway, model="dall-e-3")
    assert response.status_code == 400
    assert "not supported by this fake" in error_of(response)["message"]


def test_azure_deployments_keep_their_own_calendar_and_names(serve):
    _, http = serve(today=DAY_AFTER_1_5)
    for deployment in ("gpt-image-1.5", "my-retired-images"):
        response = http.post(f"/openai/deployments/{deployment}/images/generations?api-version=2025-04-01-preview",
                             json={"prompt": "A harbour", "quality": "low"},
                             headers={"Authorization": "", "api-key": "sk-fake-key"})
        assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------------------------------
# GET /v1/models
# ---------------------------------------------------------------------------------------------------


def listed(http: httpx.Client) -> dict[str, dict]:
    body = http.get("/v1/models").json()
    assert body["object"] == "list"
    return {model["id"]: model for model in body["data"]}


def test_the_model_list_has_openais_shape_and_only_live_models(serve):
    served, http = serve(today=DAY_AFTER_1_5)
    models = listed(http)
    assert list(models) == CURRENT
    flare = models["gpt-image-2.6-flare"]
    assert flare == {"id": "gpt-image-2.6-flare", "object": "model", "created": 1793750400, "owned_by": "system"}
    assert all("shutdown_date" not in model for model in models.values())  # none announced for 2.x
    assert served.api.image_calls == 0


def test_before_their_date_retiring_models_are_listed_with_it(serve):
    _, http = serve(today=DAY_BEFORE_1_5)
    models = listed(http)
    assert models["gpt-image-1.5"]["shutdown_date"] == "2026-12-01"
    assert models["gpt-image-1.5-2025-12-16"]["shutdown_date"] == "2026-12-01"
    assert models["chatgpt-image-latest"]["shutdown_date"] == "2026-12-01"
    assert "gpt-image-1" not in models and "dall-e-2" not in models  # gone in October and May


def test_serve_retired_lists_every_model_with_its_shutdown_date(gateway):
    models = listed(gateway)
    assert models["gpt-image-1"]["shutdown_date"] == "2026-10-23"
    assert models["dall-e-3"]["shutdown_date"] == "2026-05-12"
    assert len(models) == len(CURRENT) + len(RETIRED)


def test_retrieving_a_model_answers_it_or_model_not_found(serve):
    _, http = serve(today=DAY_AFTER_1_5)
    assert http.get("/v1/models/gpt-image-2-2026-04-21").json()["id"] == "gpt-image-2-2026-04-21"
    assert_model_not_found(http.get("/v1/models/gpt-image-1.5"), "gpt-image-1.5")
    assert_model_not_found(http.get("/v1/models/nothing-like-it"), "nothing-like-it")


def test_the_model_routes_need_the_key(http):
    for path in ("/v1/models", "/v1/models/gpt-image-2"):
        assert http.get(path, headers={"Authorization": "Bearer sk-nope"}).status_code == 401
        assert http.get(path, headers={"Authorization": ""}).status_code == 401
