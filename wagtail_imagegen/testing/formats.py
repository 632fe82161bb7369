"""GPT Image 2.6's extra outputs, which drawing.py does not encode: an animated GIF and a small SVG."""

from __future__ import annotations

import hashlib
import io
from xml.sax.saxutils import escape

from PIL import Image, ImageChops

SVG_SHAPES = 4
# GIF stores delays in hundredths of a second in 16 bits; the API caps longer delays there (SDK 3.57).
MAX_FRAME_MS = 655_350


def animate(still: bytes, frames: int, frame_ms: int) -> bytes:
    """A looping GIF of `frames` frames: the still image panning across itself, so the frames differ."""
    image = Image.open(io.BytesIO(still)).convert("RGB")
    step = max(1, image.width // frames)
    sequence = [ImageChops.offset(image, index * step, 0) for index in range(frames)]
    buffer = io.BytesIO()
    duration = min(round(frame_ms, -1), MAX_FRAME_MS)  # "rounds to the nearest 10 ms"
    sequence[0].save(buffer, "GIF", save_all=True, append_images=sequence[1:], duration=duration, loop=0)
    return buffer.getvalue()


def vector(prompt: str, size: tuple[int, int], seed: int = 0) -> bytes:
    """An SVG whose colours and shapes follow from a hash of prompt+seed, titled with the prompt."""
    width, height = size
    digest = hashlib.sha256(f"{prompt}\0{seed}".encode()).digest()
    colours = [f"#{digest[i]:02x}{digest[i + 1]:02x}{digest[i + 2]:02x}" for i in range(0, 3 * (SVG_SHAPES + 1), 3)]
    shapes = [
        f'<circle cx="{digest[20 + i] * width // 255}" cy="{digest[24 + i] * height // 255}" '
        f'r="{max(8, digest[28 + i] * min(width, height) // 1020)}" fill="{colours[i + 1]}"/>'
        for i in range(SVG_SHAPES)
    ]
    body = "".join(shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(prompt)}</title>"
        f'<rect width="{width}" height="{height}" fill="{colours[0]}"/>{body}</svg>'
    ).encode()
