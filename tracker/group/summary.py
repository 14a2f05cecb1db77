"""Build the member's own file from their tracker: what they passed, met and measured."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import mldojo
from mldojo.tracker.group.schema import BestBenchmark, MemberFile, MetCriterion, PassedExercise


def iso(moment: datetime) -> str:
    """A UTC time as ISO 8601 with a Z, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_member_file(workspace, catalogue, tracker, share_code: bool = False, now: datetime | None = None) -> MemberFile:
    """The summary a member shares: passed exercises, met criteria, best benchmarks (no code unless asked).

    An exercise is shared as passed only while it passes now (its latest attempt with a
    verdict passed), as `grade status` says: a pass followed by a failure is left out, so
    the file keeps its format and an older mldojo reads it right.
    """
    from mldojo.progress import PASSED, compute_status, exercise_state, records_of

    attempts = tracker.attempts()  # newest first
    counts: dict[str, int] = {}
    first_pass: dict[str, object] = {}
    latest_pass: dict[str, object] = {}
    for attempt in attempts:
        counts[attempt.exercise_id] = counts.get(attempt.exercise_id, 0) + 1
        if attempt.verdict == "passed":
            latest_pass.setdefault(attempt.exercise_id, attempt)
            first_pass[attempt.exercise_id] = attempt  # overwritten until the oldest
    records = records_of(attempts)
    exercises = tuple(
        PassedExercise(
            id=exercise_id,
            passed_at=iso(first_pass[exercise_id].started_at),
            grader_version=latest_pass[exercise_id].grader_version or "?",
            file_sha256=latest_pass[exercise_id].file_sha256,
            attempts=counts[exercise_id],
            # Only a known "no": attempts recorded before the column existed say nothing (None).
            unsandboxed=getattr(latest_pass[exercise_id], "sandboxed", None) is False,
        )
        for exercise_id in sorted(latest_pass)
        if exercise_state(records.get(exercise_id)) == PASSED
    )
    criteria = tuple(
        MetCriterion(stage.id, criterion.id, criterion.kind, criterion.evidence[:2000])
        for stage in compute_status(catalogue, tracker)
        for criterion in stage.criteria
        if criterion.met
    )
    solutions = {}
    if share_code:
        for exercise in exercises:
            path = workspace.exercise_file(exercise.id)
            if path.is_file() and not path.is_symlink():
                solutions[exercise.id] = path.read_text(encoding="utf-8", errors="replace")[:100_000]
    return MemberFile(
        handle=workspace.handle,
        # The last activity, not the time of the sync: an unchanged tracker gives an unchanged file.
        updated_at=iso(last_activity(tracker) or now or _workspace_created(workspace)),
        mldojo_version=mldojo.__version__,
        exercises=exercises,
        criteria=criteria,
        benchmarks=best_benchmarks(tracker),
        solutions=solutions,
    )


def _workspace_created(workspace) -> datetime:
    try:
        return datetime.fromtimestamp((workspace.root / "mldojo.toml").stat().st_mtime, UTC)
    except OSError:
        return datetime.now(UTC)


def last_activity(tracker) -> datetime | None:
    """When the member last graded, recorded a criterion or ran a benchmark."""
    moments = [a.started_at for a in tracker.attempts(limit=1)]
    moments += [c.recorded_at for c in tracker.criteria()]
    moments += [b.recorded_at for b in tracker.benchmarks()[:1]]
    return max(moments) if moments else None


def best_benchmarks(tracker) -> tuple[BestBenchmark, ...]:
    """The fastest result per (exercise, benchmark), with the hardware it ran on."""
    best: dict[tuple[str, str], object] = {}
    for result in tracker.benchmarks():
        key = (result.exercise_id, result.benchmark_id)
        if result.median_s > 0 and (key not in best or result.median_s < best[key].median_s):
            best[key] = result
    return tuple(
        BestBenchmark(
            exercise=result.exercise_id,
            benchmark=result.benchmark_id,
            device=result.device if result.device in ("cpu", "cuda") else "cpu",
            median_s=float(result.median_s),
            ratio=result.ratio,
            met_target=result.met_target,
            hardware=hardware_of(result.environment, result.device),
            recorded_at=iso(result.recorded_at),
        )
        for key, result in sorted(best.items())
    )


def hardware_of(environment: str, device: str) -> str:
    """The GPU name for a CUDA result, else the CPU model, from the environment stamp (JSON)."""
    try:
        stamp = json.loads(environment or "{}")
    except ValueError:
        return ""
    if not isinstance(stamp, dict):
        return ""
    wanted = ("gpu", "cuda_device") if device == "cuda" else ("cpu",)
    for key, value in stamp.items():
        if isinstance(value, str) and value and any(word in key.lower() for word in wanted):
            return value[:200]
    return ""
