"""`grade serve`: a judge that stays up between gradings, for the TUI.

It reads a token on its first line of input, then exercise ids, one per line. Each id is graded
exactly as `grade check ID` grades and prints it, and ends with the line `done_line(token, code)`.
The token is the TUI's secret: output that a learner's code prints cannot forge the end of a
grading. Learner processes are forked from warm templates (graders/engine/warm.py), so every
grading after the first skips the imports, as in `grade watch`. An interrupted grading is
recorded as such and ends the server: the TUI starts a fresh one for the next grading.
"""

from __future__ import annotations

import argparse
import sys

from mldojo.commands import EXIT_PASS, EXIT_USAGE, UsageError

HELP = "grade the exercise ids read on standard input, keeping processes warm (what `grade tui` runs)"
DONE = "mldojo-serve-done"
INTERRUPTED = 130


def configure(parser) -> None:
    """`grade serve` takes no options of its own."""


def done_line(token: str, code: int) -> str:
    """The line that ends one grading's output."""
    return f"{DONE} {token} {code}"


def run(args) -> int:
    """Grade each id read on stdin until stdin closes (or a grading is interrupted)."""
    from mldojo.graders.engine.warm import warm_processes

    token = sys.stdin.readline().strip()
    if not token:
        raise UsageError("grade serve reads a token on its first line, then one exercise id per line")
    with warm_processes():
        for line in sys.stdin:
            exercise_id = line.strip()
            if not exercise_id:
                continue
            code = grade_one(exercise_id, args)
            print(done_line(token, code), flush=True)
            if code == INTERRUPTED:
                return INTERRUPTED
    return EXIT_PASS


def grade_one(exercise_id: str, args) -> int:
    """`grade check ID` in this process: its exit code; a problem is printed as `grade` prints it."""
    from mldojo import cli

    check = argparse.Namespace(exercise=exercise_id, workspace=getattr(args, "workspace", None), seed=None,
                               examples=1.0, json=False, notebook=None)
    try:
        return cli.cmd_check(check)
    except UsageError as exc:
        print(f"grade: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ngrade: interrupted", file=sys.stderr, flush=True)
        return INTERRUPTED
    except cli._known_errors() as exc:
        print(f"grade: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
