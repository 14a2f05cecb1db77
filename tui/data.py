"""What the TUI shows, read from the catalogue, the workspace and the tracker (no Textual here)."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mldojo.catalogue import Catalogue, Exercise
from mldojo.progress import FAILING, NOT_STARTED, PASSED, REGRESSED, STATE_MARKS, STATE_WORDS, ExerciseStatus, StageStatus, compute_status
from mldojo.workspace import Workspace, stub_path

# How an exercise's state is drawn: mark, words (the CLI's), theme colour (readable in light and dark themes).
STATE_STYLES = {
    PASSED: (STATE_MARKS[PASSED], STATE_WORDS[PASSED], "$success"),
    REGRESSED: (STATE_MARKS[REGRESSED], STATE_WORDS[REGRESSED], "$error"),
    FAILING: (STATE_MARKS[FAILING], STATE_WORDS[FAILING], "$error"),
    NOT_STARTED: (STATE_MARKS[NOT_STARTED], STATE_WORDS[NOT_STARTED], "$text-muted"),
    "revealed": ("!", "revealed early", "$warning"),  # the solution, before any pass
}


def verdict_words(verdict: str | None) -> str:
    """An attempt's verdict in the words `grade` prints ("not implemented yet", "failed")."""
    from mldojo.graders.engine.results import VERDICT_WORDS

    return VERDICT_WORDS.get(verdict or "", (verdict or "").replace("_", " "))


@dataclass
class Progress:
    """Every stage's status, plus which exercises had their solution revealed before a pass."""

    stages: list[StageStatus]
    revealed_early: set[str] = field(default_factory=set)
    attempts: int = 0

    def status_of(self, exercise_id: str) -> ExerciseStatus | None:
        """The status of one exercise (None if the catalogue has no such exercise)."""
        for stage in self.stages:
            for status in stage.exercises:
                if status.id == exercise_id:
                    return status
        return None

    def state_key(self, exercise_id: str) -> str:
        """A key of STATE_STYLES: the exercise's state, or 'revealed' (the solution seen before any pass)."""
        status = self.status_of(exercise_id)
        if status is None:
            return NOT_STARTED
        if exercise_id in self.revealed_early and status.state in (FAILING, NOT_STARTED):
            return "revealed"
        return status.state


@dataclass
class ExerciseDetail:
    """Everything the exercise screen shows about one exercise."""

    exercise: Exercise
    state: str  # a key of STATE_STYLES
    task: str
    attempts: list  # tracker Attempt rows, newest first
    last_checks: list  # CheckResult rows of the newest attempt, in order
    hints_shown: int
    benchmarks: list  # BenchmarkResult rows, newest first
    revealed_early: bool
    prerequisites: list[tuple[str, str]]  # (exercise id, state key)
    notes: list[str] = field(default_factory=list)  # a broken prerequisite, an edit not graded yet


@dataclass
class BenchmarkRow:
    """One benchmark's latest and best result on one device."""

    exercise_id: str
    benchmark_id: str
    device: str
    runs: int
    latest_s: float
    best_s: float
    latest_ratio: float | None
    best_ratio: float | None
    target_ratio: float | None
    met_target: bool | None
    recorded_at: datetime


def history_errors() -> tuple[type[BaseException], ...]:
    """What reading or writing a damaged, replaced or locked history can raise."""
    import sqlite3
    import sys

    from mldojo.tracker.errors import TrackerError

    errors: list[type[BaseException]] = [TrackerError, sqlite3.Error, OSError]
    if "sqlalchemy.exc" in sys.modules:  # the writer is open: never import SQLAlchemy just to name its errors
        errors.append(sys.modules["sqlalchemy.exc"].SQLAlchemyError)
    return tuple(errors)


def load_progress(catalogue: Catalogue, tracker, workspace: Workspace | None = None) -> Progress:
    """Each stage's exercises and criteria, from the tracker's records."""
    stages = compute_status(catalogue, tracker, workspace)
    early = {reveal.exercise_id for reveal in tracker.reveals() if not reveal.passed_before}
    attempts = sum(status.attempts for stage in stages for status in stage.exercises)
    return Progress(stages, early, attempts)


def load_detail(catalogue: Catalogue, tracker, workspace: Workspace, progress: Progress, exercise_id: str) -> ExerciseDetail:
    """The exercise screen's content for one exercise."""
    exercise = catalogue.exercise(exercise_id)
    attempts = tracker.attempts(exercise_id)
    checks = tracker.checks_for(attempts[0].id) if attempts else []
    return ExerciseDetail(
        exercise=exercise,
        state=progress.state_key(exercise_id),
        task=task_text(workspace, exercise_id),
        attempts=attempts,
        last_checks=checks,
        hints_shown=min(tracker.hints_shown(exercise_id), len(exercise.hints)),
        benchmarks=tracker.benchmarks(exercise_id),
        revealed_early=exercise_id in progress.revealed_early,
        prerequisites=[(p, progress.state_key(p)) for p in exercise.prerequisites],
        notes=status.notes() if (status := progress.status_of(exercise_id)) else [],
    )


def task_text(workspace: Workspace | None, exercise_id: str) -> str:
    """The task: the learner's file's module docstring, else the shipped stub's."""
    candidates = [workspace.exercise_file(exercise_id)] if workspace else []
    candidates.append(stub_path(exercise_id))
    for path in candidates:
        try:
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            continue  # missing or half-edited file: the stub still says what to do
        if docstring:
            return docstring
    return "(this exercise's file has no description)"


LIST_ITEM = re.compile(r"^\s*([-*•]|\d+[.)]|Part \d+\.)\s")


def reflow(text: str) -> str:
    """Undo a docstring's hard line breaks inside paragraphs and list items, so the terminal wraps them once.

    Blank lines, list items and indented blocks (code, tables) are kept as they are.
    """
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            paragraphs.append(paragraph)  # a code block or a table
            continue
        joined: list[str] = []
        for line in lines:
            starts_item = LIST_ITEM.match(line) is not None
            if joined and not starts_item and not _verbatim(line, joined[-1]):
                joined[-1] = joined[-1].rstrip() + " " + line.strip()
            else:
                joined.append(line.rstrip())
        paragraphs.append("\n".join(joined))
    return "\n\n".join(paragraphs)


def _verbatim(line: str, previous: str) -> bool:
    """A line indented more deeply than a list item's hanging indent: code inside the text."""
    indent = len(line) - len(line.lstrip())
    return indent >= 4 and not LIST_ITEM.match(previous) and indent > len(previous) - len(previous.lstrip()) + 3


def benchmark_rows(tracker) -> list[BenchmarkRow]:
    """Latest and best (lowest median) result of each benchmark per device, in id order."""
    groups: dict[tuple[str, str, str], list] = {}
    for result in tracker.benchmarks():  # newest first
        groups.setdefault((result.exercise_id, result.benchmark_id, result.device), []).append(result)
    rows = []
    for (exercise_id, benchmark_id, device), results in sorted(groups.items()):
        latest = results[0]
        best = min(results, key=lambda r: r.median_s)
        ratios = [r.ratio for r in results if r.ratio is not None]
        rows.append(
            BenchmarkRow(
                exercise_id, benchmark_id, device, len(results), latest.median_s, best.median_s,
                latest.ratio, min(ratios) if ratios else None, latest.target_ratio, latest.met_target,
                latest.recorded_at,
            )
        )
    return rows


def history_fingerprint(tracker_path: Path) -> tuple:
    """A cheap token that changes whenever any process writes the history (file + WAL stats)."""
    token = []
    for suffix in ("", "-wal"):  # -shm changes on reads too, so it is left out
        try:
            stat = os.stat(f"{tracker_path}{suffix}")
            token.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            token.append(None)
    return tuple(token)


def files_fingerprint(workspace: Workspace, catalogue: Catalogue) -> tuple:
    """A cheap token that changes when the learner saves any exercise file (mtimes and sizes)."""
    token = []
    for exercise in catalogue.exercises:
        try:
            stat = os.stat(workspace.exercise_file(exercise.id))
            token.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            token.append(None)
    return tuple(token)


def format_seconds(seconds: float) -> str:
    """'850 µs', '12.3 ms', '1.25 s' or '2 min 05 s'."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_when(moment: datetime) -> str:
    """A timestamp in the local time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
