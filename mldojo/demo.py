"""`grade demo`: a tour on a fresh machine, in a temporary workspace.

One exercise is solved (with the reference), one holds a typical wrong attempt; both are
graded the way a learner grades, then the status table is shown.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

SOLVED = ["stage1/linreg"]
WRONG_ATTEMPTS = ["stage2/micrograd"]  # files in mldojo/demo_attempts/


def wrong_attempt_path(exercise_id: str) -> Path:
    """The shipped wrong attempt used by the demo."""
    return Path(str(resources.files("mldojo").joinpath("demo_attempts", exercise_id + ".py")))


def run_demo(keep: bool = False) -> int:
    """Build the demo workspace, grade it, show the status; 0 when it behaved as expected."""
    from mldojo import render
    from mldojo.catalogue import load_catalogue
    from mldojo.grading import grade_exercise
    from mldojo.progress import compute_status
    from mldojo.tracker.store import Tracker
    from mldojo.workspace import init_workspace, reference_path

    out = render.console()
    catalogue = load_catalogue()
    base = Path(tempfile.mkdtemp(prefix="mldojo-demo-"))
    try:
        workspace = init_workspace(base / "course", [e.id for e in catalogue.exercises], handle="demo").workspace
        out.print(f"[bold]mldojo demo[/] — a temporary workspace at {workspace.root}\n")
        for exercise_id in SOLVED:
            shutil.copyfile(reference_path(exercise_id), workspace.exercise_file(exercise_id))
        for exercise_id in WRONG_ATTEMPTS:
            shutil.copyfile(wrong_attempt_path(exercise_id), workspace.exercise_file(exercise_id))
        out.print(f"Solved already: {', '.join(SOLVED)}. A typical wrong attempt: {', '.join(WRONG_ATTEMPTS)}.\n")
        verdicts = {}
        for exercise_id in SOLVED + WRONG_ATTEMPTS:
            exercise = catalogue.exercise(exercise_id)
            out.print(f"$ grade {exercise_id}")
            render.report_header(out, exercise)
            graded = grade_exercise(workspace, exercise, on_check=lambda outcome: render.check_line(out, outcome))
            render.report_footer(out, graded.report, exercise, (0, len(exercise.hints)))
            verdicts[exercise_id] = graded.report.passed
            out.print()
        out.print("$ grade status")
        render.status_tables(out, compute_status(catalogue, Tracker.open(workspace.tracker_path)))
        out.print(f"\nStart your own: [bold]grade init course && cd course && grade {catalogue.exercises[0].id}[/]")
        as_expected = all(verdicts[e] for e in SOLVED) and not any(verdicts[e] for e in WRONG_ATTEMPTS)
        return 0 if as_expected else 1
    finally:
        if keep:
            out.print(f"[dim]The demo workspace is kept at {base / 'course'}[/]")
        else:
            shutil.rmtree(base, ignore_errors=True)
