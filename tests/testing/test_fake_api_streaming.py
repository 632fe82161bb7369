"""Streaming on the fake image API: server-sent events shaped like OpenAI's, sent one at a time."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

from wagtail_imagegen.testing import FakeImageAPI

from .conftest import KEY
from .helpers import EDIT, MODEL, decode, event_payloads, events_of, generate, mean_difference, opened, picture, upload

REQUESTED = {"size": "auto", "quality": "auto", "background": "auto", "output_format": "png"}


def test_a_streamed_generation_sends_partial_images_then_the_completed_image_then_done(http, fake_api):
    response = generate(http, stream=True, partial_images=2, prompt="A kite")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    assert [name for name, _ in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed", None]
    assert events[-1][1] == "[DONE]"
    partials, completed = event_payloads(response.text)[:2], event_payloads(response.text)[2]
    assert [event["partial_image_index"] for event in partials] == [0, 1]
    for name, data in events[:-1]:
        event = json.loads(data)
        assert event["type"] == name
        assert {key: event[key] for key in REQUESTED} == REQUESTED  # streams echo the request, "auto" and all
        assert isinstance(event["created_at"], int)
        assert opened(decode(event)).size == (1024, 1024)
    assert decode(completed) == fake_api.requests[-1].output_images[0]
    assert decode(partials[0]) != decode(partials[1]) != decode(completed)


def test_later_partial_images_are_closer_to_the_final_image(http):
    events = event_payloads(generate(http, stream=True, partial_images=3).text)
    final = opened(decode(events[-1]))
    errors = [mean_difference(opened(decode(event)), final) for event in events[:-1]]
    assert errors[0] > errors[1] > errors[2] > 0


def test_the_completed_event_reports_usage_including_100_tokens_a_partial_image(http):
    completed = event_payloads(generate(http, model="gpt-image-2", stream=True, partial_images=2, quality="high",
                                        prompt="A kite").text)[-1]
    assert completed["usage"]["output_tokens"] == 7024 + 2 * 100
    assert completed["usage"]["input_tokens_details"] == {"text_tokens": 2, "image_tokens": 0}


def test_with_n_images_the_completed_events_add_up_to_the_request_usage(http):
    events = event_payloads(generate(http, stream=True, n=2, quality="low", prompt="A kite").text)
    assert [event["type"] for event in events] == ["image_generation.completed"] * 2
    totals = [event["usage"]["total_tokens"] for event in events]
    assert totals == [2 + 781, 781]  # the prompt's 2 tokens once, then 2.6 low 1024² per image


def test_without_partial_images_the_stream_is_one_completed_event(http):
    names = [name for name, _ in events_of(generate(http, stream=True, partial_images=0).text)]
    assert names == ["image_generation.completed", None]


def test_a_streamed_edit_sends_image_edit_events(http):
    data = {"model": MODEL, "prompt": "teal", "stream": "true", "partial_images": "1", "size": "1024x1536"}
    response = http.post(EDIT, data=data, files=[("image", upload(picture(1024, 1536)))])
    payloads = event_payloads(response.text)
    assert [event["type"] for event in payloads] == ["image_edit.partial_image", "image_edit.completed"]
    assert payloads[-1]["size"] == "1024x1536"
    assert payloads[-1]["usage"]["input_tokens_details"]["image_tokens"] == 4 * 1105  # 6 tiles, high fidelity


def test_the_done_sentinel_can_be_left_out(serve):
    _, http = serve(done_sentinel=False)
    assert [name for name, _ in events_of(generate(http, stream=True).text)] == ["image_generation.completed"]


def test_frames_are_produced_one_at_a_time():
    """The WSGI body is a generator that yields each event frame separately, not one prepared blob."""
    api = FakeImageAPI()
    body = json.dumps({"model": MODEL, "prompt": "x", "stream": True, "partial_images": 3}).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/images/generations", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "HTTP_AUTHORIZATION": f"Bearer {KEY}"}
    setup_testing_defaults(environ)
    chunks = api(environ, lambda status, headers: None)
    assert not isinstance(chunks, list | tuple)
    first = next(iter(chunks))
    assert first.startswith(b"event: image_generation.partial_image\n") and first.endswith(b"\n\n")
    assert api.requests[-1].output_images == []  # the completed event has not been produced yet
    assert len(list(chunks)) == 4  # two more partial images, the completed event and [DONE]


@pytest.mark.parametrize("field_value", ["true", "True"])
def test_multipart_stream_flag_accepts_the_sdks_lowercase_and_python_spelling(http, field_value):
    data = {"model": MODEL, "prompt": "teal", "stream": field_value}
    response = http.post(EDIT, data=data, files=[("image", upload(picture()))])
    assert response.headers["content-type"].startswith("text/event-stream")
