"""Google's Gemini image models, "Nano Banana" (docs/gemini.md has the source of every figure).

Sizes are named aspect ratios at resolution tiers, each one exact size; there is no quality, no mask,
no transparency and no `n` (one image a call). Dates are Google's (the Gemini API's deprecations page).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .spec import ModelSpec, Price, TieredSizes, TierTokens

# Google's image-generation guide: the size of each aspect ratio at each tier (docs/gemini.md §3).
# The 512 tier's 21:9 is 792×168 in every copy of Google's table, though that is not 21:9.
PIXELS: dict[str, dict[str, tuple[int, int]]] = {
    "512": {"1:1": (512, 512), "1:4": (256, 1024), "1:8": (192, 1536), "2:3": (424, 632), "3:2": (632, 424),
            "3:4": (448, 600), "4:1": (1024, 256), "4:3": (600, 448), "4:5": (464, 576), "5:4": (576, 464),
            "8:1": (1536, 192), "9:16": (384, 688), "16:9": (688, 384), "21:9": (792, 168)},
    "1K": {"1:1": (1024, 1024), "1:4": (512, 2048), "1:8": (384, 3072), "2:3": (848, 1264), "3:2": (1264, 848),
           "3:4": (896, 1200), "4:1": (2048, 512), "4:3": (1200, 896), "4:5": (928, 1152), "5:4": (1152, 928),
           "8:1": (3072, 384), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672)},
    "2K": {"1:1": (2048, 2048), "1:4": (1024, 4096), "1:8": (768, 6144), "2:3": (1696, 2528), "3:2": (2528, 1696),
           "3:4": (1792, 2400), "4:1": (4096, 1024), "4:3": (2400, 1792), "4:5": (1856, 2304), "5:4": (2304, 1856),
           "8:1": (6144, 768), "9:16": (1536, 2752), "16:9": (2752, 1536), "21:9": (3168, 1344)},
    "4K": {"1:1": (4096, 4096), "1:4": (2048, 8192), "1:8": (1536, 12288), "2:3": (3392, 5056),
           "3:2": (5056, 3392), "3:4": (3584, 4800), "4:1": (8192, 2048), "4:3": (4800, 3584), "4:5": (3712, 4608),
           "5:4": (4608, 3712), "8:1": (12288, 1536), "9:16": (3072, 5504), "16:9": (5504, 3072),
           "21:9": (6336, 2688)},
}
# The ten ratios of Pro and Lite; the Flash models add 1:4, 4:1, 1:8 and 8:1.
STANDARD_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
ALL_RATIOS = tuple(PIXELS["1K"])
# Gemini 2.5 Flash Image makes one size a ratio and takes no imageSize.
GEMINI_2_5_PIXELS = {"1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184),
                     "4:3": (1184, 864), "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344),
                     "16:9": (1344, 768), "21:9": (1536, 672)}


def tiers(names: tuple[str, ...], ratios: tuple[str, ...] = ALL_RATIOS, **rule: object) -> TieredSizes:
    return TieredSizes({tier: {ratio: PIXELS[tier][ratio] for ratio in ratios} for tier in names}, **rule)


def gemini(name: str, label: object, description: object, **fields: object) -> ModelSpec:
    """A Gemini image model: what they all share, and the rest from `fields`."""
    shared: dict[str, object] = {
        "api": "gemini", "qualities": ("auto",), "auto_quality": ("auto",), "transparency": "no",
        "formats": ("png",), "compression": False, "max_n": 4, "accepts_n": False, "mask": False,
        "input_fidelity": "automatic", "max_partial_images": 0, "max_input_images": 14,
    }
    return ModelSpec(name, label, description, **{**shared, **fields})  # type: ignore[arg-type]


NANO_BANANA_2_1 = "gemini-nano-banana-2.1"
NANO_BANANA_PRO = "gemini-3-pro-image"

_NANO_BANANA_2 = gemini(
    "gemini-3.1-flash-image", _("Nano Banana 2"), _("Retired: use Nano Banana 2.1"),
    released=date(2026, 5, 28), shutdown=date(2026, 10, 29), successor=NANO_BANANA_2_1,
    sizes=tiers(("512", "1K", "2K", "4K")),
    output_tokens=TierTokens({"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}),
    prices=Price(Decimal("0.50"), Decimal("0.50"), Decimal("60.00"), Decimal("3.00")),
)
_NANO_BANANA_PRO = gemini(
    NANO_BANANA_PRO, _("Nano Banana Pro"), _("Gemini 3 Pro — careful thinking, exact text, up to 4K"),
    released=date(2026, 5, 28), sizes=tiers(("1K", "2K", "4K"), STANDARD_RATIOS),
    output_tokens=TierTokens({"1K": 1120, "2K": 1120, "4K": 2000}),
    prices=Price(Decimal("2.00"), Decimal("2.00"), Decimal("120.00"), Decimal("12.00")),
)

GEMINI_MODELS: tuple[ModelSpec, ...] = (
    gemini(
        NANO_BANANA_2_1, _("Nano Banana 2.1"), _("Gemini — fast, 14 aspect ratios up to 4K"),
        released=date(2026, 10, 6), sizes=tiers(("1K", "2K", "4K")),
        # 1K is Google's figure; 2K and 4K are derived from gateways' per-image prices (docs/gemini.md).
        output_tokens=TierTokens({"1K": 1120, "2K": 1680, "4K": 3780}),
        prices=Price(Decimal("1.50"), Decimal("1.50"), Decimal("30.00"), Decimal("7.50")),
    ),
    _NANO_BANANA_PRO,
    gemini(
        "gemini-3.1-flash-lite-image", _("Nano Banana 2 Lite"), _("Gemini — the quickest and cheapest, 1K only"),
        released=date(2026, 6, 30), sizes=tiers(("1K",), STANDARD_RATIOS),
        output_tokens=TierTokens({"1K": 1120}),
        prices=Price(Decimal("0.25"), Decimal("0.25"), Decimal("30.00"), Decimal("1.50")),
    ),
    _NANO_BANANA_2,
    # The previews: the same models as their releases, retired earlier.
    replace(_NANO_BANANA_2, name="gemini-3.1-flash-image-preview", label=_("Nano Banana 2 (preview)"),
            released=date(2026, 2, 26), shutdown=date(2026, 6, 25)),
    replace(_NANO_BANANA_PRO, name="gemini-3-pro-image-preview", label=_("Nano Banana Pro (preview)"),
            description=_("Retired: use Nano Banana Pro"), released=date(2025, 11, 20), shutdown=date(2026, 6, 25),
            successor=NANO_BANANA_PRO),
    gemini(
        "gemini-2.5-flash-image", _("Nano Banana"), _("Retired: use Nano Banana 2.1"),
        released=date(2025, 10, 2), shutdown=date(2026, 10, 2), successor=NANO_BANANA_2_1,
        sizes=TieredSizes({"1K": GEMINI_2_5_PIXELS}, tier_parameter=False), max_input_images=3,
        output_tokens=TierTokens({"1K": 1290}),
        prices=Price(Decimal("0.30"), Decimal("0.30"), Decimal("30.00"), Decimal("2.50")),
    ),
)

# A name the catalog does not know, on a Gemini provider: every ratio and tier, the costliest prices.
PERMISSIVE_GEMINI = gemini(
    "unknown", _("Unknown model"), _("Not in the catalog: limits and prices are guesses."),
    sizes=tiers(("512", "1K", "2K", "4K")), output_tokens=TierTokens({"512": 2000, "1K": 2000, "2K": 2000,
                                                                       "4K": 3780}),
    prices=Price(Decimal("2.00"), Decimal("2.00"), Decimal("120.00"), Decimal("12.00")), guessed=True,
)
