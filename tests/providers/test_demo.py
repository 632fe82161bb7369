"""The offline demo provider: real, labelled images that honour the request; edits follow source and mask."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops

from wagtail_imagegen.drawing import draw_image
from wagtail_imagegen.providers.base import ContentRejected, ImageRequest, InputImage, InvalidRequest, Unsupported
from wagtail_imagegen.providers.demo import DemoImageProvider
from wagtail_imagegen.providers.openai_results import has_magic

from .helpers import config


# "demo" is a name the catalog does not know: permissive, so the tests can draw small, quick images.
def demo(**options) -> DemoImageProvider:
    return DemoImageProvider(config(class_path="wagtail_imagegen.providers.demo.DemoImageProvider", model="demo",
                                    api_key=None, base_url=None, options=options))


def request(**fields) -> ImageRequest:
    return ImageRequest.of(**{"kind": "generate", "prompt": "a red bicycle", "model": "demo", **fields})


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def source_png(size=(256, 192)) -> bytes:
    image = Image.new("RGB", size, (30, 90, 200))
    image.paste((240, 200, 20), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mask_png(size=(256, 192), hole=(0, 0, 128, 96)) -> bytes:
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), hole)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return buffer.getvalue()


def test_needs_no_key_and_says_it_is_a_demo():
    assert DemoImageProvider.requires_api_key is False and DemoImageProvider.is_demo is True


@pytest.mark.parametrize(("size", "pixels"), [("auto", (1024, 1024)), ("1536x1024", (1536, 1024)),
                                              ("1024x1536", (1024, 1536)), ("640x320", (640, 320))])
def test_images_have_the_requested_size(size, pixels):
    result = demo().run(request(size=size))
    assert opened(result.images[0].data).size == pixels
    assert result.size == f"{pixels[0]}x{pixels[1]}"


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_images_are_real_files_of_the_requested_format(output_format):
    result = demo().run(request(size="512x512", output_format=output_format))
    data = result.images[0].data
    assert has_magic(data, output_format)
    assert opened(data).format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[output_format]
    assert result.images[0].mime_type == f"image/{output_format}"
    assert result.output_format == output_format


def test_lower_compression_makes_smaller_jpegs():
    sizes = [len(demo().run(request(size="512x512", output_format="jpeg", output_compression=level)).images[0].data)
             for level in (20, 95)]
    assert sizes[0] < sizes[1]


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_transparent_background_has_transparent_pixels(output_format):
    result = demo().run(request(size="256x256", background="transparent", output_format=output_format))
    alpha = opened(result.images[0].data).convert("RGBA").getchannel("A")
    assert alpha.getextrema()[0] == 0
    assert result.background == "transparent"


def test_opaque_background_has_no_transparent_pixels():
    result = demo().run(request(size="256x256"))
    assert opened(result.images[0].data).convert("RGBA").getchannel("A").getextrema() == (255, 255)
    assert result.background == "opaque"


def test_transparent_jpeg_is_refused():
    with pytest.raises(Unsupported):
        demo().run(request(background="transparent", output_format="jpeg"))


def test_n_gives_that_many_different_images():
    result = demo().run(request(size="256x256", n=3))
    assert len(result.images) == 3
    assert len({image.data for image in result.images}) == 3


def test_results_are_labelled_and_carry_illustrative_usage():
    result = demo().run(request(size="1024x1024", quality="high"))
    assert result.metadata == {"demo": True, "notice": "Demo output: no AI model was used."}
    assert result.usage.output_image_tokens == 1756  # 2.6 at high, 1024×1024 (docs/models.md)
    assert result.usage.input_text_tokens > 0
    assert result.quality == "high"


def test_the_label_is_drawn_on_the_art():
    plain = demo().picture(request(size="512x512"), (512, 512), seed=0)
    unlabelled = draw_image("a red bicycle", (512, 512), "png", seed=0)
    difference = ImageChops.difference(opened(plain).convert("RGB"), opened(unlabelled).convert("RGB")).getbbox()
    assert difference is not None and difference[3] > 512 * 0.8  # the caption sits along the bottom edge


def test_edit_is_derived_from_the_source_image():
    source = InputImage(source_png(), "source.png")
    result = demo().run(request(kind="edit", images=(source,), size="256x192"))
    edited = opened(result.images[0].data).convert("RGB")
    # Left half yellow, right half blue in the source: the edit keeps that split visible.
    left, right = edited.getpixel((20, 20)), edited.getpixel((236, 20))
    assert left[0] > right[0] and right[2] > left[2]
    assert result.usage.input_image_tokens > 0


def test_masked_edit_changes_only_the_transparent_region_of_the_mask():
    source = InputImage(source_png(), "source.png")
    mask = InputImage(mask_png(), "mask.png")
    result = demo().run(request(kind="edit", images=(source,), mask=mask, size="256x192"))
    changed = ImageChops.difference(opened(result.images[0].data).convert("RGB"), opened(source.data).convert("RGB"))
    assert changed.getbbox() == (0, 0, 128, 96)


def test_several_sources_all_show_in_the_edit():
    one = demo().run(request(kind="edit", images=(InputImage(source_png(), "a.png"),), size="256x192"))
    two = demo().run(request(kind="edit", size="256x192", images=(
        InputImage(source_png(), "a.png"), InputImage(source_png((64, 64)), "b.png"))))
    assert one.images[0].data != two.images[0].data


def test_edit_without_a_source_is_refused():
    with pytest.raises(InvalidRequest):
        demo().run(request(kind="edit"))


def test_partial_previews_are_sent_before_the_answer():
    previews = []
    result = demo().run(request(size="256x256", partial_images=3), on_partial=previews.append)
    assert [preview.index for preview in previews] == [0, 1, 2]
    assert all(opened(preview.data).size == (256, 256) for preview in previews)
    assert all(preview.data != result.images[0].data for preview in previews)


def test_latency_option_delays_the_answer():
    started = time.monotonic()
    demo(LATENCY=0.2).run(request(size="64x64", partial_images=1))
    assert time.monotonic() - started >= 0.2


def test_refuse_marker_demonstrates_a_safety_refusal():
    with pytest.raises(ContentRejected) as caught:
        demo().run(request(prompt="a castle [demo:refuse]"))
    assert (caught.value.categories, caught.value.stage) == (("demo",), "input")
    assert not caught.value.retryable


def test_an_impossible_custom_size_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        demo().run(request(size="1000x10", model="gpt-image-2.6-flare"))
    assert caught.value.param == "size"
