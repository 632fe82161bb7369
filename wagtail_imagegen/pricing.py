"""Token counts and prices: a cost estimate before a job runs, and its actual cost from the API's usage.

Prices are USD per million tokens and can be overridden in WAGTAIL_IMAGEGEN["PRICES"] (the model list
and price sheets move faster than releases of this package).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from .providers.base import SIZE_PATTERN, Usage

# Output image tokens per image for the GPT Image models (identical for gpt-image-1, -1-mini and -1.5).
OUTPUT_IMAGE_TOKENS: dict[str, dict[str, int]] = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
# What "auto" most often resolves to; an estimate must pick something.
AUTO_QUALITY = "medium"
AUTO_SIZE = "1024x1024"
# Streaming adds about this many output tokens per partial image.
PARTIAL_IMAGE_TOKENS = 100


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    text_input: Decimal
    image_input: Decimal
    image_output: Decimal
    text_output: Decimal = Decimal(0)


PRICES: dict[str, Price] = {
    "gpt-image-1.5": Price(Decimal("5.00"), Decimal("8.00"), Decimal("32.00"), Decimal("10.00")),
    "gpt-image-1": Price(Decimal("5.00"), Decimal("10.00"), Decimal("40.00")),
    "gpt-image-1-mini": Price(Decimal("2.00"), Decimal("2.50"), Decimal("8.00")),
}
# Unknown models (gpt-image-2, gateways' aliases) are priced like gpt-image-1.5 until configured.
FALLBACK_MODEL = "gpt-image-1.5"


def price_for(model: str) -> Price:
    """The price sheet for `model`: settings first, then the built-in table, then the fallback."""
    from .conf import imagegen_settings

    overrides = imagegen_settings().get("PRICES") or {}
    if model in overrides:
        return Price(*(Decimal(str(overrides[model][key])) for key in Price.__dataclass_fields__))
    for name in sorted(PRICES, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            return PRICES[name]
    return PRICES[FALLBACK_MODEL]


def output_image_tokens(size: str, quality: str) -> int:
    """Output tokens for one image; custom sizes (gpt-image-2) scale with their area."""
    quality = AUTO_QUALITY if quality in ("auto", "", None) else quality
    size = AUTO_SIZE if size in ("auto", "", None) else size
    table = OUTPUT_IMAGE_TOKENS.get(quality, OUTPUT_IMAGE_TOKENS[AUTO_QUALITY])
    if size in table:
        return table[size]
    match = SIZE_PATTERN.match(size)
    area = int(match[1]) * int(match[2]) if match else 1024 * 1024
    return math.ceil(table[AUTO_SIZE] * area / (1024 * 1024))


def text_tokens(prompt: str) -> int:
    """A tokenizer-free estimate: about four characters a token."""
    return max(1, math.ceil(len(prompt) / 4))


def input_image_tokens(width: int, height: int, input_fidelity: str | None = None) -> int:
    """Approximate input tokens for one image: 512-pixel tiles after fitting into 2048 and 768 short side.

    High input fidelity sends the image at a larger scale, which costs about four times as many tokens.
    """
    scale = min(1.0, 2048 / max(width, height, 1))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / max(min(width, height), 1))
    tiles = math.ceil(width * scale / 512) * math.ceil(height * scale / 512)
    tokens = 85 + 170 * tiles
    return tokens * 4 if input_fidelity == "high" else tokens


def cost_of(usage: Usage, model: str) -> Decimal:
    """The actual cost of a call from the usage the API reported."""
    price = price_for(model)
    total = (
        usage.input_text_tokens * price.text_input
        + usage.input_image_tokens * price.image_input
        + usage.output_image_tokens * price.image_output
        + usage.output_text_tokens * price.text_output
    )
    return (total / Decimal(1_000_000)).quantize(Decimal("0.000001"))


def estimate_usage(
    *,
    prompt: str,
    size: str,
    quality: str,
    n: int = 1,
    input_sizes: tuple[tuple[int, int], ...] = (),
    input_fidelity: str | None = None,
    partial_images: int = 0,
) -> Usage:
    """What a request should use, before it is sent."""
    return Usage(
        input_text_tokens=text_tokens(prompt),
        input_image_tokens=sum(input_image_tokens(w, h, input_fidelity) for w, h in input_sizes),
        output_image_tokens=n * (output_image_tokens(size, quality) + partial_images * PARTIAL_IMAGE_TOKENS),
    )


def estimate_cost(model: str, **request: object) -> Decimal:
    """The estimated cost in USD of a request (keyword arguments as for `estimate_usage`)."""
    return cost_of(estimate_usage(**request), model)  # type: ignore[arg-type]
