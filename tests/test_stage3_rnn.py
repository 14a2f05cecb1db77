"""stage3/rnn beyond the generic tests: the assignment's style passes, and the judge's own NumPy model of each layer
(from which the known mistakes are simulated) is torch's when no mistake is made."""

from __future__ import annotations

import numpy as np
import pytest

from grading import SOLUTIONS, explain, grade_source
from mldojo.graders.stage3 import rnn as grader

EXERCISE = "stage3/rnn"


def test_a_solution_typed_along_with_the_assignment_passes_on_several_seeds(tmp_path):
    for seed in (None, 2, 11):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "rnn_cs231n_style.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


@pytest.mark.parametrize("shape", grader.SEQUENCE_SHAPES)
@pytest.mark.parametrize("lstm", [False, True])
def test_the_judges_own_sequences_are_torchs(shape, lstm):
    n, t, d, h, grid = shape
    s = grader.make_sequence(n, t, d, h, lstm, seed=5, grid=grid)
    own = (grader.lstm_numpy if lstm else grader.rnn_numpy)(s)
    want = grader.torch_sequence(s, lstm)
    for name in ("h", "dx", "dh0", "dWx", "dWh", "db"):
        np.testing.assert_allclose(own[name], want[name], rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("shape", grader.STEP_SHAPES)
def test_the_judges_own_lstm_step_is_torchs_with_a_cell_state_and_its_gradient(shape):
    n, d, h, grid = shape
    s = grader.make_sequence(n, 1, d, h, lstm=True, seed=6, grid=grid, step=True)
    own, want = grader.lstm_numpy(s), grader.torch_step(s, lstm=True)
    own["h"], own["dx"] = own["h"][:, 0], own["dx"][:, 0]  # a step is a sequence of one
    for mine, theirs in (("h", "next_h"), ("c", "next_c"), ("dx", "dx"), ("dh0", "dprev_h"), ("dc0", "dprev_c"), ("dWx", "dWx"),
                         ("dWh", "dWh"), ("db", "db")):
        np.testing.assert_allclose(own[mine], want[theirs], rtol=1e-10, atol=1e-12, err_msg=mine)
