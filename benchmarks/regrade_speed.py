"""Save-to-verdict in `grade watch` and in the TUI, against a cold `grade ID` in the same run.

Usage:  python benchmarks/regrade_speed.py [--saves N] [--only ID ...]

For each exercise (default: stage1/linreg, stage2/micrograd, stage3/attention, graded on their
references), starts `grade watch ID` in a fresh workspace, waits for its first verdict, then N
times: saves the file (a changed comment, the code the same) and times until the watch prints
the verdict line. Beside it, interleaved: N cold `grade ID` runs, and N gradings asked of a
`grade serve` (what the TUI's `g` does; timed from the request to its end-of-grading line, after
a first, cold one). Prints medians, min and max, and the load average: these machines are
shared, compare the columns, not the days.
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


class Server:
    """A running `grade serve`, as the TUI keeps one."""

    MARKER = "regrade-speed-done"

    def __init__(self, workspace: Path):
        self.proc = subprocess.Popen([*grade_command(), "serve", "--marker", self.MARKER], cwd=workspace, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, NO_COLOR="1"))

    def grade(self, exercise: str) -> str:
        """Ask for one grading and wait for its end; its verdict line."""
        self.proc.stdin.write(exercise + "\n")
        self.proc.stdin.flush()
        verdict = ""
        for line in self.proc.stdout:
            if VERDICT in line:
                verdict = line
            if line.startswith(self.MARKER):
                return verdict
        raise SystemExit(f"{exercise}: grade serve ended")

    def close(self) -> None:
        """End it (end of input)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(exercise: str, saves: int) -> tuple[list[float], list[float], list[float]]:
    """(save-to-verdict times in the watch, cold `grade ID` times, TUI re-grade times by `grade serve`)."""
    with tempfile.TemporaryDirectory(prefix="mldojo-regrade-") as folder:
        root = Path(folder) / "course"
        subprocess.run([*grade_command(), "init", str(root)], check=True, capture_output=True)
        target = root / (exercise + ".py")
        source = (REPO / "reference" / (exercise + ".py")).read_text()
        target.write_text(source)
        watch, server = Watch(root, exercise), Server(root)
        try:
            print(f"  {exercise}: first grading (starts the warm template) …", flush=True)
            watch.next_verdict()
            server.grade(exercise)
            warm, cold, served = [], [], []
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
                started = time.perf_counter()
                line = server.grade(exercise)
                served.append(time.perf_counter() - started)
                if "passed" not in line:
                    raise SystemExit(f"{exercise}: the reference did not pass in grade serve: {line}")
            return warm, cold, served
        finally:
            watch.close()
            server.close()


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=list(DEFAULT))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = []
    for exercise in args.only:
        rows.append((exercise, *measure(exercise, args.saves)))
    load = os.getloadavg()[0]
    print(f"\nload average {load_before:.2f} before, {load:.2f} after; {args.saves} saves per exercise "
          "(the watch looks at the file every 0.05 s)")
    print(f"{'exercise':<20} {'save-to-verdict (watch)':<28} {'TUI re-grade (serve)':<28} {'cold grade ID':<28}")
    for exercise, warm, cold, served in rows:
        fmt = lambda t: f"{statistics.median(t):5.2f} s ({min(t):.2f}-{max(t):.2f})"  # noqa: E731
        ratio = statistics.median(cold) / statistics.median(warm)
        tui_ratio = statistics.median(cold) / statistics.median(served)
        print(f"{exercise:<20} {fmt(warm):<28} {fmt(served):<28} {fmt(cold):<28} cold / warm {ratio:.1f}x, cold / TUI {tui_ratio:.1f}x")


if __name__ == "__main__":
    main()
