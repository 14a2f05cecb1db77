"""The `grade` command. Parsing and dispatch only; each command imports what it needs.

`grade --help` and `grade list` must start fast, so nothing heavy (NumPy, PyTorch,
Hypothesis, SQLModel) is imported at module level here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mldojo.commands import EXIT_FAIL, EXIT_PASS, EXIT_USAGE, PLUGIN_COMMANDS, UsageError, find_exercise, open_tracker

COMMANDS = ("init", "list", "status", "history", "hint", "reveal", "watch", "done", "demo", "check") + PLUGIN_COMMANDS

DESCRIPTION = """Grade your from-scratch ML exercises and track your progress.

  grade init course        make a workspace with every exercise stub
  grade stage1/linreg      grade one exercise (exit code 0 = passed)
  grade demo               a quick tour in a temporary workspace
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="grade", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", metavar="PATH", help="the workspace to use (default: MLDOJO_WORKSPACE, else the nearest one above the current folder)")
    parser.add_argument("--version", action="store_true", help="print mldojo's version")
    # --workspace is accepted after the command too (`grade status --workspace DIR`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="PATH", default=argparse.SUPPRESS, help="the workspace to use")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    check = add("check", help="grade one exercise (the same as `grade ID`)")
    check.add_argument("exercise", metavar="ID", help="an exercise id such as stage1/linreg")
    check.add_argument("--seed", type=int, help="explore other inputs (default: the same inputs every run)")
    check.add_argument("--examples", type=float, default=1.0, metavar="SCALE", help="try SCALE times more inputs per check")
    check.add_argument("--json", action="store_true", help="print the result as JSON")

    init = add("init", help="create a workspace, or add new exercises to one")
    init.add_argument("directory", nargs="?", default=".", metavar="DIR")
    init.add_argument("--handle", help="your name in study groups (default: git's user.name)")

    add("list", help="every exercise and its state")
    status = add("status", help="progress per stage and its 'done when' criteria")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    history = add("history", help="your attempts at one exercise")
    history.add_argument("exercise", metavar="ID")
    hint = add("hint", help="show the next hint (recorded)")
    hint.add_argument("exercise", metavar="ID")
    reveal = add("reveal", help="show the reference solution (after you passed; recorded)")
    reveal.add_argument("exercise", metavar="ID")
    reveal.add_argument("--force", action="store_true", help="show it even though you have not passed yet")
    watch = add("watch", help="re-grade every time you save the file")
    watch.add_argument("exercise", metavar="ID")
    watch.add_argument("--seed", type=int)
    watch.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    watch.add_argument("--max-runs", type=int, default=0, help=argparse.SUPPRESS)  # for tests
    done = add("done", help="record a self-reported criterion with its evidence")
    done.add_argument("stage", metavar="STAGE")
    done.add_argument("criterion", metavar="CRITERION")
    done.add_argument("--evidence", required=True, help="a link or a few sentences that show it is done")
    demo = add("demo", help="a tour: a temporary workspace, graded, then the status")
    demo.add_argument("--keep", action="store_true", help="keep the demo workspace afterwards")
    for name in PLUGIN_COMMANDS:
        plugin = _plugin(name)
        plugin.configure(add(name, help=plugin.HELP, description=plugin.HELP))
    return parser


def _plugin(name: str):
    import importlib

    return importlib.import_module(f"mldojo.commands.{name}")


def normalise_argv(argv: list[str]) -> list[str]:
    """`grade stage1/linreg ...` means `grade check stage1/linreg ...`."""
    for index, token in enumerate(argv):
        if token.startswith("-"):
            if token == "--workspace" and index + 1 < len(argv):
                continue
            continue
        if index > 0 and argv[index - 1] == "--workspace":
            continue
        if token not in COMMANDS:
            return argv[:index] + ["check"] + argv[index:]
        return argv
    return argv


def main(argv: list[str] | None = None) -> int:
    """Entry point of `grade`; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(normalise_argv(argv))
    except SystemExit as exc:  # argparse already printed the problem
        return EXIT_USAGE if exc.code else EXIT_PASS
    if args.version:
        from mldojo import __version__

        print(f"mldojo {__version__}")
        return EXIT_PASS
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from mldojo import judge_process

    judge_process.limit_judge_memory()
    judge_process.signals_as_interrupts()
    judge_process.die_with_parent_from_env()
    handler = _plugin(args.command).run if args.command in PLUGIN_COMMANDS else globals()[f"cmd_{args.command}"]
    try:
        return handler(args)
    except UsageError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ngrade: interrupted", file=sys.stderr)
        return 130
    except _known_errors() as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _known_errors() -> tuple[type[BaseException], ...]:
    from mldojo.catalogue import CatalogueError
    from mldojo.workspace import WorkspaceError

    errors: list[type[BaseException]] = [CatalogueError, WorkspaceError]
    if "mldojo.tracker.errors" in sys.modules:
        errors.append(sys.modules["mldojo.tracker.errors"].TrackerError)
    return tuple(errors)


# -- helpers shared by commands ----------------------------------------------------------
def _catalogue():
    from mldojo.catalogue import load_catalogue

    return load_catalogue()


def _workspace(args):
    from mldojo.workspace import find_workspace

    return find_workspace(args.workspace)


_exercise = find_exercise
_tracker = open_tracker


# -- commands ----------------------------------------------------------------------------
def cmd_check(args) -> int:
    """Grade one exercise."""
    exercise = _exercise(args.exercise)
    workspace = _workspace(args)
    from mldojo import render
    from mldojo.grading import grade_exercise

    out = render.console()
    if not args.json:
        render.report_header(out, exercise)
    on_check = None if args.json else (lambda outcome: render.check_line(out, outcome))
    # Training tasks draw a live progress line on the terminal; --json prints only the result.
    on_progress = None if args.json else "terminal"
    on_graded = None if args.json else (lambda report: render.report_footer(out, report, exercise, _hint_position(workspace, exercise)))
    graded = grade_exercise(workspace, exercise, seed=args.seed, on_check=on_check, on_progress=on_progress,
                            examples_scale=args.examples, on_graded=on_graded)
    report = graded.report
    if args.json:
        data = report.to_dict()
        data["recorded"] = graded.recorded
        print(json.dumps(data, indent=2))
    else:
        if not graded.recorded:
            out.print(f"[yellow]warning:[/] this attempt was not recorded: {graded.tracker_problem}")
    return EXIT_PASS if report.passed else EXIT_FAIL


def _hint_position(workspace, exercise) -> tuple[int, int]:
    """(hints shown so far, hints in all), read with sqlite3 alone (no SQLModel import: the
    verdict is printed with it, before the attempt is recorded)."""
    import sqlite3

    from mldojo.tracker.errors import TrackerError
    from mldojo.tracker.summary import read_only_history

    try:
        with read_only_history(workspace.tracker_path) as connection:
            if connection is None:
                return 0, len(exercise.hints)
            (shown,) = connection.execute("SELECT COUNT(*) FROM hint_shown WHERE exercise_id = ?", (exercise.id,)).fetchone()
            return int(shown), len(exercise.hints)
    except (TrackerError, sqlite3.Error):
        return 0, len(exercise.hints)


def cmd_init(args) -> int:
    """Create or top up a workspace."""
    from mldojo.workspace import init_workspace

    catalogue = _catalogue()
    result = init_workspace(Path(args.directory), [e.id for e in catalogue.exercises], args.handle)
    root = result.workspace.root
    stubs = [p for p in result.created if p.suffix == ".py"]
    print(f"Workspace {root} (handle {result.workspace.handle}): {len(stubs)} new exercise files, {len([p for p in result.kept if p.suffix == '.py'])} kept as they were.")
    for path in stubs:
        print(f"  + {path.relative_to(root)}")
    print(f"  {result.git}")
    here = Path.cwd().resolve()
    go = "" if root == here else f"cd {os.path.relpath(root, here)} && "
    print(f"Next: {go}grade {catalogue.exercises[0].id}")
    return EXIT_PASS


def cmd_list(args) -> int:
    """List every exercise with its state (fast: no heavy imports)."""
    from mldojo.workspace import WorkspaceError, find_workspace

    catalogue = _catalogue()
    verdicts: dict[str, str] = {}
    passed: set[str] = set()
    note = ""
    try:
        workspace = find_workspace(args.workspace)
        from mldojo.tracker import summary

        verdicts = summary.latest_verdicts(workspace.tracker_path)
        passed = summary.passed_exercises(workspace.tracker_path)
    except WorkspaceError:
        note = "(not in a workspace: `grade init course` creates one)"
    for stage in catalogue.stages:
        exercises = catalogue.exercises_of(stage.id)
        print(f"{stage.id} — {stage.title}")
        for exercise in exercises:
            mark = "✓" if exercise.id in passed else ("✗" if exercise.id in verdicts else " ")
            print(f"  {mark} {exercise.id:<24} {exercise.title}")
        if not exercises:
            print("    (no exercises yet)")
    if note:
        print(note)
    return EXIT_PASS


def cmd_status(args) -> int:
    """Per-stage progress and criteria."""
    from mldojo import render
    from mldojo.progress import compute_status

    workspace = _workspace(args)
    stages = compute_status(_catalogue(), _tracker(workspace))
    if args.json:
        print(json.dumps({"workspace": str(workspace.root), "handle": workspace.handle, "stages": [s.to_dict() for s in stages]}, indent=2))
        return EXIT_PASS
    out = render.console()
    out.print(f"[bold]{workspace.handle}[/] in {workspace.root}")
    render.status_tables(out, stages)
    return EXIT_PASS


def cmd_history(args) -> int:
    """The attempts at one exercise."""
    from mldojo import render

    exercise = _exercise(args.exercise)
    tracker = _tracker(_workspace(args))
    render.history_table(
        render.console(), exercise.id, tracker.attempts(exercise.id), tracker.checks_for,
        benchmarks=tracker.benchmarks(exercise.id), training_runs=tracker.training_runs(exercise.id),
    )
    return EXIT_PASS


def cmd_hint(args) -> int:
    """Show the hints so far and the next one."""
    exercise = _exercise(args.exercise)
    tracker = _tracker(_workspace(args))
    shown = tracker.hints_shown(exercise.id)
    total = len(exercise.hints)
    for index in range(min(shown, total)):
        print(f"Hint {index + 1} of {total}: {exercise.hints[index]}\n")
    if shown >= total:
        print(f"That was every hint. `grade reveal {exercise.id} --force` shows the reference solution.")
        return EXIT_PASS
    print(f"Hint {shown + 1} of {total} (new): {exercise.hints[shown]}")
    tracker.record_hint(exercise.id, shown)
    return EXIT_PASS


def cmd_reveal(args) -> int:
    """Show the reference solution, after a pass or with --force."""
    from mldojo.workspace import reference_path

    exercise = _exercise(args.exercise)
    tracker = _tracker(_workspace(args))
    passed = exercise.id in tracker.passed_exercises()
    if not passed and not args.force:
        print(
            f"You have not passed {exercise.id} yet, so the reference stays hidden.\n"
            f"  Try `grade hint {exercise.id}` first; `grade reveal {exercise.id} --force` shows it anyway (and is recorded)."
        )
        return EXIT_FAIL
    tracker.record_reveal(exercise.id, forced=not passed, passed_before=passed)
    from mldojo import render
    from rich.syntax import Syntax

    out = render.console()
    out.print(f"[bold]Reference solution of {exercise.id}[/]" + ("" if passed else " [yellow](revealed before passing; recorded)[/]"))
    out.print(Syntax(reference_path(exercise.id).read_text(encoding="utf-8"), "python", line_numbers=True))
    return EXIT_PASS


def cmd_watch(args) -> int:
    """Re-grade on every save."""
    from mldojo.watch import watch

    exercise = _exercise(args.exercise)
    return watch(_workspace(args), exercise, seed=args.seed, interval=args.interval, max_runs=args.max_runs)


def cmd_done(args) -> int:
    """Record a self-reported criterion."""
    catalogue = _catalogue()
    try:
        stage = catalogue.stage(args.stage)
    except KeyError:
        raise UsageError(f"there is no stage {args.stage!r}; stages: {', '.join(s.id for s in catalogue.stages)}") from None
    criteria = {c.id: c for c in stage.criteria}
    criterion = criteria.get(args.criterion)
    if criterion is None:
        reportable = ", ".join(c.id for c in stage.criteria if c.kind == "self-reported")
        raise UsageError(f"{stage.id} has no criterion {args.criterion!r}; self-reported ones: {reportable}")
    if criterion.kind != "self-reported":
        raise UsageError(f"{stage.id} {criterion.id} is checked automatically from your attempts; it cannot be marked by hand")
    evidence = args.evidence.strip()
    if not evidence:
        raise UsageError(f"give evidence: {criterion.prompt}")
    _tracker(_workspace(args)).record_criterion(stage.id, criterion.id, "self-reported", evidence)
    print(f"Recorded: {stage.id} — {criterion.text}\n  evidence: {evidence}")
    return EXIT_PASS


def cmd_demo(args) -> int:
    """The tour on a fresh machine."""
    from mldojo.demo import run_demo

    return run_demo(keep=args.keep)


def run() -> None:
    """The console script: run `main`, then exit without the interpreter's teardown.

    Unloading SciPy, scikit-learn and PyTorch at exit costs ~0.4 s of wall time for
    nothing: every file is closed and every database write committed by then.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
