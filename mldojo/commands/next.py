"""`grade next` (and bare `grade`): the exercise to work on now, shown, with an offer to watch it.

The current exercise is the first, in catalogue order, that does not pass now: a passed
exercise that fails again comes back to the front.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from mldojo.commands import EXIT_PASS, UsageError, find_workspace, load_catalogue

HELP = "the exercise to work on now (the first that does not pass); bare `grade` does the same"
START_HERE = """Grade your from-scratch ML exercises and track your progress.

  grade init course && cd course    make a workspace with every exercise stub, then
  grade                             shows the exercise to work on and offers to watch it
  grade --help                      every command
"""


def configure(parser) -> None:
    """`grade next [--json] [--no-watch]`."""
    parser.add_argument("--json", action="store_true", help="print the current exercise as JSON (docs/json.md)")
    parser.add_argument("--no-watch", action="store_true", help="do not offer to watch it")


def run(args) -> int:
    """Show the current exercise; on a terminal, offer `grade watch` on it."""
    from mldojo.workspace import WorkspaceError

    try:
        workspace = find_workspace(args)
    except WorkspaceError as exc:
        if not args.json:
            print(START_HERE)
        raise UsageError(str(exc)) from None
    catalogue = load_catalogue()
    data = next_data(catalogue, workspace)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_PASS
    print_next(data)
    current = data["current"]
    if current and not args.no_watch and _interactive() and _ask(f"Watch {current['id']} now (it is graded again on every save)? [Y/n] "):
        from mldojo.watch import watch

        return watch(workspace, catalogue.exercise(current["id"]))
    return EXIT_PASS


def next_data(catalogue, workspace) -> dict:
    """The current exercise and where it stands, JSON-ready (docs/json.md)."""
    from mldojo.progress import PASSED, current_exercise, exercise_statuses
    from mldojo.tracker import summary

    records = summary.exercise_records(workspace.tracker_path)
    statuses = exercise_statuses(catalogue, records, workspace)
    states = {exercise_id: status.state for exercise_id, status in statuses.items()}
    exercise = current_exercise(catalogue, states)
    passed = sum(1 for state in states.values() if state == PASSED)
    data = {"workspace": str(workspace.root), "passed": passed, "total": len(states), "current": None}
    if exercise is None:
        return data
    status = statuses[exercise.id]
    data["current"] = {
        **status.to_dict(),
        "summary": exercise.summary,
        "file": str(workspace.exercise_file(exercise.id)),
        "last_summary": summary.latest_summary(workspace.tracker_path, exercise.id),
        "hints_shown": min(summary.hints_shown(workspace.tracker_path, exercise.id), len(exercise.hints)),
        "hints_total": len(exercise.hints),
        "prerequisites": [{"id": p, "state": states[p]} for p in exercise.prerequisites],
        "built_on_by": [e.id for e in catalogue.exercises if exercise.id in e.prerequisites],
    }
    return data


def print_next(data: dict) -> None:
    """The current exercise in a few lines: what it is, where it stands, what to type."""
    from mldojo.progress import STATE_MARKS, STATE_WORDS
    from mldojo.words import plural

    current = data["current"]
    if current is None:
        print(f"Every exercise passes ({plural(data['total'], 'exercise')}). `grade status` shows each stage's \"done when\" criteria.")
        return
    position = f"{data['passed']} of {plural(data['total'], 'exercise')} pass"
    print(f"Now: {current['id']} — {current['title']}   ({position})")
    for line in textwrap.wrap(current["summary"], 86):
        print(f"  {line}")
    state = current["words"]
    if current["attempts"]:
        last = f"; last attempt: {current['last_summary']}" if current["last_summary"] else ""
        state += f" ({plural(current['attempts'], 'attempt')}{last})"
    print(f"  state:  {state}")
    for note in current["notes"]:
        print(f"          {note}")
    if current["prerequisites"]:
        needs = ", ".join(f"{STATE_MARKS[p['state']]} {p['id']}" + ("" if p["state"] == "passed" else f" ({STATE_WORDS[p['state']]})")
                          for p in current["prerequisites"])
        print(f"  needs:  {needs}")
    if current["state"] == "regressed" and current["built_on_by"]:
        print(f"  built on by: {', '.join(current['built_on_by'])} (fix this one first)")
    print(f"  file:   {_shown_path(current['file'])}")
    hint = f"grade hint {current['id']} ({current['hints_shown']} of {current['hints_total']} shown)"
    print(f"  grade it: grade {current['id']}   ·   watch it: grade watch {current['id']}   ·   a hint: {hint}")


def _shown_path(path: str) -> str:
    """The file as the learner would type it from here."""
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive (Windows)
        return path
    return relative if not relative.startswith(".." + os.sep + "..") else path


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str) -> bool:
    """A yes/no question; Enter means yes, end of input means no."""
    try:
        answer = input(question).strip().lower()
    except EOFError:
        print()
        return False
    return answer in ("", "y", "yes")
