"""Every request the OpenAI provider can build is one the official SDK's types allow.

The strict server (strict_server.py) derives its rules from `openai.types`, not from our code; the
provider talks to it over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import itertools
from collections import Counter

import httpx
import pytest

from wagtail_imagegen.providers.base import ImageRequest, InputImage, InvalidRequest
from wagtail_imagegen.providers.openai import OpenAIImageProvider

from .helpers import API_KEY, config, image_bytes
from .strict_server import StrictImageServer, serving

MODELS = ("gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.6-sunburst")
KINDS = ("generate", "edit")
FORMATS = ("png", "jpeg", "webp")
BACKGROUNDS = ("auto", "opaque", "transparent")
PARTIAL_IMAGES = (0, 2)
# Rotated through the product with co-prime strides, so each value meets every model, kind and format.
ROTATED = {
    "size": ("auto", "1024x1024", "1536x1024", "1024x1536", "2560x1440", "1000x1000"),
    "quality": ("auto", "low", "medium", "high", "xhigh", "max"),
    "output_compression": (None, 0, 85),
    "complexity": (None, "low", "high"),
    "moderation": ("auto", "low"),
    "n": (1, 2),
    "input_fidelity": (None, "high"),  # "high" is what 2.x models always do: accepted, never sent
}
SOURCES = tuple(InputImage(image_bytes(colour=colour), f"{colour}.png") for colour in ("red", "green", "blue"))
MASK = InputImage(image_bytes(colour=(0, 0, 0, 0)), "mask.png")


def rotated(index: int) -> dict:
    strides = (1, 5, 7, 11, 13, 17, 19)
    return {name: values[index // stride % len(values)]
            for (name, values), stride in zip(ROTATED.items(), strides, strict=True)}


def fitted(values: dict, model: str, kind: str, output_format: str, index: int) -> dict:
    """Most requests are made to fit the model; every fifth keeps its misfits, to prove they are refused unsent."""
    if index % 5 == 0:
        return values
    top_quality = values["quality"] in ("xhigh", "max") and model == "gpt-image-2"
    return {**values, "quality": "high" if top_quality else values["quality"],
            "complexity": values["complexity"] if model == "gpt-image-2.6-sunburst" else None,
            "output_compression": None if output_format == "png" else values["output_compression"],
            "input_fidelity": values["input_fidelity"] if kind == "edit" else None}


def requests() -> list[ImageRequest]:
    product = itertools.product(MODELS, KINDS, FORMATS, BACKGROUNDS, PARTIAL_IMAGES)
    built = []
    for index, (model, kind, output_format, background, partials) in enumerate(product):
        edit_inputs = {"images": SOURCES[: 1 + 2 * (index // 2 % 2)], "mask": MASK if index // 4 % 2 else None}
        built.append(ImageRequest.of(
            kind=kind, prompt=f"conformance {index}", model=model, output_format=output_format,
            background=background, partial_images=partials, **fitted(rotated(index), model, kind, output_format, index),
            **(edit_inputs if kind == "edit" else {}),
        ))
    return built


@pytest.fixture(scope="module")
def exchanges_and_outcomes():
    server = StrictImageServer(API_KEY)
    outcomes = []
    with serving(server) as base_url, OpenAIImageProvider(config(base_url=base_url, timeout=10)) as provider:
        for request in requests():
            seen_before, partials = len(server.exchanges), []
            try:
                result = provider.run(request, on_partial=partials.append)
            except InvalidRequest as refused:
                result = refused
            reached = server.exchanges[seen_before:]
            outcomes.append((request, result, partials, reached))
    return server.exchanges, outcomes


def test_every_request_that_reached_the_server_was_valid(exchanges_and_outcomes):
    exchanges, _ = exchanges_and_outcomes
    problems = [(exchange.endpoint, exchange.fields, exchange.violations) for exchange in exchanges
                if exchange.violations]
    assert problems == []
    assert len(exchanges) >= 60


def test_results_are_the_exact_bytes_the_server_encoded(exchanges_and_outcomes):
    _, outcomes = exchanges_and_outcomes
    for request, result, partials, reached in outcomes:
        if isinstance(result, Exception):
            continue
        (exchange,) = reached
        assert [image.data for image in result.images] == exchange.images
        assert [partial.data for partial in partials] == exchange.partials
        assert {image.mime_type for image in result.images} == {f"image/{request.spec.output_format}"}


def test_only_what_the_model_cannot_do_is_refused_and_then_nothing_is_sent(exchanges_and_outcomes):
    _, outcomes = exchanges_and_outcomes
    for request, result, _, reached in outcomes:
        if isinstance(result, Exception):
            assert reached == []
            assert result.param in ("size", "background", "quality", "complexity", "output_compression",
                                    "input_fidelity"), result
            spec = request.spec
            cannot = (spec.size == "1000x1000"
                      or (spec.background == "transparent" and spec.output_format == "jpeg")
                      or (spec.quality in ("xhigh", "max") and spec.model == "gpt-image-2")
                      or (spec.complexity is not None and spec.model != "gpt-image-2.6-sunburst")
                      or (spec.output_compression is not None and spec.output_format == "png")
                      or (spec.input_fidelity is not None and request.kind == "generate"))
            assert cannot, request
        else:
            assert len(reached) == 1 and "input_fidelity" not in reached[0].fields


def test_the_combinations_cover_every_value_and_part_shape(exchanges_and_outcomes):
    exchanges, _ = exchanges_and_outcomes
    sent = Counter((name, value) for exchange in exchanges for name, value in exchange.fields.items()
                   if name != "prompt")
    for name in ("size", "quality", "moderation", "complexity", "output_compression", "n", "partial_images"):
        values = {value for value in ROTATED.get(name, PARTIAL_IMAGES[1:]) if value not in (None, "1000x1000")}
        assert values <= {value for key, value in sent if key == name}, name
    parts = Counter(name for exchange in exchanges for name, _ in exchange.files)
    assert parts["image"] and parts["image[]"] and parts["mask"]
    assert {exchange.fields.get("stream") for exchange in exchanges} == {True, None}


# -- the strict server has teeth -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_base_url():
    with serving(StrictImageServer(API_KEY)) as base_url:
        yield base_url


def post(base_url: str, path: str, **content) -> httpx.Response:
    return httpx.post(f"{base_url}/images/{path}", headers={"Authorization": f"Bearer {API_KEY}"}, **content)


VALID = {"model": "gpt-image-2.6-flare", "prompt": "p"}


@pytest.mark.parametrize("body", [
    {**VALID, "response_format": "b64_json"},
    {**VALID, "style": "vivid"},
    {**VALID, "input_fidelity": "high"},
    {**VALID, "quality": "ultra"},
    {**VALID, "model": "gpt-image-2", "quality": "max"},
    {**VALID, "model": "gpt-image-2.5-flare", "complexity": "low"},
    {**VALID, "size": "2560x256"},
    {**VALID, "background": "none"},
    {**VALID, "output_format": "png", "output_compression": 50},
    {**VALID, "partial_images": 2},
    {**VALID, "n": "2"},
    {"prompt": "p"},
], ids=["response_format", "style", "fidelity-on-generation", "quality", "max-on-gpt-image-2",
        "complexity-before-2.6", "too-few-pixels", "background", "png-compression",
        "partials-without-stream", "n-as-string", "no-model"])
def test_the_strict_server_refuses_generations_the_sdk_would_not_send(strict_base_url, body):
    assert post(strict_base_url, "generations", json=body).status_code == 400


@pytest.mark.parametrize(("data", "files"), [
    ({**VALID, "moderation": "low"}, [("image", ("a.png", image_bytes(), "image/png"))]),
    (VALID, [("image", ("a.png", image_bytes(), "image/png")), ("image", ("b.png", image_bytes(), "image/png"))]),
    (VALID, [("images", ("a.png", image_bytes(), "image/png"))]),
    (VALID, [("image", ("a.png", image_bytes(), "image/png")),
             ("mask", ("m.png", image_bytes(size=(8, 8)), "image/png"))]),
    ({**VALID, "stream": "yes"}, [("image", ("a.png", image_bytes(), "image/png"))]),
], ids=["moderation-on-edit", "repeated-image", "wrong-part-name", "mask-size", "stream-not-boolean"])
def test_the_strict_server_refuses_edits_the_sdk_would_not_send(strict_base_url, data, files):
    assert post(strict_base_url, "edits", data=data, files=files).status_code == 400


def test_the_strict_server_accepts_what_the_sdk_sends(strict_base_url):
    files = [("image[]", ("a.png", image_bytes(), "image/png")), ("image[]", ("b.png", image_bytes(), "image/png"))]
    response = post(strict_base_url, "edits", data={**VALID, "complexity": "low", "n": "2"}, files=files)
    assert response.status_code == 200 and len(response.json()["data"]) == 2
