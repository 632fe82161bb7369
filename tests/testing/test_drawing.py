"""Placeholder art: deterministic, exactly the size and format asked for, fast, and honest about edits."""

from __future__ import annotations

import pytest
from PIL import ImageChops

from wagtail_imagegen.drawing import derive_image, draw_image, encode, partial_preview

from .helpers import mask_bytes, mean_difference, opened


@pytest.mark.parametrize(("output_format", "pil_format"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_drawings_have_exactly_the_size_and_format_asked_for(output_format, pil_format):
    image = opened(draw_image("a fox", (1536, 864), output_format))
    assert (image.format, image.size, image.mode) == (pil_format, (1536, 864), "RGB")


def test_drawings_depend_only_on_prompt_and_seed():
    first = draw_image("a fox", (256, 256), "png")
    assert draw_image("a fox", (256, 256), "png") == first
    assert draw_image("a fox", (256, 256), "png", seed=1) != first
    assert draw_image("a hen", (256, 256), "png") != first


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_transparent_drawings_have_a_transparent_background_and_opaque_shapes(output_format):
    alpha = opened(draw_image("a fox", (512, 512), output_format, transparent=True)).getchannel("A")
    low, high = alpha.getextrema()
    assert low == 0 and high >= 160


def test_jpeg_cannot_be_transparent():
    with pytest.raises(ValueError, match="png or webp"):
        draw_image("a fox", (64, 64), "jpeg", transparent=True)


def test_a_label_is_drawn_into_the_corner():
    plain = opened(draw_image("a fox", (512, 512), "png"))
    labelled = opened(draw_image("a fox", (512, 512), "png", label="DEMO"))
    changed = ImageChops.difference(plain, labelled).getbbox()
    assert changed is not None and changed[0] < 20 and changed[3] > 490


def test_pngs_are_encoded_with_the_fastest_compression_level():
    """The fake draws on every call of every test: PNG is lossless, so zlib level 1 costs size, not fidelity.
    (Its speed is a benchmark's business, not a timed test's.)"""
    from wagtail_imagegen.drawing import _save_options

    assert _save_options("png", None) == _save_options("png", 85) == {"compress_level": 1}
    large = opened(draw_image("a fox", (1536, 1024), "png", seed=1))
    assert large.size == (1536, 1024) and large.format == "PNG"


def test_a_derived_image_is_the_first_source_fitted_to_the_size_with_the_others_as_insets():
    source, inset = draw_image("barn", (800, 800), "png"), draw_image("cow", (300, 300), "jpeg")
    alone = opened(derive_image([source], "teal", (512, 512), "png"))
    with_inset = opened(derive_image([source, inset], "teal", (512, 512), "png"))
    assert alone.size == (512, 512)
    assert mean_difference(alone, opened(source).resize((512, 512))) < 60
    bbox = ImageChops.difference(alone, with_inset).getbbox()
    assert bbox is not None and bbox[1] > 256 and bbox[3] > 500  # the inset sits along the bottom edge


def test_a_mask_limits_changes_to_its_fully_transparent_area_scaled_to_the_output():
    source, mask = draw_image("barn", (1024, 1024), "png"), mask_bytes(1024, 1024, (0, 0, 512, 1024))
    teal, gold = (opened(derive_image([source], prompt, (512, 512), "png", mask=mask)) for prompt in ("teal", "gold"))
    kept, painted = (256, 0, 512, 512), (0, 0, 256, 512)
    assert ImageChops.difference(teal.crop(kept), gold.crop(kept)).getbbox() is None  # the source, untouched
    assert mean_difference(teal.crop(kept), opened(source).resize((512, 512)).crop(kept)) < 2
    assert mean_difference(teal.crop(painted), gold.crop(painted)) > 10  # the prompt painted the hole


def test_partial_previews_sharpen_towards_the_final_image():
    final = draw_image("a fox", (512, 512), "png", label="final")
    errors = [mean_difference(opened(partial_preview(final, i, 3, "png")), opened(final)) for i in range(3)]
    assert errors[0] > errors[1] > errors[2] > 0


def test_encode_flattens_transparency_for_jpeg():
    transparent = opened(draw_image("a fox", (64, 64), "png", transparent=True))
    assert opened(encode(transparent, "jpeg", compression=50)).mode == "RGB"
    with pytest.raises(ValueError, match="unsupported output format"):
        encode(transparent, "gif")
