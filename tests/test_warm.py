"""Warm learner processes (graders/engine/warm.py): each grading forks a fresh learner process
from a template that already imported NumPy, torch and the drivers, inside the same sandbox."""

from __future__ import annotations

import os
import time

import pytest
from test_judge_hostile import (  # noqa: F401 - fixtures
    _processes_with,
    _wait_gone,
    g_doubles,
    grade_learner,
    outcome,
    use_checks,
    verdicts,
    workspace,
)

from mldojo.graders.engine import results as R
from mldojo.graders.engine import warm
from mldojo.graders.kit import check


@pytest.fixture
def pool():
    with warm.warm_processes() as opened:
        yield opened


def grade_warm(workspace, source, pool=None, **options):
    """grade_learner, where the warm template's own processes are expected to stay."""
    from test_judge_hostile import _processes_of

    report = grade_learner(workspace, source, check_strays=False, **options)
    own = set().union(*(t.own_processes() for t in pool.templates.values())) if pool else set()
    left = _wait_gone([pid for pid in _processes_of(workspace) if pid not in own])
    assert not left, f"learner processes still running after grading: {left}"
    return report


STATEFUL = """\
import os
CALLS = []
def f(x):
    CALLS.append(x)
    return float(len(CALLS)) * 4.0 if x == 2.0 else x * x
def g(x):
    return 2 * x
def pid():
    return os.getpid()
"""


def test_each_grading_gets_a_fresh_process_with_no_state_from_the_last(use_checks, workspace, pool):
    seen = []

    @check()
    def f_squares_once(learner):
        """f(2.0) is 4.0 on the first call of a fresh process."""
        seen.append(learner.pid())
        assert learner.f(2.0) == 4.0

    use_checks(f_squares_once, g_doubles)
    for _ in range(3):
        report = grade_warm(workspace, STATEFUL, pool, may_pass=True)
        assert report.verdict == R.PASSED, report
    assert len(set(seen)) == 3, "every grading must run in a new process"
    assert len(pool.templates) == 1, "the template is reused"


def test_a_crash_a_loop_and_an_exit_in_a_warm_process_are_reported_as_in_a_cold_one(use_checks, workspace, pool):
    segfault = "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\ndef g(x):\n    return 2 * x\n"
    report = grade_warm(workspace, segfault, pool)
    assert outcome(report, "f_squares").verdict == R.CRASHED and "SIGSEGV" in outcome(report, "f_squares").message
    assert outcome(report, "g_doubles").verdict == R.PASSED  # a fresh fork for the next check
    looping = "def f(x):\n    while True:\n        pass\ndef g(x):\n    return 2 * x\n"
    assert verdicts(grade_warm(workspace, looping, pool)) == {"f_squares": R.TIMEOUT, "g_doubles": R.SKIPPED}
    exiting = "import os\ndef f(x):\n    os._exit(3)\ndef g(x):\n    return 2 * x\n"
    report = grade_warm(workspace, exiting, pool)
    assert outcome(report, "f_squares").verdict == R.EXITED and "exit code 3" in outcome(report, "f_squares").message
    good = "def f(x):\n    return x * x\ndef g(x):\n    return 2 * x\n"
    assert grade_warm(workspace, good, pool, may_pass=True).verdict == R.PASSED


def test_a_setsid_grandchild_dies_with_its_grading_not_with_the_pool(use_checks, workspace, pool):
    word = f"mldojo-warm-test-{os.getpid()}-{time.monotonic_ns()}"
    source = ("import os, sys\ndef f(x):\n    if os.fork() == 0:\n        os.setsid()\n"
              f"        os.execv(sys.executable, [sys.executable, '-c', 'while True: pass', {word!r}])\n"
              "    return x * x\ndef g(x):\n    return 2 * x\n")
    grade_warm(workspace, source, pool, may_pass=True)
    assert not _wait_gone(_processes_with(word), timeout=2.0), "a grandchild outlived its grading"
    (template,) = pool.templates.values()
    assert template.alive()


def test_closing_the_pool_leaves_no_process(use_checks, workspace):
    with warm.warm_processes() as opened:
        grade_warm(workspace, "def f(x):\n    return x * x\ndef g(x):\n    return 2 * x\n", opened, may_pass=True)
        (template,) = opened.templates.values()
        processes = template.processes()
        assert processes
    assert not _wait_gone(processes, timeout=3.0)


def test_torch_and_what_it_imports_lazily_are_preloaded_for_torch_exercises_only():
    assert warm._wanted("sympy", "stage3/attention") and warm._wanted("torch", "stage3/attention")
    assert not warm._wanted("sympy", "stage1/linreg") and not warm._wanted("torch", "stage2/micrograd")
    assert warm._wanted("numpy", "stage1/linreg")
