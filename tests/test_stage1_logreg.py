"""stage1/logreg beyond the generic three directions: correct solutions written
differently from the reference pass, and the scikit-learn oracle is converged far past
the checks' tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading import SOLUTIONS, apply_edits, explain, grade_source, package_file
from mldojo.graders.kit.linear_models import logistic_problems, newton_logistic, sklearn_logistic
from mldojo.graders.stage1 import logreg as grader

EXERCISE = "stage1/logreg"
REFERENCE = package_file("reference", EXERCISE).read_text()

OTHER_CORRECT_SOLUTIONS = {
    "kron_newton_tanh_sigmoid": (SOLUTIONS / "stage1" / "logreg_kron.py").read_text(),
    # A sigmoid that clips the logit first: values differ from the exact ones by < 1e-200.
    "clipped_sigmoid": apply_edits(REFERENCE, [(
        "    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))",
    )]),
}


@pytest.mark.parametrize("name", OTHER_CORRECT_SOLUTIONS)
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, OTHER_CORRECT_SOLUTIONS[name], tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == [
        "LogisticRegression.fit", "LogisticRegression.predict", "LogisticRegression.predict_proba",
        "log_loss", "log_loss_grad", "sigmoid",
    ]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=logistic_problems(n_classes=(2, 3, 4)), C=st.sampled_from(grader.CS))
def test_sklearn_logistic_is_converged_far_past_the_checks_tolerance(problem, C):
    # coef_ is checked to 1e-4: scikit-learn's answer must agree with an exact Newton solve to 1e-6.
    model = sklearn_logistic(problem.X, problem.y, C)
    coef, intercept = newton_logistic(problem.X, problem.y, C, tol=1e-12)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-6)
    centre = (lambda v: v - v.mean()) if problem.n_classes > 2 else (lambda v: v)
    np.testing.assert_allclose(centre(model.intercept_), centre(intercept), atol=1e-6)
