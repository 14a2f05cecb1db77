"""`grade demo`: a tour on a fresh machine, in a temporary workspace.

One exercise is solved (with the reference), one holds a typical wrong attempt; both are
graded the way a learner grades, then the status table is shown.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

SOLVED = ["stage1/linreg"]
# A typical first mistake, made by editing the reference: gradients assigned, not accumulated.
WRONG_ATTEMPTS = {"stage2/micrograd": [("self.grad += ", "self.grad = "), ("other.grad += ", "other.grad = ")]}


def wrong_attempt(exercise_id: str) -> str:
    """The demo's wrong attempt at an exercise: its reference with the mistake typed in."""
    from mldojo.workspace import reference_path

    text = reference_path(exercise_id).read_text(encoding="utf-8")
    for right, wrong in WRONG_ATTEMPTS[exercise_id]:
        if right not in text:
            raise RuntimeError(f"the demo's mistake no longer applies to {exercise_id}'s reference: {right!r}")
        text = text.replace(right, wrong)
    return text


def run_demo(keep: bool = False) -> int:
    """Build the demo workspace, grade it, show the status; 0 when it behaved as expected."""
    from mldojo import render
    from mldojo.catalogue import load_catalogue
    from mldojo.cli import next_up
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
            workspace.exercise_file(exercise_id).write_text(wrong_attempt(exercise_id), encoding="utf-8")
        out.print(f"Solved already: {', '.join(SOLVED)}. A typical wrong attempt: {', '.join(WRONG_ATTEMPTS)}.\n")
        verdicts = {}
        for exercise_id in SOLVED + list(WRONG_ATTEMPTS):
            exercise = catalogue.exercise(exercise_id)
            out.print(f"$ grade {exercise_id}")
            render.report_header(out, exercise)
            graded = grade_exercise(workspace, exercise, on_check=lambda outcome: render.check_line(out, outcome))
            following = next_up(workspace, exercise) if graded.report.passed else False
            render.report_footer(out, graded.report, exercise, (0, len(exercise.hints)), following)
            verdicts[exercise_id] = graded.report.passed
            out.print()
        out.print("$ grade status")
        with Tracker.open(workspace.tracker_path) as tracker:
            render.status_tables(out, compute_status(catalogue, tracker, workspace))
        out.print("\nStart your own: [bold]grade init course && cd course && grade[/]  (it shows the first exercise and offers to watch it)")
        as_expected = all(verdicts[e] for e in SOLVED) and not any(verdicts[e] for e in WRONG_ATTEMPTS)
        return 0 if as_expected else 1
    finally:
        if keep:
            out.print(f"[dim]The demo workspace is kept at {base / 'course'}[/]")
        else:
            shutil.rmtree(base, ignore_errors=True)
