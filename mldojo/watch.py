"""`grade watch ID`: re-grade every time the learner saves the exercise file.

On a terminal the screen is cleared before each run (the latest result is all there is
to read) and single keys act at once: h the next hint, n the next exercise that does not
pass, l the list, r grade again, q quit. Keys pressed while grading wait their turn.
"""

from __future__ import annotations

import hashlib
import sys
import time

from mldojo.catalogue import Exercise
from mldojo.keys import KeyReader
from mldojo.workspace import Workspace

KEYS_LINE = "h hint · n next exercise · l list · r grade again · q quit"


POLL_S = 0.05  # how often the file's metadata is looked at: a stat, 20 times a second
SETTLE_S = 0.03  # a save is graded once its size and time have held still this long
SETTLE_LIMIT_S = 1.0  # ... or after this long, for a file that keeps changing


def file_state(path) -> str | None:
    """A fingerprint of the file's bytes (None while it is missing)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def stat_state(path) -> tuple | None:
    """What a save changes in the file's metadata (None while it is missing); cheap to poll."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def settled(path, previous: tuple | None) -> tuple | None:
    """The file's metadata once it has stopped changing: an editor that truncates, then writes,
    is seen once, whole, not first as an empty or half-written file."""
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while time.monotonic() < deadline:
        time.sleep(SETTLE_S)
        now = stat_state(path)
        if now == previous:
            return now
        previous = now
    return previous


def watch(workspace: Workspace, exercise: Exercise, seed: int | None = None, interval: float = POLL_S, max_runs: int = 0,
          keys: bool = True) -> int:
    """Grade now, then again after each change; q or Ctrl-C stops. Returns the last exit code."""
    from mldojo import render

    from mldojo.graders.engine.warm import warm_processes

    out = render.console()
    # Warm learner processes: each save forks a fresh, sandboxed learner process from a template
    # that already imported NumPy (and torch) and the drivers, instead of starting Python anew.
    with KeyReader(enabled=keys) as reader, warm_processes():
        session = _Session(workspace, exercise, seed, out, reader)
        try:
            return session.loop(interval, max_runs)
        except KeyboardInterrupt:
            out.print("\n[dim]Stopped watching.[/]")
            return session.code


class _Session:
    """One watch: the exercise being watched, the runs so far, what the keys do."""

    def __init__(self, workspace: Workspace, exercise: Exercise, seed, out, reader: KeyReader) -> None:
        self.workspace, self.exercise, self.seed, self.out, self.reader = workspace, exercise, seed, out, reader
        self.runs, self.code = 0, 1
        self.last_state: object = object()
        self.last_stat: object = object()

    def loop(self, interval: float, max_runs: int) -> int:
        """Grade on every change (and on r), act on keys, until q, Ctrl-C or max_runs."""
        while True:
            if self.changed():
                self.grade()
                if max_runs and self.runs >= max_runs:
                    return self.code
            key = self.reader.read(interval)
            if key == "q":
                self.out.print("[dim]Stopped watching.[/]")
                return self.code
            self.act(key)

    def changed(self) -> bool:
        """True when the file's bytes differ from those graded last (looked at only when its
        metadata changed: a stat per poll, the bytes read once per save)."""
        path = self.workspace.exercise_file(self.exercise.id)
        now = stat_state(path)
        if now == self.last_stat:
            return False
        self.last_stat = settled(path, now) if now is not None else None
        state = file_state(path)
        if state == self.last_state:
            return False  # touched, not changed
        self.last_state = state
        return True

    def grade(self) -> None:
        """One run: a clean screen, the checks as they finish, the summary, what the keys do."""
        from mldojo import render
        from mldojo.cli import _hint_position, next_up
        from mldojo.grading import grade_exercise

        self.runs += 1
        if self.out.is_terminal:
            self.out.clear()
        path = self.workspace.exercise_file(self.exercise.id)
        self.out.print(f"[dim]Watching {path} — save to grade again.[/]")
        self.out.rule(f"{self.exercise.id} · run {self.runs} · {time.strftime('%H:%M:%S')}")
        exercise = self.exercise

        def footer(report) -> None:
            # Printed as soon as the verdict is known, before the attempt is recorded (as `grade ID`
            # does): the tracker's write is the learner's wait for nothing.
            render.report_footer(self.out, report, exercise, _hint_position(self.workspace, exercise),
                                 next_up(self.workspace, exercise) if report.passed else False)

        graded = grade_exercise(self.workspace, exercise, seed=self.seed, on_check=lambda o: render.check_line(self.out, o),
                                on_graded=footer)
        report = graded.report
        if not graded.recorded:
            self.out.print(f"[yellow]warning:[/] this attempt was not recorded: {graded.tracker_problem}")
        self.code = 0 if report.passed else 1
        self._waiting()

    def _waiting(self) -> None:
        keys = f" · {KEYS_LINE}" if self.reader.active else " · Ctrl-C stops"
        self.out.print(f"[dim]Waiting for the next save{keys}[/]")

    def act(self, key: str | None) -> None:
        """What a key does (None: no key was pressed)."""
        if key == "h":
            self._hint()
        elif key == "n":
            self._next()
        elif key == "l":
            self._list()
        elif key == "r":
            self.last_state = self.last_stat = object()  # graded again on the next turn of the loop

    def _hint(self) -> None:
        from mldojo.hints import show_hints
        from mldojo.tracker.store import Tracker

        self.out.print()
        with Tracker.open(self.workspace.tracker_path) as tracker:
            show_hints(tracker, self.exercise, lambda text: self.out.print(text, markup=False, highlight=False), earlier=False)
        self._waiting()

    def _next(self) -> None:
        from mldojo.catalogue import load_catalogue
        from mldojo.progress import exercise_states, next_after
        from mldojo.tracker.summary import exercise_records

        catalogue = load_catalogue()
        following = next_after(catalogue, exercise_states(catalogue, exercise_records(self.workspace.tracker_path)), self.exercise.id)
        if following is None:
            self.out.print("\nEvery other exercise passes: there is no next one.")
            self._waiting()
            return
        self.exercise, self.last_state, self.last_stat = following, object(), object()

    def _list(self) -> None:
        from mldojo.catalogue import load_catalogue
        from mldojo.listing import list_data, print_list

        self.out.print()
        print_list(list_data(load_catalogue(), self.workspace))
        sys.stdout.flush()  # print() and rich write to the same terminal: keep their order
        self._waiting()
