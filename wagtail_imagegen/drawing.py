"""Deterministic placeholder art: real images derived from a prompt, for the fake API and the demo provider.

Everything is a function of its arguments (a hash of prompt and seed picks colours and shapes), so the
same request always draws the same bytes. Drawing uses a handful of large Pillow operations rather than
per-pixel Python loops, so even 1536x1024 takes a few milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

Size = tuple[int, int]
RGB = tuple[int, int, int]

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
TRANSPARENT_FORMATS = frozenset({"png", "webp"})
# The API's default output_compression is 100; Pillow's JPEG encoder gains nothing above 95.
DEFAULT_QUALITY = 100
SHAPE_COUNT = 5
# How strongly an edit paints prompt art over the source: enough to see, not enough to hide the source.
EDIT_BLEND = 0.45
INNER_SQUARE = (38, 38, 218, 218)  # of Pillow's 256x256 linear gradient: 128 * (1 - 1/sqrt(2)) = 37.5


def draw_image(
    prompt: str,
    size: Size,
    output_format: str,
    *,
    transparent: bool = False,
    compression: int | None = None,
    seed: int = 0,
    label: str | None = None,
) -> bytes:
    """A picture derived from a hash of prompt+seed, exactly `size`, encoded as `output_format`."""
    _check_transparency(output_format, transparent)
    rng = _rng(prompt, seed)
    image = _art(rng, size, transparent)
    if label:
        _draw_label(image, label)
    return encode(image, output_format, compression)


def derive_image(
    sources: Sequence[bytes],
    prompt: str,
    size: Size,
    output_format: str,
    *,
    mask: bytes | None = None,
    transparent: bool = False,
    compression: int | None = None,
    seed: int = 0,
    label: str | None = None,
) -> bytes:
    """An edit: the first source fitted to `size`, tinted with prompt art, the other sources as insets.

    With a mask, only the mask's fully transparent pixels (alpha == 0) change; the rest is the fitted
    source, untouched. The result keeps the source's alpha when `transparent`, else it is flattened.
    """
    _check_transparency(output_format, transparent)
    if not sources:
        raise ValueError("derive_image needs at least one source image")
    base = ImageOps.fit(_open_rgba(sources[0]), size, Image.Resampling.LANCZOS)
    edited = _tinted(base, _art(_rng(prompt, seed), size, transparent=False))
    _paste_insets(edited, [_open_rgba(data) for data in sources[1:]])
    if label:
        _draw_label(edited, label)
    result = Image.composite(edited, base, _edit_region(mask, size)) if mask is not None else edited
    return encode(result if transparent else _flatten(result), output_format, compression)


def partial_preview(final: bytes, index: int, total: int, output_format: str) -> bytes:
    """A coarse preview of `final` for streamed partial image `index` of `total`; later ones are sharper."""
    image = Image.open(io.BytesIO(final))
    image.load()
    # The first preview is shrunk 32x; later ones by up to 16x less, so they sharpen towards the final.
    factor = max(2, 32 >> (4 * max(0, index) // max(1, total)))
    small = image.resize(_scaled(image.size, 1 / factor), Image.Resampling.BOX)
    return encode(small.resize(image.size, Image.Resampling.BILINEAR), output_format)


def encode(image: Image.Image, output_format: str, compression: int | None = None) -> bytes:
    """Encode `image` as png/jpeg/webp; `compression` (0–100, as the API's output_compression) is quality."""
    if output_format not in PIL_FORMATS:
        raise ValueError(f"unsupported output format {output_format!r}")
    if output_format == "jpeg" or image.mode not in ("RGB", "RGBA"):
        image = _flatten(image) if output_format == "jpeg" else image.convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format=PIL_FORMATS[output_format], **_save_options(output_format, compression))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------------


def _rng(prompt: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - art, not secrets


def _colour(rng: random.Random) -> RGB:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _gradient(rng: random.Random, size: Size) -> Image.Image:
    """A two-colour linear gradient at a random angle, stretched over `size`."""
    ramp = Image.linear_gradient("L").rotate(rng.randrange(360), resample=Image.Resampling.BILINEAR)
    # The square inside the rotated ramp's inscribed circle has no empty corners.
    ramp = ramp.resize(size, Image.Resampling.BILINEAR, box=INNER_SQUARE)
    return ImageOps.colorize(ramp, black=_colour(rng), white=_colour(rng)).convert("RGBA")


def _art(rng: random.Random, size: Size, transparent: bool) -> Image.Image:
    """Gradient plus shapes; transparent art is the shapes alone, filled with the gradient."""
    background = _gradient(rng, size)
    shapes = Image.new("RGBA", size, (0, 0, 0, 0))
    _draw_shapes(ImageDraw.Draw(shapes), rng, size)
    if not transparent:
        return Image.alpha_composite(background, shapes).convert("RGB")
    background.putalpha(shapes.getchannel("A"))
    return background


def _draw_shapes(draw: ImageDraw.ImageDraw, rng: random.Random, size: Size) -> None:
    width, height = size
    for _ in range(SHAPE_COUNT):
        box = _random_box(rng, width, height)
        fill = (*_colour(rng), rng.randrange(160, 256))
        kind = rng.randrange(3)
        if kind == 0:
            draw.ellipse(box, fill=fill)
        elif kind == 1:
            draw.rectangle(box, fill=fill)
        else:
            draw.polygon([(box[0], box[3]), ((box[0] + box[2]) // 2, box[1]), (box[2], box[3])], fill=fill)


def _random_box(rng: random.Random, width: int, height: int) -> tuple[int, int, int, int]:
    w = rng.randint(max(1, width // 8), max(1, width // 2))
    h = rng.randint(max(1, height // 8), max(1, height // 2))
    left, top = rng.randint(0, max(0, width - w)), rng.randint(0, max(0, height - h))
    return (left, top, left + w, top + h)


def _draw_label(image: Image.Image, label: str) -> None:
    """A small caption in the bottom-left corner, on a dark box so it reads on any art."""
    font = ImageFont.load_default(size=max(10, min(image.size) // 40))
    draw = ImageDraw.Draw(image)
    margin = max(4, min(image.size) // 100)
    left, top, right, bottom = draw.textbbox((margin * 2, 0), label, font=font)
    top_y = image.height - (bottom - top) - margin * 3
    bands = len(image.getbands())  # RGB art takes 3-tuples, RGBA art 4-tuples
    box = (margin, top_y - margin, right + margin, image.height - margin)
    draw.rectangle(box, fill=(0, 0, 0, 200)[:bands])
    draw.text((margin * 2, top_y - top), label, font=font, fill=(255, 255, 255, 255)[:bands])


# ---------------------------------------------------------------------------------------------------
# Edits
# ---------------------------------------------------------------------------------------------------


def _open_rgba(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image).convert("RGBA")


def _tinted(base: Image.Image, art: Image.Image) -> Image.Image:
    """Blend prompt art into the colour channels, keeping the source's alpha."""
    tinted = Image.blend(base, art.convert("RGBA"), EDIT_BLEND)
    tinted.putalpha(base.getchannel("A"))
    return tinted


def _paste_insets(canvas: Image.Image, insets: Sequence[Image.Image]) -> None:
    """Thumbnails of the other sources along the bottom edge, each on a white border."""
    if not insets:
        return
    cell = max(8, min(canvas.width // (len(insets) + 1), canvas.height // 3))
    border = max(1, cell // 32)
    for position, inset in enumerate(insets):
        thumb = ImageOps.fit(inset, (cell - 2 * border, cell - 2 * border), Image.Resampling.BILINEAR)
        left = border + position * cell
        top = canvas.height - cell - border
        canvas.paste((255, 255, 255, 255), (left, top, left + cell, top + cell))
        canvas.alpha_composite(thumb, (left + border, top + border))


def _edit_region(mask: bytes, size: Size) -> Image.Image:
    """255 where the mask is fully transparent (the part to edit), else 0, scaled to `size`."""
    alpha = _open_rgba(mask).getchannel("A").resize(size, Image.Resampling.NEAREST)
    return alpha.point(lambda value: 255 if value == 0 else 0)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB over white, for formats or requests without transparency."""
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


# ---------------------------------------------------------------------------------------------------
# Encoding helpers
# ---------------------------------------------------------------------------------------------------


def _check_transparency(output_format: str, transparent: bool) -> None:
    if transparent and output_format not in TRANSPARENT_FORMATS:
        raise ValueError(f"a transparent background needs png or webp, not {output_format!r}")


def _save_options(output_format: str, compression: int | None) -> dict[str, int]:
    if output_format == "png":
        return {"compress_level": 1}  # PNG is lossless: favour speed, the API ignores compression here
    quality = DEFAULT_QUALITY if compression is None else compression
    if output_format == "jpeg":
        return {"quality": max(1, min(quality, 95))}
    return {"quality": max(1, quality), "method": 0}  # WebP's slowest methods cost 3x for a few bytes


def _scaled(size: Size, factor: float) -> Size:
    return (max(1, round(size[0] * factor)), max(1, round(size[1] * factor)))


__all__ = ["derive_image", "draw_image", "encode", "partial_preview"]
