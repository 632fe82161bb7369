"""The fake's vision model: what a `/v1/responses` turn with an image and no tool answers — a sentence naming
the image's two main colours, in the language the instruction names (English, German or French).

It is an oracle of its own: its colour table is not the app's (providers/demo.py), so a test that reads the
colours back proves the image really travelled.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from PIL import Image

from .inputs import InputImage

# Each colour: its name in each language the fake speaks, and its RGB.
COLOURS = (
    ({"English": "black", "German": "Schwarz", "French": "noir"}, (0, 0, 0)),
    ({"English": "white", "German": "Weiß", "French": "blanc"}, (250, 250, 250)),
    ({"English": "grey", "German": "Grau", "French": "gris"}, (130, 130, 130)),
    ({"English": "red", "German": "Rot", "French": "rouge"}, (210, 40, 30)),
    ({"English": "orange", "German": "Orange", "French": "orange"}, (235, 140, 40)),
    ({"English": "yellow", "German": "Gelb", "French": "jaune"}, (240, 220, 50)),
    ({"English": "green", "German": "Grün", "French": "vert"}, (50, 170, 70)),
    ({"English": "blue", "German": "Blau", "French": "bleu"}, (30, 100, 220)),
    ({"English": "purple", "German": "Violett", "French": "violet"}, (140, 60, 170)),
    ({"English": "brown", "German": "Braun", "French": "marron"}, (130, 80, 40)),
)
SENTENCES = {
    "English": "A picture mostly in {first}, with some {second}.",
    "German": "Ein Bild, überwiegend in {first}, mit etwas {second}.",
    "French": "Une image surtout en {first}, avec un peu de {second}.",
}
MAX_LENGTH = re.compile(r"at most (\d+) characters", re.IGNORECASE)


def language_in(instruction: str) -> str:
    """The first language the fake speaks that the instruction names (English when none)."""
    named = [(instruction.find(name), name) for name in SENTENCES if name in instruction]
    return min(named)[1] if named else "English"


def describe(images: list[InputImage], instruction: str) -> str:
    """The alt text of the first image, within the instruction's "at most N characters"."""
    language = language_in(instruction)
    first, second = main_colours(images[0].data)
    text = SENTENCES[language].format(first=first[language], second=second[language])
    limit = MAX_LENGTH.search(instruction)
    return text[:int(limit.group(1))] if limit else text


def main_colours(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    with Image.open(io.BytesIO(data)) as image:
        raw = image.convert("RGB").resize((32, 32)).tobytes()
    pixels = [tuple(raw[start:start + 3]) for start in range(0, len(raw), 3)]
    counts = Counter(nearest(pixel) for pixel in pixels)
    ranked = [COLOURS[index][0] for index, _count in counts.most_common(2)]
    return ranked[0], ranked[1] if len(ranked) > 1 else ranked[0]


def nearest(pixel: tuple[int, int, int]) -> int:
    return min(range(len(COLOURS)), key=lambda index: sum((a - b) ** 2 for a, b in zip(COLOURS[index][1], pixel,
                                                                                          strict=True)))
