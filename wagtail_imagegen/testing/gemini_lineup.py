"""The fake's own table of Google's Gemini image models, as of 2026-12: aspect ratios, size tiers, the pixel
size of every aspect x tier, output tokens, reference limits and the calendar.

Like lineup.py for OpenAI, this is a test oracle and never reads the app's catalog. Every fact and its
source is in docs/gemini.md (Google's image-generation guide tables, the Gemini API deprecations page and
release notes, model cards; gateways where Google is silent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

Size = tuple[int, int]

# Nano Banana 2's aspect ratios; Pro, Lite and 2.5 lack the four extreme ones.
ASPECTS_14 = ("1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9")
ASPECTS_10 = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
TIERS = ("512", "1K", "2K", "4K")

# Google's table for gemini-3.1-flash-image (docs/gemini.md §3): aspect -> size at 512, 1K, 2K, 4K.
# The other Gemini 3 image models use the same cells for the tiers they have. 21:9 at 512 is 792x168 in
# every copy of Google's table (not 21:9; kept, since it is what the table says).
GEMINI_3_SIZES: Mapping[str, tuple[Size, Size, Size, Size]] = {
    "1:1": ((512, 512), (1024, 1024), (2048, 2048), (4096, 4096)),
    "1:4": ((256, 1024), (512, 2048), (1024, 4096), (2048, 8192)),
    "1:8": ((192, 1536), (384, 3072), (768, 6144), (1536, 12288)),
    "2:3": ((424, 632), (848, 1264), (1696, 2528), (3392, 5056)),
    "3:2": ((632, 424), (1264, 848), (2528, 1696), (5056, 3392)),
    "3:4": ((448, 600), (896, 1200), (1792, 2400), (3584, 4800)),
    "4:1": ((1024, 256), (2048, 512), (4096, 1024), (8192, 2048)),
    "4:3": ((600, 448), (1200, 896), (2400, 1792), (4800, 3584)),
    "4:5": ((464, 576), (928, 1152), (1856, 2304), (3712, 4608)),
    "5:4": ((576, 464), (1152, 928), (2304, 1856), (4608, 3712)),
    "8:1": ((1536, 192), (3072, 384), (6144, 768), (12288, 1536)),
    "9:16": ((384, 688), (768, 1376), (1536, 2752), (3072, 5504)),
    "16:9": ((688, 384), (1376, 768), (2752, 1536), (5504, 3072)),
    "21:9": ((792, 168), (1584, 672), (3168, 1344), (6336, 2688)),
}
# gemini-2.5-flash-image draws one fixed size per aspect ratio and has no imageSize.
GEMINI_2_5_SIZES: Mapping[str, Size] = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
    "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
}


@dataclass(frozen=True)
class GeminiFamily:
    """What a group of Gemini image model ids accepts and how it bills.

    `tiers` empty: the model takes no imageSize (2.5). `signs`: Gemini 3 models put thought signatures
    on their parts and refuse earlier image parts sent back without them. `thoughts` is the fake's own
    thoughts-token count per thinkingLevel (Google publishes none; "" is the model's default).
    """

    name: str
    aspects: tuple[str, ...]
    tiers: tuple[str, ...]
    output_tokens: Mapping[str, int]  # tier (or "" when the model has no tiers) -> tokens of one image
    max_images: int
    signs: bool = True
    thoughts: Mapping[str, int] = field(default_factory=dict)
    # The fake's count for one input image (Google bills Gemini 3 inputs at about $0.0011 an image on Pro,
    # ~560 tokens; Gemini 2.x counts 258 a tile).
    input_image_tokens: int = 560

    def pixel_size(self, aspect: str, tier: str) -> Size:
        if not self.tiers:
            return GEMINI_2_5_SIZES[aspect]
        return GEMINI_3_SIZES[aspect][TIERS.index(tier)]

    @property
    def default_tier(self) -> str:
        return "1K" if self.tiers else ""


NANO_BANANA_2_1 = GeminiFamily(
    "nano-banana-2.1", ASPECTS_14, ("1K", "2K", "4K"), {"1K": 1120, "2K": 1680, "4K": 3780}, 14,
    thoughts={"": 96, "MINIMAL": 0, "LOW": 48, "MEDIUM": 96, "HIGH": 256},
)
NANO_BANANA_PRO = GeminiFamily(
    "nano-banana-pro", ASPECTS_10, ("1K", "2K", "4K"), {"1K": 1120, "2K": 1120, "4K": 2000}, 14,
    thoughts={"": 192},  # always thinks, the level is not exposed
)
NANO_BANANA_2_LITE = GeminiFamily(
    "nano-banana-2-lite", ASPECTS_10, ("1K",), {"1K": 1120}, 14,
    thoughts={"": 0, "MINIMAL": 0, "HIGH": 128},
)
NANO_BANANA_2 = GeminiFamily(
    "nano-banana-2", ASPECTS_14, TIERS, {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}, 14,
    thoughts={"": 0, "MINIMAL": 0, "HIGH": 256},
)
NANO_BANANA = GeminiFamily(
    "nano-banana", ASPECTS_10, (), {"": 1290}, 3, signs=False, input_image_tokens=258,
)


@dataclass(frozen=True)
class GeminiModel:
    id: str
    family: GeminiFamily
    released: date
    shutdown: date | None = None
    successor: str | None = None

    def retired_on(self, today: date) -> bool:
        """From its shutdown date on, the model answers 404 like an unknown one."""
        return self.shutdown is not None and today >= self.shutdown


GEMINI_LINEUP: tuple[GeminiModel, ...] = (
    GeminiModel("gemini-nano-banana-2.1", NANO_BANANA_2_1, date(2026, 10, 6)),
    GeminiModel("gemini-3-pro-image", NANO_BANANA_PRO, date(2026, 5, 28)),
    GeminiModel("gemini-3.1-flash-lite-image", NANO_BANANA_2_LITE, date(2026, 6, 30)),
    GeminiModel("gemini-3.1-flash-image", NANO_BANANA_2, date(2026, 5, 28), date(2026, 10, 29),
                "gemini-nano-banana-2.1"),
    GeminiModel("gemini-3.1-flash-image-preview", NANO_BANANA_2, date(2026, 2, 26), date(2026, 6, 25),
                "gemini-3.1-flash-image"),
    GeminiModel("gemini-3-pro-image-preview", NANO_BANANA_PRO, date(2025, 11, 20), date(2026, 6, 25),
                "gemini-3-pro-image"),
    GeminiModel("gemini-2.5-flash-image", NANO_BANANA, date(2025, 10, 2), date(2026, 10, 2),
                "gemini-3.1-flash-lite-image"),
)
_BY_ID = {model.id: model for model in GEMINI_LINEUP}


def find_gemini_model(model_id: str) -> GeminiModel | None:
    """The model an id names (a `models/` prefix allowed), or None for one Google does not know."""
    return _BY_ID.get(model_id.removeprefix("models/"))


def nearest_aspect(width: int, height: int, aspects: tuple[str, ...]) -> str:
    """The supported aspect ratio closest to WIDTHxHEIGHT (what the model does without aspectRatio)."""
    def distance(aspect: str) -> float:
        w, h = (int(part) for part in aspect.split(":"))
        return abs(w / h - width / height)

    return min(aspects, key=distance)
