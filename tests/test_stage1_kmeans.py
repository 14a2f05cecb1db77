"""stage1/kmeans beyond the generic three directions: a correct solution written differently
passes, and the replay the grader filters its inputs with agrees with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.label_problems import blobs, scattered_points
from mldojo.graders.stage1 import kmeans as grader

EXERCISE = "stage1/kmeans"


@pytest.mark.parametrize("name", ["kmeans_expanded_distances"])
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / f"{name}.py", tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == ["kmeans", "kmeans_plus_plus"]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=grader.lloyd_cases(scattered_points()))
def test_the_replay_agrees_with_sklearn(case):
    """The judge's own Lloyd replay (used to filter inputs and for diagnoses) is scikit-learn's algorithm."""
    run = grader._lloyd(case.X, case.init, case.max_iter, case.tol)
    centres, labels, inertia = grader.sk_kmeans(case.X, case.init, case.max_iter, case.tol)
    np.testing.assert_array_equal(run.labels, labels)
    np.testing.assert_allclose(run.centres, centres, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.inertia, inertia, rtol=1e-9)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=blobs())
def test_blobs_are_separated_and_distinct(problem):
    assert len(np.unique(problem.X, axis=0)) == len(problem.X)
    assert len(problem.X) >= 2 * problem.k


def test_exact_d_squared_picks_pass_and_a_wrong_rule_fails():
    """The statistical test accepts draws from the exact D^2 distribution and rejects D^1 draws."""
    from scipy.stats import chi2

    rng = np.random.default_rng(0)
    X = grader.PLUS_PLUS_POINTS
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)

    def draws(power):
        picks = np.empty((grader.PLUS_PLUS_DRAWS, 3), dtype=np.int64)
        for r in range(len(picks)):
            chosen = [rng.integers(len(X))]
            for _ in range(2):
                w = d2[chosen].min(axis=0) ** (power / 2)
                chosen.append(rng.choice(len(X), p=w / w.sum()))
            picks[r] = chosen
        return picks

    good, bad = draws(2), draws(1)
    stat, dof = grader._pearson(good, grader._conditionals(good))
    assert stat < chi2.isf(grader.FAIL_P, dof)
    stat, dof = grader._pearson(bad, grader._conditionals(bad))
    assert stat > chi2.isf(grader.FAIL_P, dof)
