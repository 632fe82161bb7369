"""What one image model is, as data: its options, limits, token counts, prices and dates.

A `ModelSpec` is declared once (catalog/openai.py, or WAGTAIL_IMAGEGEN["MODELS"]) and everything else
derives from it: the editor's fields, the CLI's choices, validation, the request sent and the cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def grouped(number: int) -> str:
    """A whole number with the active language's thousands separator (655,360; 655.360 in German)."""
    return number_format(number, force_grouping=True)


SIZE_PATTERN = re.compile(r"^(\d{2,5})x(\d{2,5})$")
# How a model takes transparent backgrounds, input fidelity.
Transparency = Literal["yes", "preview", "no"]
Fidelity = Literal["parameter", "automatic", "none"]
# The sizes offered by aspect ratio × resolution on models that take any WIDTHxHEIGHT.
ASPECT_RATIOS: tuple[tuple[int, int], ...] = ((1, 1), (3, 2), (2, 3), (4, 3), (3, 4), (16, 9), (9, 16), (4, 5), (21, 9))
# Resolution tiers by pixel count: about 1024², 2048², and the most a model makes (4K UHD).
# What "auto" may become, for estimates (GPT Image models answer with one of these).
AUTO_SIZES = ("1024x1024", "1536x1024", "1024x1536")
RESOLUTIONS: dict[str, int] = {"1K": 1024 * 1024, "2K": 2048 * 2048, "4K": 3840 * 2160}


def parse_size(size: str) -> tuple[int, int] | None:
    match = SIZE_PATTERN.match(size or "")
    return (int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class FixedSizes:
    """A model that makes a few sizes only (the GPT Image 1 family)."""

    choices: tuple[str, ...] = ("1024x1024", "1536x1024", "1024x1536")
    auto: bool = True

    @property
    def flexible(self) -> bool:
        return False

    def problem(self, size: str) -> str | None:
        if size in self.choices or (self.auto and size == "auto"):
            return None
        return _("Choose one of these sizes: %(choices)s.") % {"choices": ", ".join(self.offered)}

    @property
    def offered(self) -> tuple[str, ...]:
        return (("auto",) if self.auto else ()) + self.choices


@dataclass(frozen=True)
class FlexibleSizes:
    """Any WIDTHxHEIGHT within the rules (GPT Image 2 and later), or auto."""

    multiple: int = 16
    max_edge: int = 3840
    max_aspect: float = 3.0
    min_pixels: int = 655_360
    max_pixels: int = 8_294_400
    auto: bool = True

    @property
    def flexible(self) -> bool:
        return True

    @property
    def offered(self) -> tuple[str, ...]:
        return ("auto",) if self.auto else ()

    def problem(self, size: str) -> str | None:
        """Why `size` cannot be made, naming the limit; None when it can."""
        if size == "auto" and self.auto:
            return None
        parsed = parse_size(size)
        if parsed is None:
            return _("Give the size as WIDTHxHEIGHT in pixels, for example 1536x1024.")
        width, height = parsed
        if width % self.multiple or height % self.multiple:
            return _("Width and height must both be multiples of %(n)d pixels.") % {"n": self.multiple}
        if max(width, height) > self.max_edge:
            return _("The longer edge may be at most %(edge)s pixels.") % {"edge": grouped(self.max_edge)}
        if max(width, height) > self.max_aspect * min(width, height):
            return _("The image may be at most %(ratio)s times as wide as it is tall, or the other way round.") % {
                "ratio": f"{self.max_aspect:g}"}
        if width * height < self.min_pixels:
            return _("The image needs at least %(pixels)s pixels (%(size)s has %(has)s).") % {
                "pixels": grouped(self.min_pixels), "size": size, "has": grouped(width * height)}
        if width * height > self.max_pixels:
            return _("The image may have at most %(pixels)s pixels (%(size)s has %(has)s).") % {
                "pixels": grouped(self.max_pixels), "size": size, "has": grouped(width * height)}
        return None

    def size_for(self, aspect: float, resolution: str) -> str:
        """The valid size nearest `resolution`'s pixel count with the given width/height ratio."""
        aspect = min(max(aspect, 1 / self.max_aspect), self.max_aspect)
        pixels = min(max(RESOLUTIONS[resolution], self.min_pixels), self.max_pixels)
        height = self.nearest(math.sqrt(pixels / aspect))
        while self.problem(self.sized(aspect, height)) and self.too_large(aspect, height):
            height -= self.multiple
        while self.problem(self.sized(aspect, height)) and not self.too_large(aspect, height):
            height += self.multiple
        return self.sized(aspect, height)

    def sized(self, aspect: float, height: int) -> str:
        return f"{self.nearest(aspect * height)}x{height}"

    def too_large(self, aspect: float, height: int) -> bool:
        width = self.nearest(aspect * height)
        return width * height > self.max_pixels or max(width, height) > self.max_edge

    def nearest(self, length: float) -> int:
        return max(self.multiple, round(length / self.multiple) * self.multiple)


SizeRule = FixedSizes | FlexibleSizes


@dataclass(frozen=True)
class OutputTokens:
    """Output image tokens of one image: exact figures where published, else the square figure by area."""

    square: Mapping[str, int]  # quality -> tokens of a 1024×1024 image
    exact: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # quality -> size -> tokens

    def count(self, quality: str, width: int, height: int) -> int:
        exact = self.exact.get(quality, {}).get(f"{width}x{height}")
        if exact is not None:
            return exact
        square = self.square.get(quality) or max(self.square.values())  # an unknown tier: the costliest
        return math.ceil(square * width * height / (1024 * 1024))


@dataclass(frozen=True)
class TokenFormula:
    """Output image tokens of GPT Image 2 and later: a quality factor, the edges' ratio and the area.

    OpenAI publishes a calculator, not a formula; this one reproduces its figures (docs/models.md).
    """

    factors: Mapping[str, int]  # quality -> factor

    def count(self, quality: str, width: int, height: int) -> int:
        factor = self.factors.get(quality) or max(self.factors.values())
        long, short = max(width, height), min(width, height)
        steps = (2 * factor * short + long) // (2 * long)
        return math.ceil(factor * steps * (2_000_000 + width * height) / 4_000_000)


TokenRule = OutputTokens | TokenFormula


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    text_input: Decimal
    image_input: Decimal
    image_output: Decimal
    text_output: Decimal = Decimal(0)


@dataclass(frozen=True)
class ModelSpec:
    """One model family: what it takes, what it costs, and how long it lives. Snapshots resolve to it."""

    name: str
    label: str
    description: str = ""
    api: str = "openai"  # which provider classes can call it (ImageProvider.api)
    snapshots: tuple[str, ...] = ()
    released: date | None = None
    shutdown: date | None = None
    successor: str | None = None
    sizes: SizeRule = field(default_factory=FlexibleSizes)
    qualities: tuple[str, ...] = ("low", "medium", "high", "auto")
    # What "auto" may resolve to: an estimate (and a budget) must assume the costliest.
    auto_quality: tuple[str, ...] = ("low", "medium", "high")
    transparency: Transparency = "yes"
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    compression: bool = True
    max_n: int = 10
    max_input_images: int = 16
    mask: bool = True
    input_fidelity: Fidelity = "parameter"
    # Family-specific controls: parameter -> its values (the first is what the API assumes when omitted).
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_partial_images: int = 3
    max_prompt_chars: int = 32_000
    output_tokens: TokenRule = field(default_factory=lambda: TokenFormula({"low": 16, "medium": 48, "high": 96}))
    prices: Price = field(default_factory=lambda: Price(Decimal(5), Decimal(8), Decimal(32)))
    # True for a name the catalog does not know: limits are permissive and prices are guesses.
    guessed: bool = False

    def ids(self) -> tuple[str, ...]:
        return (self.name, *self.snapshots)

    def retired(self, today: date) -> bool:
        return self.shutdown is not None and today >= self.shutdown

    def retiring(self, today: date, days: int = 30) -> bool:
        return self.shutdown is not None and (self.shutdown - today).days <= days

    @property
    def backgrounds(self) -> tuple[str, ...]:
        return ("auto", "opaque", "transparent") if self.transparency != "no" else ("auto", "opaque")

    def tokens_per_image(self, quality: str, size: str) -> int:
        """Output tokens of one image; auto quality counts as the costliest tier it may become."""
        if size == "auto":  # the model picks: count the largest standard size it may pick
            return max(self.tokens_per_image(quality, choice) for choice in AUTO_SIZES)
        width, height = parse_size(size) or (1024, 1024)
        if quality == "auto" or quality not in self.qualities:
            tiers = self.auto_quality if quality == "auto" else self.qualities
            return max(self.output_tokens.count(tier, width, height) for tier in tiers if tier != "auto")
        return self.output_tokens.count(quality, width, height)
