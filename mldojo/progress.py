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
class StageStatus:
    """A stage's exercises and criteria."""

    id: str
    title: str
    exercises: list[ExerciseStatus] = field(default_factory=list)
    criteria: list[CriterionStatus] = field(default_factory=list)

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
        stages.append(status)
    return stages


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
