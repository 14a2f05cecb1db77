"""stage1/knn beyond the generic three directions: correct solutions written differently
from the reference pass, and the tie-free strategy really is tie-free."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, apply_edits, explain, grade_source, package_file
from mldojo.graders.kit.tree_problems import distances, neighbour_problems, tied_neighbour_problems
from mldojo.graders.stage1.knn import _labels_that_can_win, brute_force_kneighbors, brute_force_mean, brute_force_vote

EXERCISE = "stage1/knn"
REFERENCE = package_file("reference", EXERCISE).read_text()

OTHER_CORRECT_SOLUTIONS = {
    "gram_and_counter": (SOLUTIONS / "stage1" / "knn_gram_and_counter.py").read_text(),
    # argpartition instead of a full sort, then sorting only the k kept.
    "argpartition": apply_edits(REFERENCE, [(
        '        idx = np.argsort(d, axis=1, kind="stable")[:, : self.k]  # (m, k)\n',
        "        part = np.argpartition(d, self.k - 1, axis=1)[:, : self.k]\n"
        "        idx = np.take_along_axis(part, np.argsort(np.take_along_axis(d, part, 1), axis=1), 1)\n",
    )]),
    # A tied vote that goes to the largest label instead of the smallest.
    "ties_to_largest_label": apply_edits(REFERENCE, [(
        "        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]",
        "        proba = self.predict_proba(X)[:, ::-1]\n"
        "        return self.classes_[::-1][np.argmax(proba, axis=1)]",
    )]),
}


@pytest.mark.parametrize("name", OTHER_CORRECT_SOLUTIONS)
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, OTHER_CORRECT_SOLUTIONS[name], tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert "KNNClassifier.fit" in report.unwritten and "KNNRegressor.predict" in report.unwritten


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=neighbour_problems())
def test_tie_free_problems_have_a_unique_neighbour_set(problem):
    d = np.sort(distances(problem.X_new, problem.X), axis=1)
    assert np.all(np.diff(d, axis=1) > 0)
    assert 1 <= problem.k <= len(problem.X)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=tied_neighbour_problems())
def test_a_reference_style_vote_is_always_among_the_labels_that_can_win(problem):
    d = distances(problem.X_new, problem.X)
    for row in range(len(problem.X_new)):
        for kind in ("stable", "quicksort"):
            idx = np.argsort(d[row], kind=kind)[: problem.k]
            values, counts = np.unique(problem.y[idx], return_counts=True)
            assert set(values[counts == counts.max()].tolist()) <= _labels_that_can_win(d[row], problem.y, problem.k)


def test_labels_that_can_win_on_a_hand_made_tie():
    # Query at 0; rows at distance 1 (labels 5, 7) and 2 (label 5); k = 1: both 5 and 7 can win.
    y = np.array([5, 7, 5])
    assert _labels_that_can_win(np.array([1.0, 1.0, 2.0]), y, 1) == {5, 7}
    assert _labels_that_can_win(np.array([1.0, 1.0, 2.0]), y, 3) == {5}


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=neighbour_problems(classification=True))
def test_the_graders_brute_force_vote_is_sklearns(problem):
    from sklearn.neighbors import KNeighborsClassifier

    sk = KNeighborsClassifier(n_neighbors=problem.k, algorithm="brute").fit(problem.X, problem.y)
    classes, proba, predict = brute_force_vote(problem.X, problem.y, problem.X_new, problem.k)
    assert np.array_equal(classes, sk.classes_)
    assert np.allclose(proba, sk.predict_proba(problem.X_new), rtol=0, atol=1e-15)
    assert np.array_equal(predict, sk.predict(problem.X_new))


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=neighbour_problems(classification=False))
def test_the_graders_brute_force_mean_is_sklearns(problem):
    from sklearn.neighbors import KNeighborsRegressor

    sk = KNeighborsRegressor(n_neighbors=problem.k, algorithm="brute").fit(problem.X, problem.y)
    assert np.allclose(brute_force_mean(problem.X, problem.y, problem.X_new, problem.k), sk.predict(problem.X_new),
                       rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=neighbour_problems())
def test_the_graders_brute_force_neighbours_are_sklearns(problem):
    from sklearn.neighbors import NearestNeighbors

    want_d, want_idx = NearestNeighbors(n_neighbors=problem.k, algorithm="brute").fit(problem.X).kneighbors(problem.X_new)
    d, idx = brute_force_kneighbors(problem.X, problem.X_new, problem.k)
    assert np.array_equal(idx, want_idx)
    assert np.allclose(d, want_d, rtol=1e-12, atol=1e-12)
