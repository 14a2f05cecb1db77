"""Time from `grade tui` to a full first screen, as a learner sees it in a terminal.

Usage:  python benchmarks/tui_startup.py [--runs N] [--attempts N]

Runs `grade tui` in a pseudo-terminal of 80×24 in a workspace made by `grade init` (with
--attempts recorded attempts in its history, 200 by default), reads what the app writes,
and stops the clock when the whole first screen is there: the curriculum's first exercise,
the summary under the list ("Needs: …") and the footer's keys. Then it sends q and waits for the exit.
Prints each run, the median and the range, beside a bare `python -c pass` and the load
average (the machines are shared: read the load with the figures).
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_S = 1.0
# Escape sequences (CSI, OSC, single-character ones): removed, so the text between them is what the screen shows.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
TIMEOUT_S = 30.0


def grade_command() -> list[str]:
    """The installed `grade` script next to this Python, else `python -m mldojo.cli`."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mldojo.cli"]


def make_workspace(base: Path, attempts: int) -> Path:
    """`grade init course`, plus `attempts` recorded attempts spread over the exercises."""
    subprocess.run(grade_command() + ["init", "course"], cwd=base, check=True, stdout=subprocess.DEVNULL)
    course = base / "course"
    from mldojo.catalogue import load_catalogue
    from mldojo.tracker.store import Tracker

    ids = [e.id for e in load_catalogue().exercises]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with Tracker.open(course / ".mldojo" / "tracker.sqlite") as tracker:
        for n in range(attempts):
            verdict = "passed" if n % 3 == 0 else "failed"
            tracker.record_attempt(ids[n % len(ids)], start + timedelta(minutes=n), 1.0, verdict, "1", "0.1.0", "0" * 64, None,
                                   "3/4 checks passed", checks=[("a_check", verdict, "", 0.1)] * 4)
    return course


def markers(first_exercise: str) -> list[bytes]:
    """Texts that are all on screen only once the first screen is complete."""
    return [first_exercise.encode(), b"Needs:", b"Help"]  # the list, the summary under it, the footer


def one_run(course: Path, wanted: list[bytes]) -> tuple[float, float]:
    """(wall seconds from starting `grade tui` to a full first screen, CPU seconds the app used by then); then q quits it."""
    # As on a learner's machine: bytecode caches are written once and read afterwards.
    env = {k: v for k, v in os.environ.items() if k not in ("MLDOJO_WORKSPACE", "PYTHONDONTWRITEBYTECODE")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, in the pseudo-terminal
        os.chdir(course)
        _set_size(0, 24, 80)
        command = grade_command() + ["tui"]
        os.execvpe(command[0], command, env)
    _set_size(fd, 24, 80)
    seen = b""
    elapsed = cpu = None
    deadline = started + TIMEOUT_S
    try:
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += ESCAPES.sub(b"", chunk)
            if all(marker in seen for marker in wanted):
                elapsed = time.perf_counter() - started
                cpu = _cpu_seconds(pid)
                break
        if elapsed is None:
            raise SystemExit(f"no full first screen within {TIMEOUT_S:.0f} s; the app wrote:\n{seen[-2000:].decode(errors='replace')}")
        os.write(fd, b"q")
        _wait_for_exit(pid, fd)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(fd)
    return elapsed, cpu


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc (the load on a shared machine does not inflate it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_exit(pid: int, fd: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)  # drain, so the app never blocks on a full terminal
            except OSError:
                pass
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return


def _set_size(fd: int, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def python_baseline(runs: int) -> float:
    """Median seconds of a bare `python -c pass`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--attempts", type=int, default=200, help="attempts in the workspace's history")
    args = parser.parse_args()
    from mldojo.catalogue import load_catalogue

    base = Path(tempfile.mkdtemp(prefix="mldojo-tui-bench-"))
    try:
        course = make_workspace(base, args.attempts)
        wanted = markers(load_catalogue().exercises[0].id)
        one_run(course, wanted)  # warm the file cache: every learner's second start is like this one
        runs = [one_run(course, wanted) for _ in range(args.runs)]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    baseline = python_baseline(args.runs)
    load = os.getloadavg()[0]
    times = [wall for wall, _ in runs]
    cpus = [cpu for _, cpu in runs]
    print(f"grade tui to a full first screen (80×24, {args.attempts} attempts in the history), {args.runs} runs:")
    print("  wall: " + "  ".join(f"{t:.2f}" for t in times))
    print("  CPU:  " + "  ".join(f"{t:.2f}" for t in cpus) + f"   (median {statistics.median(cpus):.2f} s: the app's own work, whatever the load)")
    median = statistics.median(times)
    verdict = "met" if median <= TARGET_S else "missed"
    print(f"  median {median:.2f} s, min {min(times):.2f} s, max {max(times):.2f} s; target ≤ {TARGET_S:g} s: {verdict}")
    print(f"  python -c pass: {baseline:.3f} s; load average (1 min): {load:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
