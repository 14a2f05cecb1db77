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
