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


# -- the blind spots of issue 11, closed on every seed --------------------------------------

from grading import mutants  # noqa: E402

MUTANT = {m.name: m for m in mutants(EXERCISE)}


def test_a_pca_in_lecture_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "pca_lecture_style.py", tmp_path)
    assert report.passed, explain(report)


def test_pca_fixed_problems_are_well_determined_and_new_rows_are_off_the_mean():
    for problem in grader.FIXED_COMPONENTS:
        values, vectors = np.linalg.eigh(np.atleast_2d(np.cov(problem.X.T)))
        ours = vectors[:, ::-1][:, : problem.k].T
        theirs = grader.sk_pca(problem.X, problem.k)[0]
        assert np.abs(grader._align(ours, theirs) - theirs).max() < grader.COMPONENT_TOLERANCE / 100
        assert problem.k != 2
    assert grader.FIXED_COMPONENTS[1].k == grader.FIXED_COMPONENTS[1].X.shape[1]
    assert len(grader.FIXED_NEW_ROWS[0].X_new) == 1 and len(grader.FIXED_NEW_ROWS[1].X_new) > 1
    for rows in [*grader.FIXED_NEW_ROWS, grader.CONFIRM_NEW_ROWS]:
        assert not np.allclose(rows.X_new.mean(axis=0), rows.X.mean(axis=0))
    # On the confirming rows every slip gives an answer of its own.
    other = grader.CONFIRM_NEW_ROWS
    C, _, mean = grader.sk_pca(other.X, other.k)
    answers = [mean + (other.X_new - mean) @ C.T @ C] + [slip(other.X_new, C, mean) for _, slip in grader._new_row_slips()]
    for i in range(len(answers)):
        for j in range(i):
            assert not np.allclose(answers[i], answers[j]), (i, j)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pca_new_rows_and_a_stated_k_are_exercised_on_every_seed(seed, tmp_path):
    for name in ("reconstruct_centres_on_its_own_rows", "reconstruct_recomputes_the_mean", "eig_k_ignored",
                 "svd_columns_of_vt"):
        mutant = MUTANT[name]
        report = grade_source(EXERCISE, mutant.source, tmp_path / f"{name}-{seed}", seed=seed, only=(mutant.expect,))
        outcome = {c.name: c for c in report.checks}[mutant.expect]
        assert outcome.verdict == "failed", (name, explain(report))
        assert mutant.diagnosis in (outcome.diagnosis or ""), (name, explain(report))
