"""OpenAI's GPT Image models (docs/models.md has the source of every figure; re-check it there first).

Dates are OpenAI's; a gateway or Azure keeps its own, set in a provider's MODELS entry.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .spec import FixedSizes, ModelSpec, OutputTokens, Price, TokenFormula

# GPT Image 1, 1-mini and 1.5 share one output-token table (OpenAI's, also Azure's docs).
GPT_IMAGE_1_TOKENS = OutputTokens(
    square={"low": 272, "medium": 1056, "high": 4160},
    exact={
        "low": {"1024x1536": 408, "1536x1024": 400},
        "medium": {"1024x1536": 1584, "1536x1024": 1568},
        "high": {"1024x1536": 6240, "1536x1024": 6208},
    },
)
# GPT Image 2 and later count their own tokens (docs/models.md, "Output tokens"): gpt-image-2's factors
# reproduce OpenAI's calculator; 2.5's fit published 1024² figures; 2.6 has none published, so its low and
# medium are counted at the "3–4× of 2.5" reported and high and above as 2.5 (an estimate must not be low).
GPT_IMAGE_2_TOKENS = TokenFormula({"low": 16, "medium": 48, "high": 96})
GPT_IMAGE_2_5_TOKENS = TokenFormula({"low": 16, "medium": 24, "high": 48, "xhigh": 64, "max": 96})
GPT_IMAGE_2_6_TOKENS = TokenFormula({"low": 32, "medium": 48, "high": 48, "xhigh": 64, "max": 96})
GPT_IMAGE_2_PRICE = Price(text_input=Decimal("5.00"), image_input=Decimal("8.00"), image_output=Decimal("30.00"))
TIERS_2 = ("low", "medium", "high", "auto")
TIERS_2_5 = ("low", "medium", "high", "xhigh", "max", "auto")
COMPLEXITY = ("high", "medium", "low")  # the first is what the API assumes when it is omitted

# The mainline models that call the image_generation tool in the Responses API: their own token prices
# (USD per 1M, text in / text out; docs/responses-api.md §7). The cheapest current tier fits: it only routes.
DEFAULT_RESPONSES_MODEL = "gpt-5.6-luna"
MAINLINE_PRICES: dict[str, Price] = {
    "gpt-5.6-luna": Price(text_input=Decimal("1.00"), image_input=Decimal("1.00"), image_output=Decimal(0),
                          text_output=Decimal("6.00")),
}
# A mainline model without a price here: counted high, so that a budget is never under-reserved.
UNKNOWN_MAINLINE_PRICE = Price(text_input=Decimal("5.00"), image_input=Decimal("5.00"), image_output=Decimal(0),
                               text_output=Decimal("30.00"))


def mainline_price(model: str) -> Price:
    """A mainline model's prices; a dated snapshot (gpt-5.6-luna-2026-06-26) costs what its family does."""
    return MAINLINE_PRICES.get(re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model), UNKNOWN_MAINLINE_PRICE)


SUNBURST_26 = "gpt-image-2.6-sunburst"
FLARE_26 = "gpt-image-2.6-flare"

OPENAI_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        FLARE_26, _("GPT Image 2.6 Flare"), _("Flare — fast drafts"),
        released=date(2026, 11, 4),
        qualities=TIERS_2_5, transparency="yes", input_fidelity="automatic", controls={"complexity": COMPLEXITY},
        output_tokens=GPT_IMAGE_2_6_TOKENS, prices=GPT_IMAGE_2_PRICE,
    ),
    ModelSpec(
        SUNBURST_26, _("GPT Image 2.6 Sunburst"), _("Sunburst — final images, keeps subjects across edits"),
        released=date(2026, 11, 4),
        qualities=TIERS_2_5, transparency="yes", input_fidelity="automatic", controls={"complexity": COMPLEXITY},
        output_tokens=GPT_IMAGE_2_6_TOKENS, prices=GPT_IMAGE_2_PRICE,
    ),
    ModelSpec(
        "gpt-image-2.5-flare", _("GPT Image 2.5 Flare"), _("Flare — fast drafts"),
        snapshots=("gpt-image-2.5-flare-2026-09-08",), released=date(2026, 9, 8),
        qualities=TIERS_2_5, transparency="yes", input_fidelity="automatic",
        output_tokens=GPT_IMAGE_2_5_TOKENS, prices=GPT_IMAGE_2_PRICE,
    ),
    ModelSpec(
        "gpt-image-2.5-sunburst", _("GPT Image 2.5 Sunburst"), _("Sunburst — detail and steady edits"),
        snapshots=("gpt-image-2.5-sunburst-2026-09-08",), released=date(2026, 9, 8),
        qualities=TIERS_2_5, transparency="yes", input_fidelity="automatic",
        output_tokens=GPT_IMAGE_2_5_TOKENS, prices=GPT_IMAGE_2_PRICE,
    ),
    ModelSpec(
        "gpt-image-2", _("GPT Image 2"), _("The first model with free sizes"),
        snapshots=("gpt-image-2-2026-04-21",), released=date(2026, 4, 21),
        qualities=TIERS_2, transparency="preview", input_fidelity="automatic",
        output_tokens=GPT_IMAGE_2_TOKENS, prices=GPT_IMAGE_2_PRICE,
    ),
    ModelSpec(
        "gpt-image-1.5", _("GPT Image 1.5"), _("Retired by OpenAI; gateways may still serve it"),
        snapshots=("gpt-image-1.5-2025-12-16",), released=date(2025, 12, 16), shutdown=date(2026, 12, 1),
        successor=SUNBURST_26, sizes=FixedSizes(), output_tokens=GPT_IMAGE_1_TOKENS,
        prices=Price(Decimal("5.00"), Decimal("8.00"), Decimal("32.00"), Decimal("10.00")),
    ),
    ModelSpec(
        "gpt-image-1-mini", _("GPT Image 1 mini"), _("Retired by OpenAI"),
        shutdown=date(2026, 12, 1), successor=FLARE_26, sizes=FixedSizes(), input_fidelity="none",
        output_tokens=GPT_IMAGE_1_TOKENS, prices=Price(Decimal("2.00"), Decimal("2.50"), Decimal("8.00")),
    ),
    ModelSpec(
        "chatgpt-image-latest", _("ChatGPT Image (latest)"), _("Retired by OpenAI"),
        shutdown=date(2026, 12, 1), successor=FLARE_26, sizes=FixedSizes(), output_tokens=GPT_IMAGE_1_TOKENS,
        prices=Price(Decimal("5.00"), Decimal("8.00"), Decimal("32.00"), Decimal("10.00")),
    ),
    ModelSpec(
        "gpt-image-1", _("GPT Image 1"), _("Retired by OpenAI"),
        released=date(2025, 4, 23), shutdown=date(2026, 10, 23), successor=SUNBURST_26, sizes=FixedSizes(),
        output_tokens=GPT_IMAGE_1_TOKENS, prices=Price(Decimal("5.00"), Decimal("10.00"), Decimal("40.00")),
    ),
)
