"""The fake's own table of OpenAI's image models, as of 2026-12: what each accepts and when it shuts down.

The fake is a test oracle, so it never reads the app's catalog: where the two disagree, a test fails.
Sources (stored copies): OpenAI's Python SDK 3.57 (`types/image_model.py`, `resources/images.py`
docstrings); OpenAI's API reference (developers.openai.com/api/reference/resources/images/methods/generate,
and its w3cschool.cn translation of 2026-11-11); OpenAI's deprecations page; gateway docs where OpenAI is
silent (named beside the fact). image-apis.md §0 and §1 summarise them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from . import tokens
from .tokens import OutputTokens

QUALITIES = ("low", "medium", "high", "auto")
# 2.5 and 2.6 add two tiers above high (SDK 3.57 `quality` docstring; apidog.com/blog/gpt-image-2-6-api).
QUALITIES_2_5 = ("low", "medium", "high", "xhigh", "max", "auto")
FORMATS = ("png", "jpeg", "webp")
# 2.6 also returns animated GIF and SVG (SDK 3.57 `output_format`, `frame_count`, `svg`; docs.laozhang.ai and
# docs.apiyi.com gpt-image-2-6; replicate.com openai/gpt-image-2.6-flare). No source offers them on 2.5.
FORMATS_2_6 = (*FORMATS, "gif", "svg")
# The three sizes GPT Image 1.x draws, and `auto` (OpenAPI spec `CreateImageRequest.size`).
STANDARD_SIZES = ("1024x1024", "1024x1536", "1536x1024", "auto")
# `complexity` (2.6 only): how much the model plans; "high" when omitted (OpenAI's guide, ko-KR copy;
# replicate.com default; ComfyUI docs: "2.5 models use a fixed planning depth").
COMPLEXITIES = ("low", "medium", "high")
SIZE_PATTERN = re.compile(r"^(\d+)x(\d+)$")


@dataclass(frozen=True)
class FreeSizes:
    """GPT Image 2 and later: `auto` or any WIDTHxHEIGHT within these limits.

    Multiples of 16, aspect 1:3-3:1, at most 3840x2160: SDK 3.57 `size` docstring. Long edge 3840 and total
    pixels 655,360-8,294,400 ("the model's current pixel and edge limits"): docs.anyfast.ai gpt-image-2,
    docs.comfy.org OpenAIGPTImageNodeV3 and xairouter.com agree.
    """

    multiple: int = 16
    max_edge: int = 3840
    max_ratio: int = 3
    min_pixels: int = 655_360
    max_pixels: int = 8_294_400

    def problem(self, width: int, height: int) -> str | None:
        """Which rule WIDTHxHEIGHT breaks, in OpenAI's style of message; None when it breaks none."""
        long, short = max(width, height), min(width, height)
        if width % self.multiple or height % self.multiple:
            return f"Width and height must both be divisible by {self.multiple}."
        if long > self.max_ratio * short:
            return f"The aspect ratio must be between 1:{self.max_ratio} and {self.max_ratio}:1."
        if long > self.max_edge:
            return f"The longest edge must be at most {self.max_edge} pixels."
        if width * height < self.min_pixels:
            return f"The image must have at least {self.min_pixels:,} pixels in total."
        if width * height > self.max_pixels:
            return f"The image must have at most {self.max_pixels:,} pixels in total (3840x2160)."
        return None


FREE_SIZES = FreeSizes()


@dataclass(frozen=True)
class Family:
    """What a group of model ids accepts. `sizes` None means the FREE_SIZES rule."""

    name: str
    output_tokens: OutputTokens
    qualities: tuple[str, ...] = QUALITIES
    sizes: tuple[str, ...] | None = None
    formats: tuple[str, ...] = FORMATS
    input_fidelity: tuple[str, ...] = ()  # values accepted; none: the parameter is refused
    complexity: tuple[str, ...] = ()
    # GPT Image 2 and later treat every input at high fidelity, unasked (image-apis.md §0).
    automatic_fidelity: bool = False
    # dall-e: known to OpenAI, but the fake draws GPT Image answers only.
    drawn: bool = True


# Transparent backgrounds: every GPT Image family takes them (SDK 3.57 `background`: 2.5 "supports";
# gpt-image-2 "in preview"; OpenAI's 2.6 prompting guide: "transparent backgrounds"), so no flag for it.
GPT_IMAGE_1 = Family("gpt-image-1", tokens.gpt_image_1_tokens, sizes=STANDARD_SIZES, input_fidelity=("high", "low"))
# SDK 3.57 `input_fidelity`: "gpt-image-1-mini supports only low" (the 2025 spec said "unsupported").
GPT_IMAGE_1_MINI = Family("gpt-image-1-mini", tokens.gpt_image_1_tokens, sizes=STANDARD_SIZES,
                          input_fidelity=("low",))
# input_fidelity on 2.x: "For gpt-image-2, omit this parameter" (SDK 3.57).
GPT_IMAGE_2 = Family("gpt-image-2", tokens.GPT_IMAGE_2_TOKENS, automatic_fidelity=True)
GPT_IMAGE_2_5 = Family("gpt-image-2.5", tokens.GPT_IMAGE_2_5_TOKENS, qualities=QUALITIES_2_5,
                       automatic_fidelity=True)
GPT_IMAGE_2_6 = Family("gpt-image-2.6", tokens.GPT_IMAGE_2_6_TOKENS, qualities=QUALITIES_2_5, formats=FORMATS_2_6,
                       complexity=COMPLEXITIES, automatic_fidelity=True)
DALL_E = Family("dall-e", tokens.gpt_image_1_tokens, drawn=False)
# An Azure deployment's name is the customer's, so an unknown one may be any model: take everything and
# leave the last word to the real service.
ANY_DEPLOYMENT = Family("azure-deployment", tokens.GPT_IMAGE_2_6_TOKENS, qualities=QUALITIES_2_5,
                        formats=FORMATS_2_6, input_fidelity=("high", "low"), complexity=COMPLEXITIES)


@dataclass(frozen=True)
class ImageModel:
    """One model: its id, the dated snapshots that resolve to it, and its lifecycle."""

    id: str
    family: Family
    released: date  # the `created` of GET /v1/models
    snapshots: tuple[str, ...] = ()
    shutdown: date | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.snapshots)

    def retired_on(self, today: date) -> bool:
        """Shut down: from its shutdown date on, the model answers like an unknown one."""
        return self.shutdown is not None and today >= self.shutdown


# Shutdown dates: OpenAI's deprecations page and SDK 3.57 (image-apis.md §0). Release dates: the SDK and
# gateway launch notes; dall-e's and 1-mini's are their API launch days.
# 2.6 has no dated snapshot: the SDK's ImageModel and OpenAI's model page list only the two aliases.
LINEUP: tuple[ImageModel, ...] = (
    ImageModel("gpt-image-2.6-flare", GPT_IMAGE_2_6, date(2026, 11, 4)),
    ImageModel("gpt-image-2.6-sunburst", GPT_IMAGE_2_6, date(2026, 11, 4)),
    ImageModel("gpt-image-2.5-flare", GPT_IMAGE_2_5, date(2026, 9, 8), ("gpt-image-2.5-flare-2026-09-08",)),
    ImageModel("gpt-image-2.5-sunburst", GPT_IMAGE_2_5, date(2026, 9, 8), ("gpt-image-2.5-sunburst-2026-09-08",)),
    ImageModel("gpt-image-2", GPT_IMAGE_2, date(2026, 4, 21), ("gpt-image-2-2026-04-21",)),
    ImageModel("gpt-image-1.5", GPT_IMAGE_1, date(2025, 12, 16), ("gpt-image-1.5-2025-12-16",),
               shutdown=date(2026, 12, 1)),
    ImageModel("gpt-image-1-mini", GPT_IMAGE_1_MINI, date(2025, 10, 6), shutdown=date(2026, 12, 1)),
    ImageModel("chatgpt-image-latest", GPT_IMAGE_1, date(2025, 12, 16), shutdown=date(2026, 12, 1)),
    ImageModel("gpt-image-1", GPT_IMAGE_1, date(2025, 4, 23), shutdown=date(2026, 10, 23)),
    ImageModel("dall-e-3", DALL_E, date(2023, 11, 6), shutdown=date(2026, 5, 12)),
    ImageModel("dall-e-2", DALL_E, date(2022, 11, 3), shutdown=date(2026, 5, 12)),
)
_BY_ID = {model_id: model for model in LINEUP for model_id in model.ids}


def find_model(model_id: str) -> ImageModel | None:
    """The model an id (or dated snapshot id) names, or None for an id OpenAI does not know."""
    return _BY_ID.get(model_id)


def served_ids(today: date, serve_retired: bool) -> Iterator[tuple[str, ImageModel]]:
    """(id, model) for every id answered on `today`, snapshots included, in the table's order."""
    for model in LINEUP:
        if serve_retired or not model.retired_on(today):
            for model_id in model.ids:
                yield model_id, model
