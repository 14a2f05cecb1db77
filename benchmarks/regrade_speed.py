"""Save-to-verdict in `grade watch`, against a cold `grade ID` in the same run.

Usage:  python benchmarks/regrade_speed.py [--saves N] [--only ID ...]

For each exercise (default: stage1/linreg, stage2/micrograd, stage3/attention, graded on their
references), starts `grade watch ID` in a fresh workspace, waits for its first verdict, then N
times: saves the file (a changed comment, the code the same) and times until the watch prints
the verdict line. Beside it, N cold `grade ID` runs, interleaved. Prints medians, min and max,
and the load average: these machines are shared, compare the two columns, not the days.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = ("stage1/linreg", "stage2/micrograd", "stage3/attention")
VERDICT = "checks passed —"


def grade_command() -> list[str]:
    """The `grade` beside this Python."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mldojo.cli"]


class Watch:
    """A running `grade watch` whose output lines are read on a thread."""

    def __init__(self, workspace: Path, exercise: str):
        self.proc = subprocess.Popen([*grade_command(), "watch", exercise, "--no-keys"], cwd=workspace, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, NO_COLOR="1"))
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def next_verdict(self, timeout: float = 300.0) -> str:
        """Wait for the next verdict line."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if VERDICT in line:
                return line

    def close(self) -> None:
        """Stop the watch."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(exercise: str, saves: int) -> tuple[list[float], list[float]]:
    """(save-to-verdict times in the watch, cold `grade ID` times)."""
    with tempfile.TemporaryDirectory(prefix="mldojo-regrade-") as folder:
        root = Path(folder) / "course"
        subprocess.run([*grade_command(), "init", str(root)], check=True, capture_output=True)
        target = root / (exercise + ".py")
        source = (REPO / "reference" / (exercise + ".py")).read_text()
        target.write_text(source)
        watch = Watch(root, exercise)
        try:
            print(f"  {exercise}: first grading (starts the warm template) …", flush=True)
            watch.next_verdict()
            warm, cold = [], []
            for i in range(saves):
                started = time.perf_counter()
                target.write_text(source + f"\n# save {i}\n")
                line = watch.next_verdict()
                warm.append(time.perf_counter() - started)
                if "passed" not in line:
                    raise SystemExit(f"{exercise}: the reference did not pass: {line}")
                started = time.perf_counter()
                subprocess.run([*grade_command(), exercise], cwd=root, capture_output=True)
                cold.append(time.perf_counter() - started)
            return warm, cold
        finally:
            watch.close()


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=list(DEFAULT))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = []
    for exercise in args.only:
        warm, cold = measure(exercise, args.saves)
        rows.append((exercise, warm, cold))
    load = os.getloadavg()[0]
    print(f"\nload average {load_before:.2f} before, {load:.2f} after; {args.saves} saves per exercise "
          "(the watch looks at the file every 0.05 s)")
    print(f"{'exercise':<20} {'save-to-verdict (watch)':<30} {'cold grade ID':<30}")
    for exercise, warm, cold in rows:
        fmt = lambda t: f"{statistics.median(t):5.2f} s ({min(t):.2f}-{max(t):.2f})"  # noqa: E731
        ratio = statistics.median(cold) / statistics.median(warm)
        print(f"{exercise:<20} {fmt(warm):<30} {fmt(cold):<30} cold / warm {ratio:.1f}x")


if __name__ == "__main__":
    main()
