"""Replaying a passing check's inputs in a warm judge (graders/engine/replay.py): the same inputs in
the same order, a fresh learner process each grading, and a failure reported exactly as a cold
grading reports it."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest
from test_judge_hostile import EXERCISE, workspace  # noqa: F401 - fixture

from mldojo.graders.engine import replay as replay_module
from mldojo.graders.engine import results as R
from mldojo.graders.engine import warm
from mldojo.graders.engine.runner import GradeRequest, grade, grader_module_name

GRADER = '''\
"""Grader for the replay tests."""
from hypothesis import assume
from hypothesis import strategies as st
from mldojo.graders.kit import check, example, given

VERSION = "1"
CALLS = []  # every input the check was called with, in order


@check(examples=25)
@example(x=11)
@given(x=st.integers(-40, 40))
def f_squares_integers(learner, x):
    """f(x) == x * x."""
    CALLS.append(x)
    got = learner.f(x)
    assert got == x * x, f"f({x}) returned {got!r}, expected {x * x}"
'''
CORRECT = "def f(x):\n    return x * x\n"
WRONG_FROM_20 = "def f(x):\n    return x * x + (1 if x >= 20 else 0)\n"


@pytest.fixture
def grader(tmp_path, monkeypatch):
    """The replay tests' grader, imported from a real file (a recording is keyed by its source)."""

    def load(source: str = GRADER):
        path = tmp_path / "grader_source" / "hostile.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(grader_module_name(EXERCISE), path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)
        spec.loader.exec_module(module)
        return module

    return load


def grade_file(workspace, source: str, notified: list | None = None):  # noqa: F811 - the fixture's value
    file = workspace / "stagetest" / "hostile.py"
    file.write_text(textwrap.dedent(source))
    request = GradeRequest(EXERCISE, workspace, file, time_limit_s=30.0)
    return grade(request, on_check=notified.append if notified is not None else None)


def described(report):
    """What the learner is told, check by check."""
    return [(o.name, o.verdict, o.message, o.inputs, o.diagnosis) for o in report.checks]


def test_a_passing_check_is_called_again_with_the_same_inputs_in_order(grader, workspace):  # noqa: F811
    module = grader()
    with warm.warm_processes() as pool:
        first = grade_file(workspace, CORRECT)
        drawn = list(module.CALLS)
        module.CALLS.clear()
        second = grade_file(workspace, CORRECT)
        assert pool.replays.replayed == 1
    assert first.verdict == second.verdict == R.PASSED
    assert module.CALLS == drawn and drawn[0] == 11 and len(drawn) >= 25


def test_a_failure_after_a_replayed_pass_is_found_shrunk_and_told_as_a_cold_grading_tells_it(grader, workspace):  # noqa: F811
    grader()
    cold = grade_file(workspace, WRONG_FROM_20)
    assert cold.verdict == R.FAILED and "f(20) returned 401" in cold.checks[0].message  # shrunk to the smallest
    notified: list = []
    with warm.warm_processes() as pool:
        grade_file(workspace, CORRECT)
        warm_report = grade_file(workspace, WRONG_FROM_20, notified)
        assert pool.replays.replayed == 0, "the replay diverged: the check was drawn again"
        assert not pool.replays.recordings, "a check that failed keeps no recording"
    assert described(warm_report) == described(cold)
    assert [o.name for o in notified] == [o.name for o in warm_report.checks], "each check is shown once"


def test_a_learner_process_gets_no_state_from_the_last_grading(grader, workspace):  # noqa: F811
    """f is right for its first 40 calls in a process, wrong after: each grading makes fewer than
    40, so it passes only if every grading (replayed or not) gets a fresh process."""
    grader()
    counting = "CALLS = [0]\ndef f(x):\n    CALLS[0] += 1\n    return x * x if CALLS[0] <= 40 else -1\n"
    with warm.warm_processes() as pool:
        reports = [grade_file(workspace, counting) for _ in range(3)]
        assert pool.replays.replayed == 2
    assert [r.verdict for r in reports] == [R.PASSED] * 3


def test_the_recording_is_not_used_once_the_grader_changes(grader, workspace):  # noqa: F811
    module = grader()
    replays = replay_module.Replays()
    spec = module.f_squares_integers.__mldojo_check__
    before = replays.key(spec, None, 1.0)
    replays.keep(before, replay_module.Recording(spec, [replay_module.Call({"x": 1}, replay_module.digest_of({"x": 1}), {})]))
    assert replays.get(replays.key(spec, None, 1.0)) is not None
    changed = module.__file__
    with open(changed, "a") as handle:
        handle.write("\n# a tolerance changed\n")
    assert replays.get(replays.key(spec, None, 1.0)) is None, "an edited grader's recording is a miss"
    assert replays.get(replays.key(spec, 1, 1.0)) is None and replays.get(replays.key(spec, None, 2.0)) is None
    bumped = grader(GRADER.replace('VERSION = "1"', 'VERSION = "2"'))
    assert replays.get(replays.key(bumped.f_squares_integers.__mldojo_check__, None, 1.0)) is None


def test_inputs_changed_since_they_were_recorded_are_a_divergence():
    inputs = {"xs": [1, 2, 3]}
    recording = replay_module.Recording()
    recording.before(inputs)
    inputs["xs"].append(4)  # a check that edits its input in place
    with pytest.raises(replay_module.Diverged):
        replay_module.replay(recording, lambda **kwargs: None)


def test_a_check_that_rejected_or_drew_inside_is_drawn_again_every_time(grader, workspace):  # noqa: F811
    rejecting = GRADER.replace("    CALLS.append(x)\n", "    CALLS.append(x)\n    assume(x != 11)\n")  # the explicit example
    grader(rejecting)
    with warm.warm_processes() as pool:
        for _ in range(2):
            assert grade_file(workspace, CORRECT).verdict == R.PASSED
        assert pool.replays.replayed == 0 and not pool.replays.recordings
    drawing = GRADER.replace("@example(x=11)\n@given(x=st.integers(-40, 40))\ndef f_squares_integers(learner, x):",
                             "@given(x=st.integers(-40, 40), data=st.data())\ndef f_squares_integers(learner, x, data=None):")
    assert drawing != GRADER
    grader(drawing)
    with warm.warm_processes() as pool:
        for _ in range(2):
            assert grade_file(workspace, CORRECT).verdict == R.PASSED
        assert pool.replays.replayed == 0 and not pool.replays.recordings


def test_each_replayed_call_sees_the_random_state_hypothesis_gave_it_and_leaves_none_behind(grader, workspace):  # noqa: F811
    import random

    import numpy

    module = grader(GRADER.replace("    CALLS.append(x)\n", "    CALLS.append((x, random.random(), float(numpy.random.random())))\n")
                    .replace("from hypothesis import assume\n", "import random\nimport numpy\nfrom hypothesis import assume\n"))
    outside = (random.getstate(), numpy.random.get_state()[1].tolist())
    with warm.warm_processes() as pool:
        grade_file(workspace, CORRECT)
        drawn = list(module.CALLS)
        module.CALLS.clear()
        grade_file(workspace, CORRECT)
        assert pool.replays.replayed == 1
    assert module.CALLS == drawn, "a replayed call drew other random numbers than Hypothesis's call did"
    assert (random.getstate(), numpy.random.get_state()[1].tolist()) == outside, "the global generators were left changed"
