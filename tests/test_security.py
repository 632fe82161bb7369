"""Security: oversized answers and decompression bombs from the API, bomb masks, non-raster inputs."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image as PILImage

from wagtail_imagegen import jobs
from wagtail_imagegen.conf import get_provider
from wagtail_imagegen.providers.base import BadResponse, ImageRequest

from .conftest import FAKE_KEY


def bomb_png(side: int = 30_000) -> bytes:
    """A small file that would decode to side² pixels."""
    buffer = io.BytesIO()
    PILImage.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def provider_answering(body: bytes, content_type: str = "application/json"):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body,
                                                                   headers={"content-type": content_type}))
    return get_provider(transport=transport)


def test_a_decompression_bomb_from_the_api_is_refused():
    bomb = bomb_png()
    assert len(bomb) < 500_000
    body = b'{"created": 1, "data": [{"b64_json": "' + base64.b64encode(bomb) + b'"}]}'
    with provider_answering(body) as provider, pytest.raises(BadResponse, match="could not be read") as exc_info:
        provider.run(ImageRequest.of(kind="generate", prompt="x", model="gpt-image-2.6-flare"))
    assert "pixels" in exc_info.value.detail and not exc_info.value.retryable


@pytest.mark.usefixtures("use_fake_api")
def test_an_answer_larger_than_the_limit_is_refused_before_it_fills_the_memory(settings, fake_api):
    providers = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        **providers, "default": {**providers["default"], "OPTIONS": {"MAX_IMAGE_MB": 0.01}}}}
    request = ImageRequest.of("generate", "A detailed landscape", model="gpt-image-2.6-flare", size="1536x1024", n=4,
                              quality="high")
    with get_provider() as provider, pytest.raises(BadResponse) as exc_info:
        provider.run(request)
    assert "larger than" in exc_info.value.detail
    assert fake_api.image_calls == 1 and FAKE_KEY not in str(exc_info.value.as_dict())


@pytest.mark.django_db
def test_a_decompression_bomb_mask_is_refused(make_image):
    with pytest.raises(Exception, match="far larger") as exc_info:
        jobs.submit_edit([make_image(width=640, height=480)], "Fix it", mask=bomb_png(20_000))
    assert exc_info.typename == "ValidationError"
