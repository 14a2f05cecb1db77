"""`grade serve`: the TUI's warm grader, driven the way the TUI drives it (ids in, output and a marker line out)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import uuid

import pytest
from test_judge_hostile import _processes_with as processes_with
from test_sandbox import _wait_for as wait_for

from grading import package_file
from mldojo.tracker.store import Tracker
from mldojo.workspace import find_workspace

GRADE = [sys.executable, "-P", "-m", "mldojo.cli"]
MARKER = "test-serve-3f1c"
EXERCISE = "stage1/linreg"
# Imported, the learner's module starts a process that carries WORD on its command line (the sign
# that the grading reached the learner's code), then sleeps.
SLEEPING_MODULE = """\
import os, sys, time
if os.fork() == 0:
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", "WORD"])
time.sleep(120)
"""


@pytest.fixture()
def course(tmp_path):
    """A workspace made by `grade init`."""
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    subprocess.run([*GRADE, "init", "course"], cwd=tmp_path, env=env, check=True, capture_output=True)
    return find_workspace(tmp_path / "course")


class Served:
    """A `grade serve` child whose output lines are read on a thread."""

    def __init__(self, root):
        env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
        self.proc = subprocess.Popen([*GRADE, "serve", "--marker", MARKER], cwd=root, env=dict(env, NO_COLOR="1"), text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def ask(self, exercise_id: str) -> None:
        self.proc.stdin.write(exercise_id + "\n")
        self.proc.stdin.flush()

    def until(self, predicate, timeout: float = 240.0) -> list[str]:
        """Lines up to and including the first one the predicate accepts."""
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            assert line is not None, "grade serve ended:\n" + "\n".join(seen)
            seen.append(line)
            if predicate(line):
                return seen

    def result(self, timeout: float = 240.0) -> tuple[int, list[str]]:
        """The next grading's exit code and its output."""
        seen = self.until(lambda line: line.startswith(MARKER + " "), timeout)
        return int(seen[-1].split()[-1]), seen[:-1]

    def close(self) -> int:
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def test_gradings_in_a_row_say_what_grade_id_says_and_end_with_the_exit_code(course):
    served = Served(course.root)
    try:
        served.ask(EXERCISE)
        code, output = served.result()
        assert code == 1 and any("not implemented" in line for line in output), output
        served.ask("stage1/no_such_exercise")
        code, output = served.result()
        assert code == 2 and any("no exercise" in line for line in output), output
        course.exercise_file(EXERCISE).write_text(package_file("reference", EXERCISE).read_text())
        for _ in range(2):  # the second one on the warm template
            served.ask(EXERCISE)
            code, output = served.result()
            assert code == 0 and any("checks passed — passed" in line for line in output), output
        assert served.close() == 0  # the end of its input ends it
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
    with Tracker.open(course.tracker_path) as tracker:
        assert [a.verdict for a in tracker.attempts(EXERCISE)] == ["passed", "passed", "not_implemented"]


def test_ctrl_c_cancels_the_grading_not_the_server_and_sigterm_ends_it(course):
    word = f"mldojo-serve-{uuid.uuid4().hex}"
    course.exercise_file(EXERCISE).write_text(SLEEPING_MODULE.replace("WORD", word))
    served = Served(course.root)
    try:
        served.ask(EXERCISE)
        assert wait_for(lambda: processes_with(word), 120), "the learner's module was never imported"
        os.kill(served.proc.pid, signal.SIGINT)
        code, output = served.result(timeout=60)
        assert code == 130 and any("interrupted" in line for line in output), output
        assert wait_for(lambda: not processes_with(word), 10), "the cancelled grading left the learner's process behind"
        course.exercise_file(EXERCISE).write_text(package_file("reference", EXERCISE).read_text())
        served.ask(EXERCISE)
        code, output = served.result()
        assert code == 0, output
        os.kill(served.proc.pid, signal.SIGTERM)  # idle: it ends at once, cleanly
        assert served.proc.wait(timeout=60) == 0
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
    with Tracker.open(course.tracker_path) as tracker:
        assert [a.verdict for a in tracker.attempts(EXERCISE)] == ["passed", "interrupted"]


def test_a_long_lived_pool_keeps_only_the_most_recent_templates():
    from mldojo.graders.engine.warm import WarmPool

    class FakeTemplate:
        closed = False

        def close(self):
            self.closed = True

    pool = WarmPool()
    made = {}
    for exercise in ("stage1/linreg", "stage2/micrograd", "stage3/attention"):
        made[exercise] = pool.templates[(exercise, "root")] = FakeTemplate()
    pool.keep_recent("stage1/linreg", 2)  # linreg used again: micrograd is now the oldest
    assert [key[0] for key in pool.templates] == ["stage3/attention", "stage1/linreg"]
    assert made["stage2/micrograd"].closed and not made["stage1/linreg"].closed and not made["stage3/attention"].closed


def test_a_cancel_whose_interrupt_was_lost_still_ends_the_wait_on_the_learner(tmp_path):
    # Python drops a KeyboardInterrupt raised inside a finalizer; `grade serve` remembers the
    # cancel too (engine/cancel.py), and the judge's waits on the learner process honour it.
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine import cancel
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import LearnerSession

    word = f"mldojo-lost-interrupt-{uuid.uuid4().hex}"
    target = tmp_path / (EXERCISE + ".py")
    target.parent.mkdir(parents=True)
    target.write_text(SLEEPING_MODULE.replace("WORD", word))
    entry = load_catalogue().exercise(EXERCISE)
    session = LearnerSession(LearnerModule(EXERCISE, tmp_path.resolve(), target.resolve(), entry.forbid, entry.memory_limit_mb), Budget(600))

    def cancel_once_imported():
        if wait_for(lambda: processes_with(word), 120):
            cancel.request()  # no KeyboardInterrupt is raised: as if it had been lost

    threading.Thread(target=cancel_once_imported, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            session.start()  # waits on the import (60 s limit) unless the cancel is honoured
    finally:
        cancel.clear()
        session.close()
    assert wait_for(lambda: not processes_with(word), 10), "the cancelled learner process was left behind"
