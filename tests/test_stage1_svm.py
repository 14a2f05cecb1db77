"""stage1/svm beyond the generic three directions: a correct SMO written differently from
the reference passes, and the facts the grader's checks rest on hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, apply_edits, explain, grade_source, package_file
from mldojo.graders.kit.linear_models import kkt_violations, sklearn_svc, svm_problems

EXERCISE = "stage1/svm"
REFERENCE = package_file("reference", EXERCISE).read_text()

OTHER_CORRECT_SOLUTIONS = {
    "platt_smo": (SOLUTIONS / "stage1" / "svm_platt.py").read_text(),
    # Intercept always from the middle of the feasible interval, never from free vectors.
    "intercept_from_the_interval": apply_edits(REFERENCE, [(
        "    if free.any():\n        return float(v[free].mean())\n", "",
    )]),
}


@pytest.mark.parametrize("name", OTHER_CORRECT_SOLUTIONS)
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, OTHER_CORRECT_SOLUTIONS[name], tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == ["SVC.decision_function", "SVC.fit", "SVC.predict", "linear_kernel", "rbf_kernel"]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=svm_problems())
def test_sklearn_svc_meets_the_kkt_conditions_the_check_demands(problem):
    # The KKT check's tolerance must be one scikit-learn's own solution meets with room to spare.
    model = sklearn_svc(problem)
    alpha = np.zeros(len(problem.y))
    alpha[model.support_] = np.abs(model.dual_coef_[0])
    signs = np.where(problem.y == model.classes_[1], 1.0, -1.0)
    margins = signs * model.decision_function(problem.X)
    assert kkt_violations(alpha, margins, problem.C).max() <= 1e-5
