"""stage1/pca beyond the generic three directions: a correct solution written differently
passes, and the generated problems keep every compared component well determined."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.label_problems import component_problems
from mldojo.graders.stage1 import pca as grader

EXERCISE = "stage1/pca"


@pytest.mark.parametrize("name", ["pca_cov_and_transposed_svd"])
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / f"{name}.py", tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == ["pca_eig", "pca_svd", "reconstruct"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=component_problems())
def test_generated_components_are_determined_up_to_sign(problem):
    """Two independent routes (eigh of the covariance, scikit-learn's SVD) agree far inside the tolerance."""
    X, k = problem.X, problem.k
    values, vectors = np.linalg.eigh(np.atleast_2d(np.cov(X.T)))
    ours = vectors[:, ::-1][:, :k].T
    theirs = grader.sk_pca(X, k)[0]
    assert np.abs(grader._align(ours, theirs) - theirs).max() < grader.COMPONENT_TOLERANCE / 100
    assert np.abs(X.mean(axis=0)).max() > 0  # off-centre, so forgetting to centre is caught


def test_align_flips_rows_pointing_the_other_way():
    reference = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(grader._align(-reference, reference), reference)
