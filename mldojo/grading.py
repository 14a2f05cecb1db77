"""Grade an exercise in a workspace and record the attempt in the tracker."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import mldojo
from mldojo.catalogue import Exercise
from mldojo.workspace import Workspace


@dataclass
class Graded:
    """A grading and what happened to its record."""

    report: object  # graders.engine.results.GradeReport
    recorded: bool
    tracker_problem: str = ""  # why it was not recorded


def grade_exercise(
    workspace: Workspace,
    exercise: Exercise,
    seed: int | None = None,
    on_check: Callable | None = None,
    examples_scale: float = 1.0,
) -> Graded:
    """Run the grader on the learner's file and store the attempt (Ctrl-C is recorded too)."""
    from mldojo.graders.engine import results
    from mldojo.graders.engine.runner import GradeRequest, file_sha256, grade

    request = GradeRequest(
        exercise=exercise.id,
        root=workspace.root,
        file=workspace.exercise_file(exercise.id),
        time_limit_s=exercise.time_limit_s,
        memory_limit_mb=exercise.memory_limit_mb,
        forbid=exercise.forbid,
        seed=seed,
        examples_scale=examples_scale,
    )
    started = dt.datetime.now(dt.timezone.utc)
    try:
        report = grade(request, on_check=on_check)
    except KeyboardInterrupt:
        report = results.GradeReport(exercise.id, results.INTERRUPTED, seed=seed, file_sha256=file_sha256(request.file))
        report.problem = "stopped with Ctrl-C"
        report.duration_s = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
        record_attempt(workspace, report, started)
        raise
    recorded, problem = record_attempt(workspace, report, started)
    return Graded(report, recorded, problem)


def record_attempt(workspace: Workspace, report, started: dt.datetime) -> tuple[bool, str]:
    """Store one attempt and its checks; a tracker problem is reported, never fatal."""
    from mldojo.tracker.errors import TrackerError
    from mldojo.tracker.store import Tracker

    checks = [(c.name, c.verdict, check_text(c), c.duration_s) for c in report.checks]
    try:
        tracker = Tracker.open(workspace.tracker_path)
        tracker.record_attempt(
            exercise_id=report.exercise,
            started_at=started,
            duration_s=report.duration_s,
            verdict=report.verdict,
            grader_version=report.grader_version,
            mldojo_version=mldojo.__version__,
            file_sha256=report.file_sha256,
            seed=report.seed,
            summary=summary_line(report),
            checks=checks,
        )
    except TrackerError as exc:
        return False, str(exc)
    return True, ""


def check_text(outcome) -> str:
    """Everything the learner was told about one check, as stored text."""
    parts = [outcome.message]
    if outcome.inputs:
        parts.append("Input:\n" + outcome.inputs)
    if outcome.diagnosis:
        parts.append("Diagnosis: " + outcome.diagnosis)
    if outcome.traceback:
        parts.append(outcome.traceback)
    return "\n".join(p for p in parts if p)


def summary_line(report) -> str:
    """'5/7 checks passed' or the reason no check ran."""
    if not report.checks:
        return report.problem.splitlines()[0] if report.problem else report.verdict
    passed = sum(1 for c in report.checks if c.verdict == "passed")
    return f"{passed}/{len(report.checks)} checks passed"
