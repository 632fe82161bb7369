"""The fake's own table of OpenAI's mainline models for `POST /v1/responses`, as of 2026-12, with shutdown dates.

Sources: OpenAI's Python SDK 3.57 (`types/shared/chat_model.py` and `responses_model.py`: the ids, and the
"Announced shutdown date" list in ChatModel's docstring, which quotes developers.openai.com/api/docs/deprecations).
Like lineup.py, it never reads the app's catalog. Past its shutdown date a model answers 404 model_not_found.
"""

from __future__ import annotations

from datetime import date

# id -> shutdown date (None: none announced). Dated snapshots share their alias's date.
MAINLINE_MODELS: dict[str, date | None] = {
    # GPT-6 (SDK 3.57 ChatModel; "like `gpt-6-astra`" is the SDK's own example of a model id).
    "gpt-6-astra": None, "gpt-6.2-astra": None, "gpt-6-sol": None, "gpt-6.1-sol": None, "gpt-6.2-sol": None,
    "gpt-6.1-terra": None, "gpt-6-luna": None,
    # GPT-5.6 Sol / Terra / Luna (previewed 2026-06-26).
    "gpt-5.6-sol": None, "gpt-5.6-terra": None, "gpt-5.6-luna": None,
    "gpt-5.5": None, "gpt-5.5-2026-04-23": None,
    "gpt-5.4": None, "gpt-5.4-mini": None, "gpt-5.4-mini-2026-03-17": None,
    "gpt-5.4-nano": date(2027, 4, 1), "gpt-5.4-nano-2026-03-17": date(2027, 4, 1),
    "gpt-5.2": None, "gpt-5.2-2025-12-11": None,
    "gpt-5.1": date(2027, 4, 1), "gpt-5.1-2025-11-13": date(2027, 4, 1),
    "gpt-5": date(2026, 12, 11), "gpt-5-2025-08-07": date(2026, 12, 11),
    "gpt-5-mini": date(2026, 12, 11), "gpt-5-mini-2025-08-07": date(2026, 12, 11),
    "gpt-5-nano": date(2026, 12, 11), "gpt-5-nano-2025-08-07": date(2026, 12, 11),
    "o3": date(2026, 12, 11), "o3-2025-04-16": date(2026, 12, 11),
    "gpt-4.1": date(2027, 1, 14), "gpt-4.1-2025-04-14": date(2027, 1, 14),
    "gpt-4.1-mini": date(2027, 1, 14), "gpt-4.1-mini-2025-04-14": date(2027, 1, 14),
    "gpt-4o": date(2027, 1, 14), "gpt-4o-2024-11-20": date(2027, 1, 14), "gpt-4o-2024-08-06": date(2027, 1, 14),
    "gpt-4o-mini": date(2027, 1, 14), "gpt-4o-mini-2024-07-18": date(2027, 1, 14),
    "gpt-4.1-nano": date(2026, 10, 23), "o4-mini": date(2026, 10, 23),
}


def mainline_served(model: str, today: date, serve_retired: bool) -> bool:
    """Whether `model` is a mainline model the fake answers for on `today`."""
    if model not in MAINLINE_MODELS:
        return False
    shutdown = MAINLINE_MODELS[model]
    return serve_retired or shutdown is None or today < shutdown
