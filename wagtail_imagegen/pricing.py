"""Token counts and prices from the model catalog: a cost estimate before a job runs, and its actual cost.

Prices are USD per million tokens; a model's PRICES can be amended in WAGTAIL_IMAGEGEN["MODELS"].
"""

from __future__ import annotations

import math
from decimal import Decimal

from .catalog import JobSpec, ModelSpec
from .catalog.openai import mainline_price
from .providers.base import Usage

# Streaming adds about this many output tokens per partial image.
PARTIAL_IMAGE_TOKENS = 100


def text_tokens(prompt: str) -> int:
    """A tokenizer-free estimate: about four characters a token."""
    return max(1, math.ceil(len(prompt) / 4))


def input_image_tokens(width: int, height: int, high_fidelity: bool = False) -> int:
    """Input tokens for one image: 512-pixel tiles after fitting into 2048 and a 768 short side.

    High input fidelity (asked for, or automatic on GPT Image 2 and later) costs about four times as much.
    """
    scale = min(1.0, 2048 / max(width, height, 1))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / max(min(width, height), 1))
    tiles = math.ceil(width * scale / 512) * math.ceil(height * scale / 512)
    tokens = 85 + 170 * tiles
    return tokens * 4 if high_fidelity else tokens


def high_fidelity(model: ModelSpec, spec: JobSpec) -> bool:
    return model.input_fidelity == "automatic" or spec.input_fidelity == "high"


def estimate_usage(model: ModelSpec, spec: JobSpec, *, prompt: str,
                   input_sizes: tuple[tuple[int, int], ...] = ()) -> Usage:
    """What a request should use, before it is sent (never less than it may use: budgets rely on it)."""
    per_image = model.tokens_per_image(spec.quality, spec.size)
    previews = (spec.partial_images or 0) * PARTIAL_IMAGE_TOKENS
    fidelity = high_fidelity(model, spec)
    return Usage(
        input_text_tokens=text_tokens(prompt),
        input_image_tokens=sum(input_image_tokens(w, h, fidelity) for w, h in input_sizes),
        output_image_tokens=spec.n * (per_image + previews),
    )


def cost_of(usage: Usage, model: ModelSpec) -> Decimal:
    """The cost of a call from the usage the API reported."""
    price = model.prices
    total = (
        usage.input_text_tokens * price.text_input
        + usage.input_image_tokens * price.image_input
        + usage.output_image_tokens * price.image_output
        + usage.output_text_tokens * price.text_output
    )
    return ((total + mainline_tokens_cost(usage)) / Decimal(1_000_000)).quantize(Decimal("0.000001"))


def mainline_tokens_cost(usage: Usage) -> Decimal:
    """The Responses API's mainline model's tokens at its own prices (USD per million tokens)."""
    if not usage.mainline_model:
        return Decimal(0)
    price = mainline_price(usage.mainline_model)
    return usage.mainline_input_tokens * price.text_input + usage.mainline_output_tokens * price.text_output


def mainline_cost(usage: Usage) -> Decimal:
    """The cost of a call that only the mainline model worked on (a description)."""
    return (mainline_tokens_cost(usage) / Decimal(1_000_000)).quantize(Decimal("0.000001"))


# A description's answer is one short sentence; a low-detail image is this many input tokens.
DESCRIPTION_OUTPUT_TOKENS = 100
LOW_DETAIL_IMAGE_TOKENS = 85


def estimate_description_cost(model: str, instruction: str) -> Decimal:
    """What describing one image should cost, before it is sent (never less than it may)."""
    return mainline_cost(Usage(mainline_input_tokens=text_tokens(instruction) + LOW_DETAIL_IMAGE_TOKENS,
                               mainline_output_tokens=DESCRIPTION_OUTPUT_TOKENS, mainline_model=model))


def estimate_cost(model: ModelSpec, spec: JobSpec, *, prompt: str,
                  input_sizes: tuple[tuple[int, int], ...] = ()) -> Decimal:
    return cost_of(estimate_usage(model, spec, prompt=prompt, input_sizes=input_sizes), model)
