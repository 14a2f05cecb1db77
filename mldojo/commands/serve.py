"""`grade serve`: grade the exercises named on standard input, one after another, with warm processes.

This is `grade tui`'s grader. Each line read is an exercise id; it is graded exactly as
`grade check ID` grades it (same output, same tracker record), and the output ends with a
line `MARKER EXIT_CODE`. Between gradings the judge keeps its imports and the warm learner
templates of the last exercises (as `grade watch` does), so the second grading of an
exercise answers in a fraction of a cold one's time; every grading still gets a fresh,
sandboxed learner process.

SIGINT cancels the grading under way (recorded as interrupted, exit code 130) and the server
waits for the next line; SIGTERM, SIGHUP or the end of standard input end it.
"""

from __future__ import annotations

import argparse
import signal
import sys

from mldojo.commands import EXIT_PASS, EXIT_USAGE, UsageError

HELP = "grade the exercise ids read from standard input, keeping warm processes between them (what `grade tui` uses)"
KEPT_TEMPLATES = 2  # warm templates of the most recent exercises; a torch one holds a few hundred MB
EXIT_INTERRUPTED = 130


def configure(parser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--marker", required=True, metavar="TEXT",
                        help="each grading's output ends with the line 'TEXT EXIT_CODE' (choose text the learner cannot guess)")
    parser.add_argument("--seed", type=int, help="explore other inputs (default: the same inputs every run)")


class _Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP: end the server; a grading under way is cut short like Ctrl-C's (recorded as interrupted)."""


def run(args) -> int:
    """Grade each id read from stdin until stdin ends; return 0."""
    from mldojo.graders.engine.warm import warm_processes

    stopping = _stop_on_termination()
    _remember_cancels()
    with warm_processes() as pool:
        try:
            for line in _requests():
                exercise_id = line.strip()
                if not exercise_id:
                    continue
                code = _grade_one(args, exercise_id)
                pool.keep_recent(exercise_id, KEPT_TEMPLATES)
                print(f"{args.marker} {code}", flush=True)
                if stopping():
                    break
        except _Stop:  # between gradings (after a marker, before the next read): a clean end
            pass
    return EXIT_PASS


def _requests():
    """Lines of stdin; a Ctrl-C that arrives while waiting for one is ignored; a stop ends them."""
    while True:
        try:
            line = sys.stdin.readline()
        except _Stop:
            return
        except KeyboardInterrupt:
            continue
        if not line:
            return
        yield line


def _grade_one(args, exercise_id: str) -> int:
    """`grade check ID` for one request; its exit code (130 when cancelled, 2 for a usage error)."""
    from mldojo.cli import _known_errors, cmd_check
    from mldojo.graders.engine import cancel

    check_args = argparse.Namespace(exercise=exercise_id, workspace=args.workspace, seed=args.seed, examples=1.0,
                                    json=False, notebook=None)
    cancel.clear()  # a Ctrl-C that came while the server was waiting for this request cancels nothing
    try:
        return cmd_check(check_args)
    except UsageError as exc:
        print(f"grade: {exc}", flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C from the TUI, or a stop (_Stop)
        print("\ngrade: interrupted", flush=True)
        return EXIT_INTERRUPTED
    except _known_errors() as exc:
        print(f"grade: {exc}", flush=True)
        return EXIT_USAGE
    finally:
        cancel.clear()


def _remember_cancels() -> None:
    """SIGINT raises KeyboardInterrupt and is also remembered (engine/cancel.py), so that an interrupt
    Python drops on the way (inside a finalizer, say) still ends the grading. Installed even when
    SIGINT came ignored (a TUI started in the background of a script): the TUI cancels with it."""
    from mldojo.graders.engine import cancel

    def interrupt(signum, frame):
        cancel.request()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)


def _stop_on_termination():
    """SIGTERM and SIGHUP (the TUI closing or gone) end the server; returns whether one came."""
    from mldojo.graders.engine import cancel

    came = []

    def stop(signum, frame):
        came.append(signum)
        cancel.request()  # as for Ctrl-C: should Python drop the _Stop (in a finalizer), the judge's waits raise again
        raise _Stop(signal.Signals(signum).name)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, stop)
    return lambda: bool(came)
