"""The fake's vision answer: `/v1/responses` with an input_image and no tool answers a message describing the image
from its pixels, in the language the instruction names, with the mainline model's usage; the official SDK reads it."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import openai
import pytest
from openai.types.responses import Response
from PIL import Image

from .test_openai_sdk import sdk_for

MAINLINE = "gpt-5.6-luna"


def data_url(colour: tuple[int, int, int], second: tuple[int, int, int] = (250, 250, 250)) -> str:
    picture = Image.new("RGB", (80, 60), colour)
    picture.paste(second, (0, 0, 20, 60))  # a quarter in the second colour
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def ask(language: str, url: str, limit: int = 125) -> list[dict]:
    text = f"Write the alt text of this image in {language}, at most {limit} characters."
    return [{"role": "user", "content": [{"type": "input_text", "text": text},
                                         {"type": "input_image", "image_url": url, "detail": "low"}]}]


@pytest.fixture
def client(served_fake_api) -> Iterator[openai.OpenAI]:
    with sdk_for(served_fake_api) as sdk:
        yield sdk


@pytest.mark.parametrize(("language", "expected"), [
    ("English", "A picture mostly in green, with some white."),
    ("German", "Ein Bild, überwiegend in Grün, mit etwas Weiß."),
    ("French", "Une image surtout en vert, avec un peu de blanc."),
])
def test_the_sdk_reads_a_description_in_the_named_language(client, language, expected):
    response = client.responses.create(model=MAINLINE, input=ask(language, data_url((50, 170, 70))), store=False)
    assert isinstance(response, Response) and response.output_text == expected
    assert response.output[0].type == "message" and response.usage.input_tokens > 85
    assert response.usage.output_tokens > 0 and not response.store


def test_the_answer_follows_the_pixels_and_the_limit(client):
    blue = client.responses.create(model=MAINLINE, input=ask("English", data_url((30, 100, 220), (210, 40, 30)), 20))
    assert blue.output_text == "A picture mostly in "[:20] and len(blue.output_text) <= 20
    red = client.responses.create(model=MAINLINE, input=ask("English", data_url((210, 40, 30), (30, 100, 220))))
    assert red.output_text == "A picture mostly in red, with some blue."


def test_with_the_image_tool_the_model_still_draws(client):
    response = client.responses.create(model=MAINLINE, input=ask("English", data_url((50, 170, 70))),
                                       tools=[{"type": "image_generation", "quality": "low", "size": "1024x1024"}])
    assert [item.type for item in response.output] == ["image_generation_call"]
