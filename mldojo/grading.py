"""Grade an exercise in a workspace and record the attempt in the tracker."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Callable

import mldojo
from mldojo.catalogue import Exercise
from mldojo.graders.engine.results import ACCURACY_METRIC, is_loss_metric
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
    on_progress: Callable | str | None = "terminal",
    on_graded: Callable | None = None,
    learner_file=None,
    learner_root=None,
) -> Graded:
    """Run the grader on the learner's file and store the attempt (Ctrl-C is recorded too).

    on_progress is told about training runs as they go (training.py's events); the default
    "terminal" shows a live line on the terminal whenever on_check is given, None shows nothing.
    on_graded(report) is called as soon as the verdict is known, before the attempt is recorded
    (recording imports the tracker's database layer: the learner should not wait for it).
    learner_file / learner_root grade another file than the workspace's (a notebook's cells,
    mldojo.notebook), still recorded in this workspace's tracker.
    """
    from mldojo.graders.engine import results
    from mldojo.graders.engine.runner import GradeRequest, file_sha256, grade

    request = GradeRequest(
        exercise=exercise.id,
        root=learner_root or workspace.root,
        file=learner_file or workspace.exercise_file(exercise.id),
        time_limit_s=exercise.time_limit_s,
        memory_limit_mb=exercise.memory_limit_mb,
        forbid=exercise.forbid,
        requires=exercise.requires,
        seed=seed,
        examples_scale=examples_scale,
    )
    if on_progress == "terminal":
        from mldojo import render

        on_progress = render.TrainingProgress(render.console()) if on_check is not None else None
    started = dt.datetime.now(dt.timezone.utc)
    try:
        report = grade(request, on_check=on_check, on_progress=on_progress)
    except KeyboardInterrupt as exc:
        # The runner hands over what it had (checks so far, a training run cut short).
        report = getattr(exc, "report", None) or results.GradeReport(exercise.id, results.INTERRUPTED, seed=seed, file_sha256=file_sha256(request.file))
        report.verdict = results.INTERRUPTED
        report.problem = "stopped with Ctrl-C"
        report.duration_s = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
        record_interrupted_attempt(workspace, report, started)
        raise
    if on_graded is not None:
        on_graded(report)
    recorded, problem = record_attempt(workspace, report, started)
    return Graded(report, recorded, problem)


def record_interrupted_attempt(workspace: Workspace, report, started: dt.datetime) -> None:
    """Store an attempt cut short by Ctrl-C or a signal; a failure is said on stderr, never raised."""
    from mldojo.judge_process import forget_half_imported_modules

    forget_half_imported_modules()  # the interrupt may have landed inside an import
    try:
        recorded, problem = record_attempt(workspace, report, started)
    except Exception as exc:  # noqa: BLE001 - the learner asked to stop; say why nothing was kept
        recorded, problem = False, f"{type(exc).__name__}: {exc}"
    if not recorded:
        print(f"The interrupted attempt was not recorded ({problem}).", file=sys.stderr)


def record_attempt(workspace: Workspace, report, started: dt.datetime) -> tuple[bool, str]:
    """Store one attempt and its checks; a tracker problem is reported, never fatal."""
    from mldojo.graders.engine.imports_gc import collector_paused
    from mldojo.tracker.errors import TrackerError

    with collector_paused():  # SQLModel and SQLAlchemy: a few hundred thousand lasting objects
        from mldojo.tracker.store import Tracker

    checks = [(c.name, c.verdict, check_text(c), c.duration_s) for c in report.checks]
    try:
        # Closed at once: `grade` ends with os._exit, which would leave the WAL beside
        # tracker.sqlite; the last connection to close folds it in and removes it.
        with Tracker.open(workspace.tracker_path) as tracker:
            attempt = tracker.record_attempt(
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
                sandboxed=getattr(report, "sandboxed", None),
            )
            for check in report.checks:
                if getattr(check, "training", None):
                    record_training_run(tracker, attempt.id, report.exercise, check.name, check.training)
    except TrackerError as exc:
        return False, str(exc)
    return True, ""


def record_training_run(tracker, attempt_id: int, exercise_id: str, check_name: str, run: dict) -> None:
    """Store one TrainingResult dict (graders.engine.training) under its attempt."""
    finished = run.get("status") == "finished"
    metric = str(run.get("metric") or ACCURACY_METRIC)
    loss = run.get("loss")
    tracker.record_training_run(
        attempt_id=attempt_id,
        exercise_id=exercise_id,
        check_name=check_name,
        dataset=str(run.get("dataset", "")),
        status=str(run.get("status", "failed")),
        accuracy=float(run["accuracy"]) if finished and run.get("accuracy") is not None else None,
        goal=float(run.get("goal", 0.0)),
        met=bool(run.get("met")),
        wall_s=float(run.get("wall_s", 0.0)),
        epochs=run.get("epochs"),
        device=str(run.get("device", "")),
        metric=metric,
        loss=float(loss) if finished and is_loss_metric(metric) and loss is not None else None,
        details={k: run.get(k) for k in ("data_source", "transfer_s", "last_loss", "train_loss", "n_test")},
    )


def check_text(outcome) -> str:
    """Everything the learner was told about one check, as stored text."""
    parts = [outcome.message]
    if getattr(outcome, "training", None):
        from mldojo.render import training_summary

        parts.insert(0, training_summary(outcome.training))
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
    line = f"{passed}/{len(report.checks)} checks passed"
    for run in getattr(report, "training", []):
        epochs = f", {run['epochs']} epoch{'s' if run['epochs'] != 1 else ''}" if run.get("epochs") else ""
        if run.get("status") == "finished" and is_loss_metric(run.get("metric")):
            line += f"; {run['metric']} {run['loss']:.4f} in {run['wall_s']:.1f} s{epochs}"
        elif run.get("status") == "finished":
            line += f"; test accuracy {100 * run['accuracy']:.2f} % in {run['wall_s']:.1f} s{epochs}"
        else:
            line += f"; training {run.get('status')} after {run.get('wall_s', 0):.1f} s{epochs}"
    return line
