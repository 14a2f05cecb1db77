"""Small helpers for messages in the learner's words."""

from __future__ import annotations

IRREGULAR = {"criterion": "criteria", "this": "these"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 run', '2 runs', '0 runs', '1 criterion', '3 criteria'."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or IRREGULAR.get(word) or word + 's'}"
