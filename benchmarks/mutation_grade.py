"""The test command of a mutation run: grade one (mutated) learner file, PASS or KILLED.

Usage:  python benchmarks/mutation_grade.py [--server SOCKET --timeout S] EXERCISE WORKSPACE
        python benchmarks/mutation_grade.py --serve SOCKET EXERCISE

Grades WORKSPACE/<EXERCISE>.py with the real engine, under the catalogue's limits, and stops
at the first check that does not pass (a mutant needs only "killed or not"). Prints one line,

    PASS
    KILLED <verdict> <first failing check>   (or: KILLED <verdict> - <problem> for a verdict
                                               reached before any check, e.g. a syntax error)

and exits 0 when every check passed (the mutant survived), 1 otherwise: failures, timeouts,
crashes and errors all kill a mutant. When a training check ran, the line ends with what the
judge measured, after " | " ("PASS | validation loss 2.2234 after 25.7 s of training").
cosmic-ray keeps the printed line with each mutant; benchmarks/mutation.py reads the killing
check's name from it.

Importing the engine, the grader and its oracles (scikit-learn, torch) costs more CPU than
grading a mutant that fails its first check, and a run grades thousands of mutants. So
`--serve` starts a fork server that imports all of that once and grades each request in a
fresh fork of itself (nothing one grading does is seen by the next); `--server SOCKET` sends
the request there, and grades in this process when no server answers. The grading itself,
`grade(GradeRequest(...))`, is the same call either way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

PASS, KILLED = 0, 1


def grade_file(exercise: str, workspace: Path, stop_at_first_failure: bool = True):
    """Grade WORKSPACE/<exercise>.py the way tests/grading.py's grade_source does."""
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.runner import GradeRequest, grade

    entry = load_catalogue().exercise(exercise)
    only: tuple[str, ...] = ()
    if os.environ.get(REDUCED_TRAINING):  # mutation.py --training-code: the training check alone, on a reduced goal
        only = reduced_training_check(exercise)
    elif os.environ.get("MLDOJO_MUTATION_WITHOUT_TRAINING"):  # mutation.py --without-training
        from mldojo.graders.engine.defaults import NAME
        from mldojo.graders.engine.runner import load_grader, stated_defaults_scope
        from mldojo.graders.engine.training import is_training_check
        from mldojo.graders.kit.checks import checks_of

        specs = checks_of(load_grader(exercise))
        only = tuple(spec.name for spec in specs if not is_training_check(spec))
        if stated_defaults_scope(exercise, any(is_training_check(spec) for spec in specs))[0]:
            only += (NAME,)  # the static check the runner adds
    request = GradeRequest(
        exercise=exercise,
        root=workspace,
        file=workspace / (exercise + ".py"),
        time_limit_s=entry.time_limit_s,
        memory_limit_mb=entry.memory_limit_mb,
        forbid=entry.forbid,
        stop_at_first_failure=stop_at_first_failure,
        only=only,
    )
    return grade(request)


REDUCED_TRAINING = "MLDOJO_MUTATION_REDUCED_TRAINING"  # the benchmark's own switch: never read by `grade`


def reduced_training_check(exercise: str) -> tuple[str, ...]:
    """Set the exercise's reduced goal in this (the judge's) process; the name of its training check."""
    from mldojo.graders.engine.runner import load_grader
    from mldojo.graders.engine.training import is_training_check
    from mldojo.graders.kit.checks import checks_of

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from reduced_training import reduce_goal

    reduce_goal(exercise, setattr)
    return tuple(spec.name for spec in checks_of(load_grader(exercise)) if is_training_check(spec))


def summary_line(report) -> str:
    """'PASS', or 'KILLED <verdict> <first check that did not pass>' (one line), with what a training check measured."""
    if report.passed:
        return "PASS" + measured_suffix(report)
    first = next((c for c in report.checks if c.verdict != "passed"), None)
    if first is not None:
        return f"KILLED {first.verdict} {first.name}" + measured_suffix(report)
    problem = " ".join(report.problem.split())[:200]
    return f"KILLED {report.verdict} - {problem}"


def measured_suffix(report) -> str:
    """' | <metric> <value> after <s> s of training' for the report's training check, or ''."""
    run = next((c.training for c in report.checks if getattr(c, "training", None)), None)
    if not run:
        return ""
    if run.get("loss") is not None:
        value = f"{run.get('metric') or 'loss'} {run['loss']:.4f}"
    elif run.get("accuracy") is not None:
        value = f"test accuracy {100 * run['accuracy']:.2f} %"
    else:
        return ""
    return f" | {value} after {run.get('wall_s', 0):.1f} s of training"


def clear_bytecode(workspace: Path) -> None:
    """Remove cached bytecode: a mutant of the same size in the same second would reuse a stale .pyc."""
    for cache in workspace.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def grade_line(exercise: str, workspace: Path) -> str:
    """Grade and summarise in one line; an engine error kills the mutant, and says so."""
    clear_bytecode(workspace)
    try:
        return summary_line(grade_file(exercise, workspace))
    except Exception as exc:
        return f"KILLED engine-error - {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


# ----------------------------------------------------------------------------- fork server


def preload(exercise: str) -> None:
    """Import everything a grading of `exercise` imports, so that forks start warm."""
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine import runner, training  # noqa: F401 - imported for the forks
    from mldojo.graders.kit import checks  # noqa: F401

    load_catalogue()
    runner.load_grader(exercise)


def serve(socket_path: str, exercise: str) -> int:
    """Answer grading requests on a Unix socket, each in a fresh fork, until killed."""
    preload(exercise)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the kernel
    print(f"serving {exercise} on {socket_path}", flush=True)
    while True:
        connection, _ = server.accept()
        if os.fork() == 0:
            server.close()
            answer(connection)
            os._exit(0)
        connection.close()


def answer(connection: socket.socket) -> None:
    """In a fork: read one request, grade it, send back the line."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the engine waits for its learner process
    try:
        request = json.loads(connection.makefile("r").readline())
        # The client may be killed at its timeout; do not grade on for nobody past it.
        signal.alarm(int(request["timeout"]))
        line = grade_line(request["exercise"], Path(request["workspace"]))
        connection.sendall((line + "\n").encode())
    except (OSError, ValueError, KeyError):
        pass  # the client is gone or the request is malformed: nothing to answer
    finally:
        connection.close()


def ask_server(socket_path: str, exercise: str, workspace: Path, timeout: float) -> str | None:
    """The server's line for this grading, or None when no server answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(socket_path)
            request = {"exercise": exercise, "workspace": str(workspace), "timeout": timeout}
            client.sendall((json.dumps(request) + "\n").encode())
            line = client.makefile("r").readline().strip()
    except OSError:
        return None
    return line or "KILLED engine-error - the grading process ended without an answer"


def main(argv: list[str]) -> int:
    """Grade, print the one-line result, and return the exit code (or serve)."""
    parser = argparse.ArgumentParser(description="Grade one mutant: exit 0 when it passes (survives).")
    parser.add_argument("--serve", metavar="SOCKET", help="run the fork server for EXERCISE on SOCKET")
    parser.add_argument("--server", metavar="SOCKET", help="ask the fork server on SOCKET to grade")
    parser.add_argument("--timeout", type=float, default=3600.0, help="the server stops a grading after this")
    parser.add_argument("exercise")
    parser.add_argument("workspace", nargs="?")
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.exercise)
    if args.workspace is None:
        parser.error("WORKSPACE is needed")
    workspace = Path(args.workspace).resolve()
    line = ask_server(args.server, args.exercise, workspace, args.timeout) if args.server else None
    if args.server and line is None:
        print(f"no grading server at {args.server}: grading here", file=sys.stderr)
    if line is None:
        line = grade_line(args.exercise, workspace)
    print(line)
    return PASS if line.split(" ", 1)[0] == "PASS" else KILLED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
