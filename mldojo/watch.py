"""`grade watch ID`: re-grade every time the learner saves the exercise file."""

from __future__ import annotations

import hashlib
import time

from mldojo.catalogue import Exercise
from mldojo.workspace import Workspace


def file_state(path) -> str | None:
    """A fingerprint of the file's bytes (None while it is missing)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def watch(workspace: Workspace, exercise: Exercise, seed: int | None = None, interval: float = 0.5, max_runs: int = 0) -> int:
    """Grade now, then again after each change; Ctrl-C stops. Returns the last exit code."""
    from mldojo import render
    from mldojo.cli import _hint_position
    from mldojo.grading import grade_exercise

    out = render.console()
    path = workspace.exercise_file(exercise.id)
    last_state, runs, code = object(), 0, 1
    out.print(f"[dim]Watching {path} — save to re-grade, Ctrl-C to stop.[/]")
    try:
        while True:
            state = file_state(path)
            if state != last_state:
                last_state = state
                runs += 1
                out.rule(f"{exercise.id} · run {runs} · {time.strftime('%H:%M:%S')}")
                graded = grade_exercise(workspace, exercise, seed=seed, on_check=lambda o: render.check_line(out, o))
                render.report_footer(out, graded.report, exercise, _hint_position(workspace, exercise))
                code = 0 if graded.report.passed else 1
                out.print("[dim]Waiting for the next save…[/]")
                if max_runs and runs >= max_runs:
                    return code
            time.sleep(interval)
    except KeyboardInterrupt:
        out.print("\n[dim]Stopped watching.[/]")
        return code
