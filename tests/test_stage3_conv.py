"""stage3/conv beyond the generic tests: the assignment's loop style passes; any tied maximum is accepted, as the stub
says, and torch's own gradients have the property the tie check demands."""

from __future__ import annotations

import numpy as np
import pytest

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.stage3 import conv as grader

EXERCISE = "stage3/conv"


def test_a_loop_per_image_filter_and_position_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 4, 9):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "conv_cs231n_loops.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_a_max_pool_that_sends_ties_to_the_last_maximum_passes(tmp_path):
    source = package_file("reference", EXERCISE).read_text()
    first = "row, col = np.divmod(window.argmax(axis=2), pw)"
    last = "row, col = np.divmod(window.shape[2] - 1 - window[:, :, ::-1].argmax(axis=2), pw)"
    assert source.count(first) == 1
    checks = ("max_pool_backward_matches_autograd", "max_pool_backward_sends_each_window_to_one_maximum")
    report = grade_source(EXERCISE, source.replace(first, last), tmp_path, only=checks)
    assert report.passed, explain(report)


@pytest.mark.parametrize("case", [grader.tie_case(1, 2, 4, 4, 2, 2, 2, zeros=True), grader.tie_case(2, 2, 5, 5, 3, 3, 1, seed=21),
                                  grader.SECOND_TIE_CASE, grader.tie_case(2, 1, 7, 8, 3, 2, 2, seed=5)])
def test_torchs_gradient_has_the_tie_property(case):
    assert grader.tie_violation(case, grader.torch_pool(case)[1]) is None


def test_the_tie_property_rejects_a_gradient_sent_to_every_tied_maximum():
    case = grader.tie_case(1, 2, 4, 4, 2, 2, 2, zeros=True)
    assert "exactly one" in grader.tie_violation(case, grader.pool_backward_mistake(case, "every_max"))


@pytest.mark.parametrize("case", grader.CONV_EXAMPLES)
def test_the_judges_own_convolution_is_torchs(case):
    # The mistakes are simulated by conv_numpy with a rule changed; unchanged, it must be conv2d itself.
    out, dx, dw, _db = grader.torch_conv(case)
    np.testing.assert_allclose(grader.conv_numpy(case), out, rtol=1e-12, atol=1e-12)
    dxp, own_dw = grader.conv_grads_numpy(case)
    np.testing.assert_allclose(grader.crop(dxp, case.conv_param["pad"]), dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(own_dw, dw, rtol=1e-12, atol=1e-12)
