"""The official openai SDK against the fake's /v1/responses and /v1/files: its requests are accepted, the answers
parse into its own models (Response, the image_generation_call item, stream events, FileObject, FileDeleted)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import openai
import pydantic
import pytest
from openai.types import FileDeleted, FileObject
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseImageGenCallPartialImageEvent,
    ResponseStreamEvent,
)
from openai.types.responses.response_output_item import ImageGenerationCall

from .helpers import event_payloads, opened, picture
from .test_openai_sdk import sdk_for

MAINLINE = "gpt-5.6-luna"
TOOL = {"type": "image_generation", "model": "gpt-image-2", "size": "1024x1024", "quality": "low"}
FORCE = {"type": "image_generation"}


@pytest.fixture
def client(served_fake_api) -> Iterator[openai.OpenAI]:
    with sdk_for(served_fake_api) as sdk:
        yield sdk


def only_call(response: Response) -> ImageGenerationCall:
    (call,) = [item for item in response.output if item.type == "image_generation_call"]
    assert isinstance(call, ImageGenerationCall)
    return call


def test_generate_then_refine_by_previous_response_id(client, fake_api):
    first = client.responses.create(model=MAINLINE, input="A teapot", tools=[TOOL], tool_choice=FORCE)
    assert isinstance(first, Response) and first.status == "completed"
    call = only_call(first)
    assert (call.status, call.action, call.size) == ("completed", "generate", "1024x1024")
    assert base64.b64decode(call.result) == fake_api.requests[-1].output_images[0]
    assert first.tool_usage.image_gen.output_tokens == 196 and first.usage.total_tokens > 0
    refined = client.responses.create(model=MAINLINE, input="Make it blue", tools=[TOOL], tool_choice=FORCE,
                                      previous_response_id=first.id)
    assert only_call(refined).action == "edit" and refined.previous_response_id == first.id
    assert client.responses.retrieve(refined.id).id == refined.id


def test_a_gone_previous_response_is_a_bad_request_error(client, fake_api):
    first = client.responses.create(model=MAINLINE, input="A teapot", tools=[TOOL])
    client.responses.delete(first.id)
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model=MAINLINE, input="Again", tools=[TOOL], previous_response_id=first.id)
    assert raised.value.code == "previous_response_not_found" and raised.value.param == "previous_response_id"


def test_streaming_with_partial_images(client, fake_api):
    events = list(client.responses.create(model=MAINLINE, input="A teapot", tools=[{**TOOL, "partial_images": 2}],
                                          tool_choice=FORCE, stream=True))
    partials = [event for event in events if isinstance(event, ResponseImageGenCallPartialImageEvent)]
    assert [event.partial_image_index for event in partials] == [0, 1]
    assert opened(base64.b64decode(partials[0].partial_image_b64)).size == (1024, 1024)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert base64.b64decode(only_call(events[-1].response).result) == fake_api.requests[-1].output_images[0]


def test_the_stream_helper_accumulates_the_final_response(client):
    with client.responses.stream(model=MAINLINE, input="A teapot", tools=[TOOL], tool_choice=FORCE) as stream:
        final = stream.get_final_response()
    assert only_call(final).status == "completed"


def test_files_create_retrieve_delete_and_use_by_file_id(client, fake_api):
    created = client.files.create(file=("source.png", picture(64, 48), "image/png"), purpose="vision",
                                  expires_after={"anchor": "created_at", "seconds": 3600})
    assert isinstance(created, FileObject) and created.expires_at == created.created_at + 3600
    assert client.files.retrieve(created.id) == created
    assert [item.id for item in client.files.list(purpose="vision")] == [created.id]
    part = {"type": "input_image", "file_id": created.id, "detail": "auto"}
    response = client.responses.create(model=MAINLINE, tools=[{**TOOL, "size": "auto"}], tool_choice=FORCE,
                                       input=[{"role": "user", "content": [{"type": "input_text", "text": "Edit"},
                                                                           part]}])
    assert only_call(response).action == "edit"
    deleted = client.files.delete(created.id)
    assert isinstance(deleted, FileDeleted) and deleted.deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_a_refused_image_parses_with_its_moderation_details(client, fake_api):
    fake_api.inject("moderation_blocked", stage="input")
    call = only_call(client.responses.create(model=MAINLINE, input="x", tools=[TOOL], tool_choice=FORCE))
    assert call.status == "failed" and call.error.code == "moderation_blocked"
    assert call.error.moderation_details.moderation_stage == "input"


@pytest.mark.parametrize("fault", [None, "moderation_blocked", "text_only"])
def test_bodies_and_events_validate_against_the_sdks_own_types(http, fake_api, fault):
    """The SDK builds its models without validating; here pydantic checks every field the fake sends."""
    if fault:
        fake_api.inject(fault, times=2)
    body = {"model": MAINLINE, "input": "A teapot", "tools": [{**TOOL, "partial_images": 1}], "tool_choice": FORCE}
    Response.model_validate(http.post("/v1/responses", json=body).json())
    adapter = pydantic.TypeAdapter(ResponseStreamEvent)
    for event in event_payloads(http.post("/v1/responses", json={**body, "stream": True}).text):
        adapter.validate_python(event)


def test_file_bodies_validate_against_the_sdks_own_types(http):
    uploaded = http.post("/v1/files", files={"file": ("a.png", picture(64, 48), "image/png")},
                         data={"purpose": "user_data"}).json()
    FileObject.model_validate(uploaded)
    FileDeleted.model_validate(http.delete(f"/v1/files/{uploaded['id']}").json())
