"""Where a warm re-grade's time goes: the judge's CPU, the learner's CPU, and timers around the parts.

Usage:  python benchmarks/regrade_profile.py [--gradings N] [--only ID ...]

For each exercise (default: stage1/linreg, stage2/micrograd, stage3/attention, graded on their
references), grades once inside a warm pool (as `grade watch` does; that first grading starts the
template and records the checks), then N more times, and prints per re-grade: the wall time to
the verdict, the judge's CPU time, the learner process's CPU time, and wall-clock timers wrapped
around the engine's parts (the requests to the learner process and what is inside them, the
Hypothesis draws, the learner process's start and end, the tracker's write). CPU times change
little with the load; wall times do: these machines are shared, read the load beside them.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = ("stage1/linreg", "stage2/micrograd", "stage3/attention")


class Timers:
    """Wall-clock totals of wrapped functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter = collections.Counter()

    def wrap(self, owner, name: str, label: str) -> None:
        """Time every call of owner.name under `label`."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        setattr(owner, name, timed)

    def clear(self) -> None:
        """Start counting anew."""
        self.seconds.clear()
        self.calls.clear()


def learner_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def instrument(timers: Timers, learner_cpu: list[float]) -> None:
    """Wrap the engine's parts in timers; note each learner process's CPU time before it ends."""
    from hypothesis import control

    import mldojo.grading as grading
    from mldojo.graders.engine import process, runner, warm, wire

    timers.wrap(process.LearnerProcess, "start", "learner process start (fork + import)")
    timers.wrap(process.LearnerProcess, "request", "requests to the learner process")
    timers.wrap(process.LearnerProcess, "_await_reply", "  waiting for replies (learner computing)")
    timers.wrap(warm.ForkedChild, "poll", "  is it alive? (ForkedChild.poll)")
    timers.wrap(wire, "encode", "  encoding requests")
    timers.wrap(control.BuildContext, "prep_args_kwargs_from_strategies", "Hypothesis drawing inputs")
    timers.wrap(runner, "run_check", "checks in all")
    timers.wrap(process.LearnerProcess, "close", "learner process end")
    timers.wrap(grading, "record_attempt", "tracker write (after the verdict)")
    close = process.LearnerProcess.close

    def noting_close(self):
        if self.proc is not None and self.proc.poll() is None:
            seconds = learner_cpu_seconds(self.proc.pid)
            if seconds is not None:
                learner_cpu.append(seconds)
        return close(self)

    process.LearnerProcess.close = noting_close


def profile(exercise: str, gradings: int) -> None:
    """Grade `exercise` warm 1 + N times and print the table for the N."""
    from mldojo.catalogue import load_catalogue
    from mldojo.grading import grade_exercise
    from mldojo.graders.engine import warm
    from mldojo.workspace import find_workspace

    with tempfile.TemporaryDirectory(prefix="mldojo-profile-") as folder:
        root = Path(folder) / "course"
        grade = Path(sys.executable).with_name("grade")
        subprocess.run([str(grade), "init", str(root)], check=True, capture_output=True)
        (root / (exercise + ".py")).write_text((REPO / "reference" / (exercise + ".py")).read_text())
        workspace, entry = find_workspace(root), load_catalogue().exercise(exercise)
        timers, learner_cpu = Timers(), []
        instrument(timers, learner_cpu)
        walls, cpus = [], []
        with warm.warm_processes() as pool:
            grade_exercise(workspace, entry, on_progress=None)
            timers.clear()
            learner_cpu.clear()
            for _ in range(gradings):
                started, cpu = time.perf_counter(), time.process_time()

                def verdict(report, started=started, cpu=cpu):
                    walls.append(time.perf_counter() - started)
                    cpus.append(time.process_time() - cpu)

                grade_exercise(workspace, entry, on_progress=None, on_graded=verdict)
            replayed = pool.replays.replayed
    print(f"\n{exercise}: {gradings} warm re-grades, load average {os.getloadavg()[0]:.2f}, {replayed} checks replayed")
    print(f"  {'to the verdict (wall, median)':<45} {statistics.median(walls):6.3f} s   ({min(walls):.2f}-{max(walls):.2f})")
    print(f"  {'judge CPU (median)':<45} {statistics.median(cpus):6.3f} s")
    if learner_cpu:
        print(f"  {'learner process CPU (median)':<45} {statistics.median(learner_cpu):6.3f} s")
    for label, seconds in timers.seconds.items():
        print(f"  {label:<45} {seconds / gradings:6.3f} s   ({timers.calls[label] // gradings} calls)")


def main() -> None:
    """Profile each exercise and print one block each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradings", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=list(DEFAULT))
    args = parser.parse_args()
    for exercise in args.only:
        profile(exercise, args.gradings)


if __name__ == "__main__":
    main()
