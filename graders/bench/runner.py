"""Run an exercise's declared benchmarks and record what was measured in the tracker."""

from __future__ import annotations

import importlib
from typing import Callable

from mldojo.graders.bench.harness import BenchOutcome


def workload_module_name(exercise_id: str) -> str:
    """'stage3/attention' -> 'mldojo.graders.bench.stage3_attention'."""
    return "mldojo.graders.bench." + exercise_id.replace("/", "_")


def run_benchmarks(workspace, exercise, only: str | None = None, warmup: int | None = None, repeats: int | None = None,
                   on_start: Callable | None = None, on_done: Callable | None = None,
                   on_progress: Callable | None = None) -> list[BenchOutcome]:
    """Measure each declared benchmark (or just `only`), record the measured ones, return all outcomes."""
    benches = [b for b in exercise.benchmarks if only is None or b.id == only]
    unrunnable = static_problem(workspace.exercise_file(exercise.id), workspace.root, exercise.forbid)
    if unrunnable:
        # Known from the file alone: say so before importing torch or starting any baseline.
        return _report_all(benches, unrunnable, on_start, on_done)
    try:
        workload = importlib.import_module(workload_module_name(exercise.id))
    except ModuleNotFoundError as exc:
        if exc.name != workload_module_name(exercise.id):
            raise
        workload = None
    outcomes = []
    for bench in benches:
        if on_start is not None:
            on_start(bench)
        if workload is None:
            outcome = BenchOutcome(bench, "skipped", f"declared, but not runnable yet: mldojo has no workload for "
                                   f"{exercise.id} ({workload_module_name(exercise.id)} is missing); nothing was recorded.")
        else:
            outcome = workload.measure(exercise, bench, workspace.exercise_file(exercise.id), workspace.root,
                                       warmup=warmup, repeats=repeats, on_progress=on_progress)
        if outcome.status == "measured":
            record(workspace, exercise.id, outcome)
        if on_done is not None:
            on_done(outcome)
        outcomes.append(outcome)
    return outcomes


def static_problem(path, root, forbid) -> str:
    """Why the learner's file cannot be benchmarked, read without running it ('' when it can be)."""
    from mldojo.graders.engine import source

    try:
        tree = source.parse(path, root)
    except SyntaxError as exc:
        return f"{path.name} has a syntax error (line {exc.lineno}: {exc.msg}); `grade` shows where"
    except (OSError, ValueError, RecursionError, MemoryError, source.FileRefused) as exc:
        return f"{path.name} could not be read: {exc}"
    hits = source.forbidden_imports(tree, tuple(forbid))
    if hits:
        return f"{path.name} imports {hits[0].module} (line {hits[0].line}), which this exercise forbids; `grade` shows the details"
    if source.untouched_stub(tree):
        unwritten = ", ".join(source.unwritten_functions(tree))
        return f"{path.name} is still the stub: {unwritten} not written yet (they raise NotImplementedError)"
    return ""


def _report_all(benches, message: str, on_start, on_done) -> list[BenchOutcome]:
    """One failed outcome per benchmark with the same message (nothing is measured or recorded)."""
    outcomes = []
    for bench in benches:
        if on_start is not None:
            on_start(bench)
        outcome = BenchOutcome(bench, "failed", message)
        if on_done is not None:
            on_done(outcome)
        outcomes.append(outcome)
    return outcomes


def record(workspace, exercise_id: str, outcome: BenchOutcome) -> None:
    """Store a measured outcome; a tracker problem is kept in the outcome's message, never fatal."""
    from mldojo.tracker.errors import TrackerError
    from mldojo.tracker.store import Tracker

    bench, verdict = outcome.benchmark, outcome.verdict
    try:
        Tracker.open(workspace.tracker_path).record_benchmark(
            exercise_id=exercise_id,
            benchmark_id=bench.id,
            device=bench.device,
            environment=outcome.environment,
            median_s=outcome.learner.timing.median,
            spread_s=outcome.learner.timing.iqr,
            baseline_s=outcome.baseline.timing.median if outcome.baseline else None,
            ratio=verdict.ratio if verdict else None,
            target_ratio=bench.target_ratio,
            gold_ratio=bench.gold_ratio,
            met_target=verdict.met_target if verdict else None,
            details=outcome.details,
        )
        outcome.recorded = True
    except TrackerError as exc:
        outcome.message = f"not recorded: {exc}"
