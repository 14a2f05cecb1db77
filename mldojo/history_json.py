"""`grade history ID --json`: the tracker's rows for one exercise as plain JSON (docs/json.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

# Columns stored as JSON text: given back as objects, not as strings to decode again.
JSON_TEXT_COLUMNS = ("environment", "details")


def row_dict(row) -> dict:
    """A tracker row (SQLModel) as JSON-ready data: times in ISO 8601 UTC, JSON text decoded."""
    dumped = row.model_dump()
    data = {key: dumped[key] for key in type(row).model_fields if key in dumped}  # in the table's column order
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = iso(value)
        elif key in JSON_TEXT_COLUMNS and isinstance(value, str):
            try:
                data[key] = json.loads(value or "{}")
            except ValueError:
                pass  # kept as the text it is
    return data


def iso(moment: datetime) -> str:
    """'2026-03-02T09:00:00Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def history_data(exercise_id: str, attempts: list, checks_of, benchmarks: list, training_runs: list) -> dict:
    """Every attempt (newest first, each with its checks), training run and benchmark of one exercise."""
    return {
        "exercise": exercise_id,
        "attempts": [{**row_dict(a), "checks": [row_dict(c) for c in checks_of(a.id)]} for a in attempts],
        "training_runs": [row_dict(r) for r in training_runs],
        "benchmarks": [row_dict(b) for b in benchmarks],
    }
