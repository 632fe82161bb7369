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


def ratio_name(width: int, height: int) -> str:
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def ratio_value(name: str) -> float:
    width, _sep, height = name.partition(":")
    return int(width) / int(height)


@dataclass(frozen=True)
class TieredSizes:
    """Named aspect ratios at a few resolution tiers, each one exact size (the Gemini image models).

    A WIDTHxHEIGHT asked for is mapped to the nearest ratio and the smallest tier that covers its pixels;
    the image keeps the size the model makes (`made()`), it is never rescaled to the one asked for.
    """

    table: Mapping[str, Mapping[str, tuple[int, int]]]  # tier -> ratio ("16:9") -> (width, height)
    default_tier: str = "1K"  # what the API makes when no tier is sent
    auto: bool = True
    tier_parameter: bool = True  # False: the model takes no imageSize (it makes one size a ratio)
    # How far (in log of the ratio) an asked-for aspect may be from the nearest one the model makes:
    # 0.12 takes 1536x1024 as 3:2 and 1920x1080 as 16:9, and refuses 3:1 when the widest is 21:9.
    tolerance: float = 0.12

    @property
    def flexible(self) -> bool:
        return False

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(self.table)

    @property
    def ratios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ratio for sizes in self.table.values() for ratio in sizes))

    @property
    def offered(self) -> tuple[str, ...]:
        exact = (f"{width}x{height}" for sizes in self.table.values() for width, height in sizes.values())
        return (("auto",) if self.auto else ()) + tuple(dict.fromkeys(exact))

    def nearest_ratio(self, aspect: float, tier: str | None = None) -> str:
        ratios = tuple(self.table[tier]) if tier else self.ratios
        return min(ratios, key=lambda name: abs(math.log(ratio_value(name) / aspect)))

    def fit(self, size: str) -> tuple[str, str] | None:
        """The (ratio, tier) that makes `size`, or None when no ratio is near enough or no tier is large enough."""
        parsed = parse_size(size)
        if parsed is None:
            return None
        width, height = parsed
        ratio = self.nearest_ratio(width / height)
        if abs(math.log(ratio_value(ratio) * height / width)) > self.tolerance:
            return None
        tier = next((tier for tier, sizes in self.table.items()
                     if ratio in sizes and sizes[ratio][0] * sizes[ratio][1] >= width * height), None)
        return (ratio, tier) if tier else None

    def tier_of(self, size: str) -> str:
        fitted = self.fit(size)
        return fitted[1] if fitted else self.default_tier

    def made(self, size: str) -> tuple[int, int]:
        """The pixels the model makes for `size` (auto: a square of the default tier)."""
        ratio, tier = self.fit(size) or ("1:1", self.default_tier)
        return self.table[tier].get(ratio) or next(iter(self.table[tier].values()))

    def problem(self, size: str) -> str | None:
        if (size == "auto" and self.auto) or self.fit(size):
            return None
        parsed = parse_size(size)
        if parsed is None:
            return _("Give the size as WIDTHxHEIGHT in pixels, for example 1536x1024.")
        ratio = self.nearest_ratio(parsed[0] / parsed[1])
        choices = ", ".join(f"{sizes[ratio][0]}x{sizes[ratio][1]}" for sizes in self.table.values() if ratio in sizes)
        if abs(math.log(ratio_value(ratio) * parsed[1] / parsed[0])) > self.tolerance:
            return _("This model makes the aspect ratios %(ratios)s; the nearest to %(size)s is %(ratio)s "
                     "(%(choices)s).") % {"ratios": ", ".join(self.ratios), "size": size, "ratio": ratio,
                                          "choices": choices}
        return _("At %(ratio)s this model makes %(choices)s; %(size)s is larger.") % {
            "ratio": ratio, "choices": choices, "size": size}

    def size_for(self, aspect: float, resolution: str) -> str:
        """The exact size of the ratio nearest `aspect` at the tier `resolution` (the default tier if unknown)."""
        tier = resolution if resolution in self.table else self.default_tier
        width, height = self.table[tier][self.nearest_ratio(aspect, tier)]
        return f"{width}x{height}"


SizeRule = FixedSizes | FlexibleSizes | TieredSizes


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


@dataclass(frozen=True)
class TierTokens:
    """Output image tokens by resolution tier, whatever the aspect (the Gemini image models)."""

    per_tier: Mapping[str, int]

    def count(self, quality: str, width: int, height: int) -> int:  # noqa: ARG002 - one tier, one count
        """Without the tier (a size rule knows it): the costliest, so that an estimate never falls short."""
        return max(self.per_tier.values())


TokenRule = OutputTokens | TokenFormula | TierTokens


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
    # False: the API makes one image a call, so n candidates are n calls (Gemini).
    accepts_n: bool = True
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
        if isinstance(self.output_tokens, TierTokens) and isinstance(self.sizes, TieredSizes):
            tier = self.sizes.tier_of(size)
            return self.output_tokens.per_tier.get(tier) or self.output_tokens.count(quality, 0, 0)
        if size == "auto":  # the model picks: count the largest standard size it may pick
            return max(self.tokens_per_image(quality, choice) for choice in AUTO_SIZES)
        width, height = parse_size(size) or (1024, 1024)
        if quality == "auto" or quality not in self.qualities:
            tiers = self.auto_quality if quality == "auto" else self.qualities
            return max(self.output_tokens.count(tier, width, height) for tier in tiers if tier != "auto")
        return self.output_tokens.count(quality, width, height)
