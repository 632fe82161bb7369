"""Token counts the fake reports in `usage`: its own rules, kept apart from the app's estimates on purpose.

A fake that borrowed the app's pricing could never catch a wrong estimate; these rules come from the
sources named beside each one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Output image tokens of one image: (quality, width, height) -> tokens. Quality is resolved (never "auto").
OutputTokens = Callable[[str, int, int], int]

# Streaming adds about this many output tokens per partial image (community.openai.com, "gpt-image-1
# collected pricing"; image-apis.md §1.9).
PARTIAL_IMAGE_TOKENS = 100

# GPT Image 1, 1-mini and 1.5 share OpenAI's table (MicrosoftDocs/azure-ai-docs "Image generation tokens";
# image-apis.md §1.9), for the three sizes these models draw.
GPT_IMAGE_1_TABLE: Mapping[str, Mapping[tuple[int, int], int]] = {
    "low": {(1024, 1024): 272, (1024, 1536): 408, (1536, 1024): 400},
    "medium": {(1024, 1024): 1056, (1024, 1536): 1584, (1536, 1024): 1568},
    "high": {(1024, 1024): 4160, (1024, 1536): 6240, (1536, 1024): 6208},
}


@dataclass(frozen=True)
class TokenCount:
    """What one call (or one streamed image) used; the API reports no output text for images."""

    input_text: int = 0
    input_image: int = 0
    output_image: int = 0

    @property
    def total(self) -> int:
        return self.input_text + self.input_image + self.output_image


def gpt_image_1_tokens(quality: str, width: int, height: int) -> int:
    return GPT_IMAGE_1_TABLE[quality][width, height]


def free_size_tokens(factors: Mapping[str, int]) -> OutputTokens:
    """GPT Image 2 and later: a quality factor q, then the grid the image is drawn on, then its area.

    OpenAI publishes a calculator, not a formula. This one (community.openai.com/t/1382699, "gpt-image-2
    output pricing calculator") meets the anchors read off that calculator: 196 (low, 1024²), 7,024 (high,
    1024²), 5,488 (high, 1536x1024) — and OpenAI's per-image examples at $30/1M ($0.006 / $0.053 / $0.211
    square, $0.005 / $0.041 / $0.165 portrait; yingtu.ai/en/blog/gpt-image-2-cost-per-image).
    """

    def count(quality: str, width: int, height: int) -> int:
        q = factors[quality]
        long, short = max(width, height), min(width, height)
        rows = (2 * q * short + long) // (2 * long)  # q * short / long, rounded half up
        return math.ceil(q * rows * (2_000_000 + width * height) / 4_000_000)

    return count


# gpt-image-2: q 16 / 48 / 96 meets every anchor above.
GPT_IMAGE_2_TOKENS = free_size_tokens({"low": 16, "medium": 48, "high": 96})
# gpt-image-2.5: published 1024² counts 196 / 439 / 1,756 / 3,122 / 7,024 (github.com/sanand0/blog,
# "quality levels of gpt-image-2.5-flare", citing cellcog.ai) are met by q 16 / 24 / 48 / 64 / 96.
GPT_IMAGE_2_5_TOKENS = free_size_tokens({"low": 16, "medium": 24, "high": 48, "xhigh": 64, "max": 96})
# gpt-image-2.6: no counts are published. A gateway (docs.laozhang.ai, gpt-image-2-6) says low and medium
# use 3-4x the tokens of 2.5 and high and above the same: q 32 / 48 give 4x at low / medium.
GPT_IMAGE_2_6_TOKENS = free_size_tokens({"low": 32, "medium": 48, "high": 48, "xhigh": 64, "max": 96})


def text_tokens(prompt: str) -> int:
    """Without a tokenizer: about four characters a token, and never none."""
    return max(1, math.ceil(len(prompt) / 4))


def input_image_tokens(width: int, height: int, high_fidelity: bool) -> int:
    """One input image: 512-pixel tiles after fitting into 2048 and then a 768 short side, 85 + 170 a tile
    (OpenAI's vision rule for GPT-4o-class inputs); high input fidelity counts four times as much."""
    fit = min(1.0, 2048 / max(width, height, 1))
    width, height = width * fit, height * fit
    shrink = min(1.0, 768 / max(min(width, height), 1))
    tiles = math.ceil(width * shrink / 512) * math.ceil(height * shrink / 512)
    tokens = 85 + 170 * tiles
    return 4 * tokens if high_fidelity else tokens
