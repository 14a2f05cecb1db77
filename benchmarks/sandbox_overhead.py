"""What the sandbox costs: `grade stage1/linreg` and the attention bench ratio, sandboxed and not.

Usage:  python benchmarks/sandbox_overhead.py [--runs N] [--before PATH/TO/OLD/grade]

Compares, in one run and interleaved (A, B, A, B, ...) so that a machine that gets busier
slows both sides alike:
  - the wall time of `grade stage1/linreg` on the reference, with the sandbox
    (MLDOJO_SANDBOX=auto) and without it (MLDOJO_SANDBOX=off);
  - the CPU benchmark ratio `grade bench stage3/attention --only cpu-fwd-bwd` for the
    reference, with and without the sandbox.
With --before, a `grade` from an older checkout (its own virtualenv) is measured the same way
as a third side ("before": the code as it was before the sandbox landed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def workspace(grade: list[str], folder: Path) -> Path:
    """A fresh workspace with the linreg and attention references in place."""
    subprocess.run([*grade, "init", str(folder)], check=True, capture_output=True)
    for exercise in ("stage1/linreg", "stage3/attention"):
        (folder / (exercise + ".py")).write_text((REPO / "reference" / (exercise + ".py")).read_text())
    return folder


def timed(command: list[str], cwd: Path, env: dict, cpu: list | None = None) -> float:
    """Wall seconds of one run (a failing run stops the benchmark); with `cpu`, the CPU seconds
    of the whole process tree (grade, bubblewrap, the learner processes) are appended to it:
    a figure a busy machine inflates far less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    return elapsed


def last_ratio(folder: Path) -> float:
    """The ratio of the latest recorded benchmark in a workspace."""
    with sqlite3.connect(folder / ".mldojo" / "tracker.sqlite") as db:
        return float(db.execute("select ratio from benchmark_result order by id desc limit 1").fetchone()[0])


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bench-runs", type=int, default=3)
    parser.add_argument("--before", help="the `grade` script of an older checkout, measured as a third side")
    args = parser.parse_args()
    here = [str(Path(sys.executable).with_name("grade"))]
    base = dict(os.environ, NO_COLOR="1")
    sides = {"sandboxed": (here, dict(base, MLDOJO_SANDBOX="auto")), "unsandboxed": (here, dict(base, MLDOJO_SANDBOX="off"))}
    if args.before:
        sides["before"] = ([args.before], base)
    with tempfile.TemporaryDirectory(prefix="mldojo-sandbox-bench-") as scratch:
        folders = {name: workspace(grade, Path(scratch) / name) for name, (grade, _) in sides.items()}
        grading = {name: [] for name in sides}
        cpu = {name: [] for name in sides}
        ratios = {name: [] for name in sides}
        for name, (grade, env) in sides.items():  # one untimed run each: caches, first imports
            timed([*grade, "stage1/linreg"], folders[name], env)
        for _ in range(args.runs):
            for name, (grade, env) in sides.items():
                grading[name].append(timed([*grade, "stage1/linreg"], folders[name], env, cpu[name]))
        for _ in range(args.bench_runs):
            for name, (grade, env) in sides.items():
                timed([*grade, "bench", "stage3/attention", "--only", "cpu-fwd-bwd"], folders[name], env)
                ratios[name].append(last_ratio(folders[name]))
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} at the end; {args.runs} gradings and {args.bench_runs} benchmarks per side, interleaved")
    print(f"{'side':<12} {'grade stage1/linreg wall, median (min-max)':<44} {'CPU, median':<14} {'attention cpu-fwd-bwd ratio (each run)'}")
    for name in sides:
        times, found = grading[name], ratios[name]
        print(f"{name:<12} {statistics.median(times):6.2f} s ({min(times):.2f}-{max(times):.2f}){'':<26} "
              f"{statistics.median(cpu[name]):6.2f} s      {', '.join(f'{r:.2f}x' for r in found)}")
    print(json.dumps({"grading_s": grading, "cpu_s": cpu, "ratios": ratios, "load": load}))


if __name__ == "__main__":
    main()
