"""The fake API's /v1/responses and /v1/files routes over real HTTP: validation, refine by previous_response_id,
gone responses and files, the streamed events in order, and the faults answered inside a Response."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import httpx
import pytest

from .helpers import error_of, event_payloads, mean_difference, opened, picture

MAINLINE = "gpt-5.6-luna"
TOOL = {"type": "image_generation", "model": "gpt-image-2", "size": "1024x1024", "quality": "low"}
RESPONSES = "/v1/responses"


def create(http: httpx.Client, input: Any = "A lighthouse at dusk", tool: dict[str, Any] | None = None,
           **params: Any) -> httpx.Response:
    body = {"model": MAINLINE, "input": input, "tools": [tool or TOOL], "tool_choice": {"type": "image_generation"},
            **params}
    return http.post(RESPONSES, json={k: v for k, v in body.items() if v is not None})


def image_call(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    calls = [item for item in response.json()["output"] if item["type"] == "image_generation_call"]
    assert len(calls) == 1
    return calls[0]


def upload_file(http: httpx.Client, data: bytes, purpose: str = "vision", **form: str) -> httpx.Response:
    return http.post("/v1/files", files={"file": ("source.png", data, "image/png")}, data={"purpose": purpose, **form})


def user_message(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(parts)}]


# ---------------------------------------------------------------------------------------------------
# Generate and refine
# ---------------------------------------------------------------------------------------------------


def test_generate_answers_a_response_with_a_real_image_and_both_usages(http, fake_api):
    response = create(http)
    body = response.json()
    call = image_call(response)
    assert (body["object"], body["status"], body["model"], body["store"]) == ("response", "completed", MAINLINE, True)
    assert body["id"].startswith("resp_") and call["id"].startswith("ig_")
    assert (call["status"], call["action"], call["size"], call["quality"]) == ("completed", "generate", "1024x1024",
                                                                               "low")
    image = base64.b64decode(call["result"])
    assert [image] == fake_api.requests[-1].output_images
    assert opened(image).size == (1024, 1024) and call["revised_prompt"] == "A lighthouse at dusk"
    assert body["usage"]["total_tokens"] == body["usage"]["input_tokens"] + body["usage"]["output_tokens"]
    image_gen = body["tool_usage"]["image_gen"]
    assert image_gen["output_tokens"] == image_gen["output_tokens_details"]["image_tokens"] == 196  # low, 1024²
    assert fake_api.requests[-1].json["tools"] == [TOOL]


def test_a_refine_edits_the_previous_image_without_it_being_sent_again(http, fake_api):
    first = create(http, "A red teapot on a table")
    refined = create(http, "Make the light warmer", previous_response_id=first.json()["id"])
    call = image_call(refined)
    assert call["action"] == "edit"
    before, after = (opened(base64.b64decode(image_call(r)["result"])) for r in (first, refined))
    unrelated = opened(base64.b64decode(image_call(create(http, "Make the light warmer"))["result"]))
    assert 0 < mean_difference(before, after) < mean_difference(before, unrelated)
    assert fake_api.requests[1].json["previous_response_id"] == first.json()["id"]
    assert "result" not in str(fake_api.requests[1].json)
    # The conversation so far (and the image it holds) counts as input to the mainline model.
    assert refined.json()["usage"]["input_tokens"] > first.json()["usage"]["input_tokens"] + 85
    assert refined.json()["tool_usage"]["image_gen"]["input_tokens_details"]["image_tokens"] > 0


def test_a_chain_goes_on_and_get_returns_the_stored_response(http):
    first = create(http).json()
    second = create(http, "Add a boat", previous_response_id=first["id"]).json()
    third = create(http, "Now at night", previous_response_id=second["id"])
    assert image_call(third)["action"] == "edit"
    assert http.get(f"{RESPONSES}/{second['id']}").json() == second


def test_input_images_by_file_id_and_a_mask_edit_them(http, fake_api):
    source = upload_file(http, picture(1536, 1024)).json()
    mask = upload_file(http, _mask(1536, 1024), purpose="user_data").json()
    tool = {**TOOL, "size": "auto", "input_image_mask": {"file_id": mask["id"]}}
    part = {"type": "input_image", "file_id": source["id"], "detail": "auto"}
    call = image_call(create(http, user_message({"type": "input_text", "text": "Add a moon"}, part), tool))
    assert (call["action"], call["size"]) == ("edit", "1536x1024")


def _mask(width: int, height: int) -> bytes:
    from PIL import Image

    from wagtail_imagegen.drawing import encode

    return encode(Image.new("RGBA", (width, height), (0, 0, 0, 0)), "png")


# ---------------------------------------------------------------------------------------------------
# Gone responses
# ---------------------------------------------------------------------------------------------------

NOT_FOUND = {"type": "invalid_request_error", "param": "previous_response_id", "code": "previous_response_not_found"}


def assert_previous_gone(http: httpx.Client, response_id: str) -> None:
    answer = create(http, "Again", previous_response_id=response_id)
    assert answer.status_code == 400
    assert error_of(answer) == {**NOT_FOUND, "message": f"Previous response with id '{response_id}' not found."}


def test_an_unknown_previous_response_is_not_found(http):
    assert_previous_gone(http, "resp_unknown")


def test_an_unstored_response_cannot_be_continued(http):
    response_id = create(http, store=False).json()["id"]
    assert_previous_gone(http, response_id)
    assert http.get(f"{RESPONSES}/{response_id}").status_code == 404


def test_a_deleted_response_is_gone(http):
    response_id = create(http).json()["id"]
    deleted = http.delete(f"{RESPONSES}/{response_id}")
    assert deleted.json() == {"id": response_id, "object": "response", "deleted": True}
    assert_previous_gone(http, response_id)
    assert http.delete(f"{RESPONSES}/{response_id}").status_code == 404


def test_expired_responses_are_gone(http, fake_api):
    response_id = create(http).json()["id"]
    fake_api.expire_responses()
    assert_previous_gone(http, response_id)


def test_responses_expire_after_the_ttl_on_the_injected_clock(serve):
    now = [1_000_000.0]
    served, http = serve(response_ttl=60, clock=lambda: now[0])
    response_id = create(http).json()["id"]
    now[0] += 59
    assert create(http, previous_response_id=response_id).status_code == 200
    now[0] += 1
    assert_previous_gone(http, response_id)


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "status", "param", "code"), [
    ({"model": None}, 400, "model", "missing_required_parameter"),
    ({"prompt_text": "x"}, 400, "prompt_text", "unknown_parameter"),
    ({"store": "yes"}, 400, "store", "invalid_type"),
    ({"tool": {**TOOL, "quality": "ultra"}}, 400, "tools[0].quality", "invalid_value"),
    ({"tool": {**TOOL, "input_fidelity": "high"}}, 400, "tools[0].input_fidelity", "unsupported_parameter"),
    ({"tool": {**TOOL, "n": 2}}, 400, "tools[0].n", "unknown_parameter"),
    ({"tool": {**TOOL, "action": "remix"}}, 400, "tools[0].action", "invalid_value"),
    ({"tool": {**TOOL, "model": "dall-e-3"}}, 404, "tools[0].model", "model_not_found"),
    ({"tool": {**TOOL, "output_format": "jpeg", "background": "transparent"}}, 400, "tools[0].background",
     "invalid_value"),
    ({"tool": {**TOOL, "action": "edit"}}, 400, "tools[0].action", "invalid_value"),
    ({"input": user_message({"type": "input_image", "image_url": "data:,x", "detail": "fine"})}, 400,
     "input[0].content[0].detail", "invalid_value"),
    ({"input": user_message({"type": "input_image", "detail": "auto"})}, 400, "input[0].content[0]",
     "invalid_value"),
    ({"input": user_message({"type": "input_image", "file_id": "file-" + "x" * 64})}, 400,
     "input[0].content[0].file_id", "string_above_max_length"),
])
def test_what_the_api_refuses(http, params, status, param, code):
    tool = params.pop("tool", None)
    answer = create(http, tool=tool, **params)
    assert answer.status_code == status, answer.text
    assert (error_of(answer)["param"], error_of(answer)["code"]) == (param, code)


def test_tool_choice_needs_the_tool(http):
    answer = http.post(RESPONSES, json={"model": MAINLINE, "input": "x", "tool_choice": {"type": "image_generation"}})
    assert error_of(answer)["message"] == "Tool choice 'image_generation' not found in 'tools' parameter."


def test_gpt_5_shuts_down_on_its_date(serve):
    for today, status in ((date(2026, 12, 10), 200), (date(2026, 12, 11), 404)):
        _, http = serve(today=today)
        answer = create(http, model="gpt-5")
        assert answer.status_code == status
    assert error_of(answer)["code"] == "model_not_found"


def test_a_missing_key_is_refused(served_fake_api):
    answer = httpx.post(f"{served_fake_api.url}{RESPONSES}", json={"model": MAINLINE, "input": "x"})
    assert answer.status_code == 401


def test_azure_v1_path_takes_the_api_key_header(served_fake_api):
    headers = {"api-key": "sk-fake-key", "x-ms-oai-image-generation-deployment": "gpt-image-2.6-flare"}
    with httpx.Client(base_url=served_fake_api.url, headers=headers, timeout=30) as azure:
        answer = azure.post("/openai/v1/responses", json={"model": MAINLINE, "input": "x", "tools": [TOOL]})
    assert image_call(answer)["status"] == "completed"


# ---------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------


def test_files_upload_retrieve_list_delete(http):
    data = picture(64, 48)
    uploaded = upload_file(http, data).json()
    assert uploaded["id"].startswith("file-")
    assert {key: uploaded[key] for key in ("object", "bytes", "filename", "purpose", "status", "expires_at")} == {
        "object": "file", "bytes": len(data), "filename": "source.png", "purpose": "vision", "status": "processed",
        "expires_at": None}
    assert http.get(f"/v1/files/{uploaded['id']}").json() == uploaded
    listed = http.get("/v1/files").json()
    assert (listed["object"], [item["id"] for item in listed["data"]], listed["has_more"]) == (
        "list", [uploaded["id"]], False)
    assert http.delete(f"/v1/files/{uploaded['id']}").json() == {"id": uploaded["id"], "object": "file",
                                                                "deleted": True}
    gone = http.get(f"/v1/files/{uploaded['id']}")
    assert gone.status_code == 404
    assert error_of(gone) == {"message": f"No such File object: {uploaded['id']}", "type": "invalid_request_error",
                              "param": "id", "code": None}


@pytest.mark.parametrize(("data", "form", "param"), [
    (picture(64, 48), {"purpose": "batch"}, "purpose"),
    (b"plain text", {"purpose": "vision"}, "file"),
    (picture(64, 48), {"purpose": "vision", "expires_after[anchor]": "created_at",
                       "expires_after[seconds]": "60"}, "expires_after.seconds"),
])
def test_uploads_the_fake_refuses(http, data, form, param):
    answer = http.post("/v1/files", files={"file": ("f.png", data, "image/png")}, data=form)
    assert answer.status_code == 400
    assert error_of(answer)["param"] == param


def test_expires_after_sets_expires_at_and_expired_files_are_gone(http, fake_api):
    uploaded = upload_file(http, picture(64, 48), **{"expires_after[anchor]": "created_at",
                                                     "expires_after[seconds]": "3600"}).json()
    assert uploaded["expires_at"] == uploaded["created_at"] + 3600
    fake_api.expire_files()
    assert http.get(f"/v1/files/{uploaded['id']}").status_code == 404
    assert http.get("/v1/files").json()["data"] == []


def test_an_input_image_naming_a_gone_file_is_refused(http, fake_api):
    file_id = upload_file(http, picture(64, 48)).json()["id"]
    fake_api.files.delete(file_id)
    answer = create(http, user_message({"type": "input_text", "text": "x"},
                                       {"type": "input_image", "file_id": file_id, "detail": "auto"}))
    assert answer.status_code == 404
    assert error_of(answer)["param"] == "input[0].content[1].file_id"


# ---------------------------------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------------------------------

STREAM_ORDER = [
    "response.created", "response.in_progress", "response.output_item.added",
    "response.image_generation_call.in_progress", "response.image_generation_call.generating",
    "response.image_generation_call.partial_image", "response.image_generation_call.partial_image",
    "response.image_generation_call.completed", "response.output_item.done", "response.completed",
]


def test_a_stream_sends_the_documented_events_in_order(http, fake_api):
    answer = create(http, tool={**TOOL, "partial_images": 2}, stream=True)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = event_payloads(answer.text)
    assert [event["type"] for event in events] == STREAM_ORDER
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    partials = [event for event in events if event["type"].endswith("partial_image")]
    assert [event["partial_image_index"] for event in partials] == [0, 1]
    item_id = events[2]["item"]["id"]
    assert {event["item_id"] for event in partials} == {item_id} and events[2]["item"]["status"] == "in_progress"
    final = events[-1]["response"]
    assert base64.b64decode(final["output"][0]["result"]) == fake_api.requests[-1].output_images[0]
    assert final["tool_usage"]["image_gen"]["output_tokens"] == 196 + 2 * 100
    assert http.get(f"{RESPONSES}/{final['id']}").json() == final


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


def test_a_refused_image_is_a_failed_call_inside_a_completed_response(http, fake_api):
    fake_api.inject("moderation_blocked", categories=["violence"], stage="output")
    body = create(http).json()
    call, message = body["output"]
    assert (body["status"], call["type"], call["status"], call["result"]) == (
        "completed", "image_generation_call", "failed", None)
    assert call["error"]["code"] == "moderation_blocked"
    assert call["error"]["moderation_details"] == {"categories": ["violence"], "moderation_stage": "output"}
    assert message["type"] == "message" and fake_api.requests[-1].output_images == []


def test_text_only_answers_a_message_and_no_image_call(http, fake_api):
    body = create(http, "A fox [fake:text_only]").json()
    assert [item["type"] for item in body["output"]] == ["message"]
    assert body["tool_usage"]["image_gen"]["total_tokens"] == 0
    assert body["output"][0]["content"][0]["type"] == "output_text"


def test_a_refine_after_a_text_answer_still_edits_the_conversations_image(http, fake_api):
    first = create(http).json()
    fake_api.inject("text_only")
    talk = create(http, "What colour is it?", previous_response_id=first["id"]).json()
    assert image_call(create(http, "Make it blue", previous_response_id=talk["id"]))["action"] == "edit"


def test_a_truncated_stream_stops_before_completion_and_keeps_nothing(http, fake_api):
    fake_api.inject("truncated_stream")
    events = event_payloads(create(http, tool={**TOOL, "partial_images": 1}, stream=True).text)
    types = [event["type"] for event in events]
    assert types == STREAM_ORDER[:5] + ["response.image_generation_call.partial_image"]
    assert_previous_gone(http, events[0]["response"]["id"])


@pytest.mark.parametrize(("fault", "status"), [("rate_limit", 429), ("server_error", 500), ("insufficient_quota", 429)])
def test_error_faults_answer_on_this_route(http, fake_api, fault, status):
    fake_api.inject(fault)
    assert create(http).status_code == status
    assert create(http).status_code == 200


def test_drop_connection_and_hang_work_on_this_route(http, fake_api):
    fake_api.inject("drop_connection")
    with pytest.raises(httpx.RemoteProtocolError):
        create(http)
    fake_api.inject("hang", seconds=0.2)
    with pytest.raises(httpx.HTTPError):
        http.post(RESPONSES, json={"model": MAINLINE, "input": "x"}, timeout=0.1)
