"""ImageCall: one image request as the fake understood it, and the settings its answer resolves to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .inputs import InputImage
from .lineup import Family
from .routes import Route

# The sizes an `auto` edit chooses from, by aspect ratio.
STANDARD_ASPECTS = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}
GIF_FRAMES = 9  # frame_count when omitted (SDK 3.57)
GIF_FRAME_MS = 200  # frame_duration_ms when omitted (SDK 3.57)


@dataclass
class ImageCall:
    """A request read from the wire; after validation, one the fake answers."""

    route: Route
    model: str
    family: Family
    prompt: str = ""
    n: int = 1
    size: str = "auto"
    quality: str = "auto"
    background: str = "auto"
    output_format: str = "png"
    output_compression: int | None = None
    moderation: str = "auto"
    input_fidelity: str | None = None
    complexity: str | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    svg: dict[str, Any] | None = None
    stream: bool = False
    partial_images: int = 0
    user: str | None = None
    safety_identifier: str | None = None
    images: list[InputImage] = field(default_factory=list)
    mask: InputImage | None = None
    sent: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        return self.route.kind

    @property
    def transparent(self) -> bool:
        return self.background == "transparent"

    @property
    def high_fidelity(self) -> bool:
        """Whether input images count at high fidelity: asked for, or automatic on GPT Image 2 and later."""
        return self.family.automatic_fidelity or self.input_fidelity == "high"

    @property
    def resolved_quality(self) -> str:
        return "medium" if self.quality == "auto" else self.quality

    @property
    def resolved_size(self) -> str:
        """auto is 1024x1024 for a generation, and the standard size nearest the first input's shape for an edit."""
        if self.size != "auto":
            return self.size
        if not self.images:
            return "1024x1024"
        width, height = self.images[0].size
        aspect = math.log(width / height)
        return min(STANDARD_ASPECTS, key=lambda size: abs(math.log(STANDARD_ASPECTS[size]) - aspect))

    @property
    def pixel_size(self) -> tuple[int, int]:
        width, _, height = self.resolved_size.partition("x")
        return int(width), int(height)

    @property
    def frames(self) -> int:
        return self.frame_count or GIF_FRAMES

    @property
    def frame_ms(self) -> int:
        return self.frame_duration_ms or GIF_FRAME_MS
