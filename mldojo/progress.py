"""Where a learner stands: each exercise's state and each stage's "done when" criteria.

The state of an exercise follows its latest attempt that reached a verdict (an attempt
stopped with Ctrl-C decides nothing): *passed*; *failing now (passed before)* when an
earlier attempt passed; *failing*; *not started*. A pass is never remembered past a later
failure: `grade list`, `grade status`, the TUI and the group file all read it from here.
Editing a passed file does not change its state until it is graded again (nobody knows
yet whether the edit broke it); it is flagged "edited since graded" instead.

Standard library only: `grade list` imports this module and must start fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mldojo.catalogue import Catalogue, Criterion, Exercise, Stage
from mldojo.tracker.summary import ExerciseRecord, records_from_rows

NOT_STARTED = "not started"
FAILING = "failing"
REGRESSED = "regressed"  # failing now, passed before
PASSED = "passed"
STATES = (PASSED, REGRESSED, FAILING, NOT_STARTED)

# The words and marks every view uses for a state (the CLI, the TUI, the docs).
STATE_WORDS = {PASSED: "passed", REGRESSED: "failing now (passed before)", FAILING: "failing", NOT_STARTED: "not started"}
STATE_MARKS = {PASSED: "✓", REGRESSED: "✗", FAILING: "✗", NOT_STARTED: "·"}


def exercise_state(record: ExerciseRecord | None) -> str:
    """passed, regressed, failing or not started, from the exercise's record (None: never graded).

    Attempts skipped for a missing package (triton) never ran the code: with only those, not started."""
    if record is None or record.attempts == 0 or not record.ran:
        return NOT_STARTED
    if record.decided_verdict == "passed":
        return PASSED
    return REGRESSED if record.ever_passed else FAILING


def exercise_states(catalogue: Catalogue, records: dict[str, ExerciseRecord]) -> dict[str, str]:
    """The state of every exercise of the catalogue."""
    return {exercise.id: exercise_state(records.get(exercise.id)) for exercise in catalogue.exercises}


def regressed_prerequisites(exercise: Exercise, states: dict[str, str]) -> list[str]:
    """The prerequisites of exercise that passed before and fail now (forest is flagged when tree breaks)."""
    return [p for p in exercise.prerequisites if states.get(p) == REGRESSED]


def current_exercise(catalogue: Catalogue, states: dict[str, str], passed_now: str | None = None) -> Exercise | None:
    """The first exercise in catalogue order that does not pass (None when all do).

    passed_now: an exercise that just passed but is not in the history yet.
    """
    for exercise in catalogue.exercises:
        if exercise.id != passed_now and states.get(exercise.id) != PASSED:
            return exercise
    return None


def next_after(catalogue: Catalogue, states: dict[str, str], exercise_id: str) -> Exercise | None:
    """The first exercise after exercise_id (in catalogue order, wrapping round) that does not pass; None if there is none."""
    ids = [e.id for e in catalogue.exercises]
    start = ids.index(exercise_id) + 1 if exercise_id in ids else 0
    for exercise in catalogue.exercises[start:] + catalogue.exercises[:start]:
        if exercise.id != exercise_id and states.get(exercise.id) != PASSED:
            return exercise
    return None


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, as the tracker stores it (None when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def edited_since_graded(record: ExerciseRecord | None, path: Path | None) -> bool | None:
    """Whether the file differs from the one its latest verdict graded (None: unknown or never graded)."""
    if record is None or not record.decided_sha256 or path is None:
        return None
    current = file_sha256(path)
    return None if current is None else current != record.decided_sha256


@dataclass
class ExerciseStatus:
    """One exercise's state from the tracker."""

    id: str
    title: str
    state: str  # passed | regressed | failing | not started
    last_verdict: str | None = None  # the latest attempt's, interrupted ones included
    attempts: int = 0
    revealed: bool = False
    regressed_prerequisites: list[str] = field(default_factory=list)
    edited_since_graded: bool | None = None  # None: unknown (no workspace given, never graded)

    @property
    def words(self) -> str:
        """The state as the learner reads it."""
        return STATE_WORDS[self.state]

    def notes(self) -> list[str]:
        """What else the learner should know: a broken prerequisite, an edit not graded yet."""
        notes = [f"builds on {p}, which fails now" for p in self.regressed_prerequisites]
        if self.edited_since_graded and self.state != NOT_STARTED:
            notes.append("edited since graded")
        return notes

    def to_dict(self) -> dict:
        """JSON-ready (docs/json.md): the fields, the state in words and the notes."""
        return {**asdict(self), "words": self.words, "notes": self.notes()}


@dataclass
class CriterionStatus:
    """One "done when" item and whether it is met."""

    id: str
    text: str
    kind: str
    met: bool
    evidence: str = ""
    how: str = ""  # what to do to meet it


@dataclass
class BenchmarkStatus:
    """One benchmark's record: the latest and the best result (lowest ratio, else lowest time)."""

    exercise_id: str
    benchmark_id: str
    device: str
    runs: int
    latest_ratio: float | None
    latest_median_s: float
    latest_met: bool | None
    best_ratio: float | None
    best_median_s: float
    target_ratio: float | None = None
    gold_ratio: float | None = None
    target_s: float | None = None  # a wall-time target (training benchmarks)


@dataclass
class StageStatus:
    """A stage's exercises and criteria."""

    id: str
    title: str
    exercises: list[ExerciseStatus] = field(default_factory=list)
    criteria: list[CriterionStatus] = field(default_factory=list)
    benchmarks: list[BenchmarkStatus] = field(default_factory=list)

    @property
    def passed(self) -> int:
        """How many exercises of the stage have passed."""
        return sum(1 for e in self.exercises if e.state == PASSED)

    @property
    def done(self) -> bool:
        """True when every criterion of the stage is met."""
        return bool(self.criteria) and all(c.met for c in self.criteria)

    def to_dict(self) -> dict:
        """JSON-ready."""
        data = asdict(self)
        data.update(exercises=[e.to_dict() for e in self.exercises], passed=self.passed, total=len(self.exercises), done=self.done)
        return data


def exercise_statuses(catalogue: Catalogue, records: dict[str, ExerciseRecord], workspace=None,
                      revealed: set[str] = frozenset()) -> dict[str, ExerciseStatus]:
    """Every exercise's status, in catalogue order (workspace given: edits since grading are flagged)."""
    states = exercise_states(catalogue, records)
    statuses = {}
    for exercise in catalogue.exercises:
        record = records.get(exercise.id)
        path = workspace.exercise_file(exercise.id) if workspace is not None else None
        statuses[exercise.id] = ExerciseStatus(
            exercise.id, exercise.title, states[exercise.id], record.latest_verdict if record else None,
            record.attempts if record else 0, exercise.id in revealed, regressed_prerequisites(exercise, states),
            edited_since_graded(record, path),
        )
    return statuses


def records_of(attempts) -> dict[str, ExerciseRecord]:
    """The records of tracker Attempt rows, newest first (the same rule as `grade list`'s fast reader)."""
    return records_from_rows((a.exercise_id, a.verdict, a.file_sha256) for a in attempts)


def tracker_records(tracker) -> dict[str, ExerciseRecord]:
    """The records of every attempt in the tracker."""
    return records_of(tracker.attempts())


def compute_status(catalogue: Catalogue, tracker, workspace=None) -> list[StageStatus]:
    """Every stage's status from the tracker's records."""
    records = tracker_records(tracker)
    revealed = {r.exercise_id for r in tracker.reveals()}
    reported = {}
    for record in sorted(tracker.criteria(), key=lambda c: c.recorded_at):
        reported[(record.stage_id, record.criterion_id)] = record  # the newest record wins
    statuses = exercise_statuses(catalogue, records, workspace, revealed)
    # A criterion counts exercises that pass now: a regression un-meets it until fixed.
    passed = {exercise_id for exercise_id, status in statuses.items() if status.state == PASSED}
    stages = []
    for stage in catalogue.stages:
        status = StageStatus(stage.id, stage.title)
        status.exercises = [statuses[exercise.id] for exercise in catalogue.exercises_of(stage.id)]
        for criterion in stage.criteria:
            status.criteria.append(_criterion_status(stage, criterion, catalogue, passed, reported))
        status.benchmarks = benchmark_statuses(tracker, catalogue.exercises_of(stage.id))
        stages.append(status)
    return stages


def benchmark_statuses(tracker, exercises) -> list[BenchmarkStatus]:
    """Latest and best result of every benchmark recorded for these exercises."""
    exercise_ids = [e.id for e in exercises]
    target_s = {(e.id, b.id): b.target_s for e in exercises for b in e.benchmarks}
    rows: dict[tuple[str, str], list] = {}
    for row in tracker.benchmarks():  # newest first
        if row.exercise_id in exercise_ids:
            rows.setdefault((row.exercise_id, row.benchmark_id), []).append(row)
    found = []
    for (exercise_id, benchmark_id), results in sorted(rows.items(), key=lambda item: (exercise_ids.index(item[0][0]), item[0][1])):
        latest = results[0]
        best = min(results, key=lambda r: (r.ratio is None, r.ratio if r.ratio is not None else r.median_s))
        found.append(BenchmarkStatus(exercise_id, benchmark_id, latest.device, len(results), latest.ratio, latest.median_s,
                                     latest.met_target, best.ratio, best.median_s, latest.target_ratio, latest.gold_ratio,
                                     target_s.get((exercise_id, benchmark_id))))
    return found


def _criterion_status(stage: Stage, criterion: Criterion, catalogue: Catalogue, passed: set, reported: dict) -> CriterionStatus:
    if criterion.kind == "automatic":
        needed = [e.id for e in catalogue.exercises_of(stage.id)] if criterion.rule == "all-exercises-pass" else list(criterion.exercises)
        missing = [e for e in needed if e not in passed]
        met = bool(needed) and not missing
        how = "" if met else "pass " + ", ".join(missing)
        return CriterionStatus(criterion.id, criterion.text, criterion.kind, met, how=how)
    record = reported.get((stage.id, criterion.id))
    how = f'grade done {stage.id} {criterion.id} --evidence "…"  ({criterion.prompt})'
    return CriterionStatus(criterion.id, criterion.text, criterion.kind, record is not None, record.evidence if record else "", "" if record else how)
