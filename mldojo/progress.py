"""Where a learner stands: each exercise's state and each stage's "done when" criteria."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from mldojo.catalogue import Catalogue, Criterion, Stage

NOT_STARTED = "not started"
FAILING = "failing"
PASSED = "passed"


@dataclass
class ExerciseStatus:
    """One exercise's state from the tracker."""

    id: str
    title: str
    state: str  # not started | failing | passed
    last_verdict: str | None = None
    attempts: int = 0
    revealed: bool = False


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
        data.update(passed=self.passed, total=len(self.exercises), done=self.done)
        return data


def compute_status(catalogue: Catalogue, tracker) -> list[StageStatus]:
    """Every stage's status from the tracker's records."""
    latest = tracker.latest_verdicts()
    passed = tracker.passed_exercises()
    counts: dict[str, int] = {}
    for attempt in tracker.attempts():
        counts[attempt.exercise_id] = counts.get(attempt.exercise_id, 0) + 1
    revealed = {r.exercise_id for r in tracker.reveals()}
    reported = {}
    for record in sorted(tracker.criteria(), key=lambda c: c.recorded_at):
        reported[(record.stage_id, record.criterion_id)] = record  # the newest record wins
    stages = []
    for stage in catalogue.stages:
        status = StageStatus(stage.id, stage.title)
        for exercise in catalogue.exercises_of(stage.id):
            state = PASSED if exercise.id in passed else FAILING if exercise.id in latest else NOT_STARTED
            status.exercises.append(
                ExerciseStatus(exercise.id, exercise.title, state, latest.get(exercise.id), counts.get(exercise.id, 0), exercise.id in revealed)
            )
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
