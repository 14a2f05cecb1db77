"""Hints, one at a time and recorded: `grade hint`, and the h key of `grade watch`."""

from __future__ import annotations

from typing import Callable


def show_hints(tracker, exercise, write: Callable[[str], object], earlier: bool = True) -> None:
    """Write the hints shown so far (if earlier), then the next one, and record it."""
    shown = tracker.hints_shown(exercise.id)
    total = len(exercise.hints)
    if earlier:
        for index in range(min(shown, total)):
            write(f"Hint {index + 1} of {total}: {exercise.hints[index]}\n")
    if shown >= total:
        write(f"That was every hint. `grade reveal {exercise.id} --force` shows the reference solution.")
        return
    write(f"Hint {shown + 1} of {total} (new): {exercise.hints[shown]}")
    tracker.record_hint(exercise.id, shown)
