"""Messages the app sends its screens, as small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class HistoryChanged(Message):
    """The tracker changed (a grade here or in another terminal, a hint, a criterion)."""


@dataclass
class GradeStarted(Message):
    """A grading of exercise_id began in the background."""

    exercise_id: str


@dataclass
class GradeOutput(Message):
    """One line printed by the running `grade check` (may hold ANSI colours)."""

    exercise_id: str
    line: str


@dataclass
class GradeFinished(Message):
    """The grading ended: exit code 0 passed, 1 failed, 130 interrupted, else a problem."""

    exercise_id: str
    exit_code: int
    cancelled: bool


@dataclass
class GroupSynced(Message):
    """`grade group sync`, run from the TUI, ended (the group's clone may have changed)."""

    exit_code: int
    summary: str
