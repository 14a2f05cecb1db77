"""stage1/knn beyond the generic three directions: correct solutions written differently
from the reference pass, and the tie-free strategy really is tie-free."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, apply_edits, explain, grade_source, mutants, package_file
from mldojo.graders.kit.tree_problems import distances, distinct_distances, neighbour_problems, tied_neighbour_problems
from mldojo.graders.stage1 import knn as grader
from mldojo.graders.stage1.knn import _labels_that_can_win, brute_force_kneighbors, brute_force_mean, brute_force_vote

EXERCISE = "stage1/knn"
REFERENCE = package_file("reference", EXERCISE).read_text()

OTHER_CORRECT_SOLUTIONS = {
    "gram_and_counter": (SOLUTIONS / "stage1" / "knn_gram_and_counter.py").read_text(),
    "loops": (SOLUTIONS / "stage1" / "knn_loops.py").read_text(),
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


# -- the blind spots of issue 11, closed on every seed --------------------------------------

MUTANT = {m.name: m for m in mutants(EXERCISE)}
SEEDS = (0, 1, 2, 3)


def _graded(name, check, tmp_path, seed):
    report = grade_source(EXERCISE, MUTANT[name].source, tmp_path / f"seed{seed}", seed=seed, only=(check,))
    outcome = {c.name: c for c in report.checks}[check]
    return report, outcome


@pytest.mark.parametrize("seed", SEEDS)
def test_knn_float_data_beside_grid_data_catches_unclipped_gram_distances_on_every_seed(seed, tmp_path):
    report, outcome = _graded("gram_distances_not_clipped", "kneighbors_matches_sklearn_on_float_data", tmp_path, seed)
    assert outcome.verdict == "failed", explain(report)
    assert "np.maximum(d2, 0)" in (outcome.diagnosis or ""), explain(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_knn_rare_structure_unsorted_neighbours_are_caught_on_every_seed(seed, tmp_path):
    report, outcome = _graded("argpartition_unsorted", "kneighbors_matches_sklearn_on_float_data", tmp_path, seed)
    assert outcome.verdict == "failed", explain(report)
    assert "nearest first" in (outcome.diagnosis or "") and "farthest" not in outcome.diagnosis, explain(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_knn_a_stated_parameter_is_exercised_on_every_seed(seed, tmp_path):
    for check in ("fit_returns_self_and_answers_have_the_right_shapes", "kneighbors_matches_sklearn_brute_force",
                  "classifier_matches_sklearn", "regressor_matches_sklearn"):
        report, outcome = _graded("k_ignored", check, tmp_path / check, seed)
        assert outcome.verdict == "failed", explain(report)


def test_knn_diagnoses_are_confirmed_on_a_second_input_where_every_mistake_shows():
    """CONFIRM and GRID_COPIES tell every known mistake apart from the right answer."""
    C = grader.CONFIRM
    want_d, want_idx = brute_force_kneighbors(C.X, C.X_new, C.k)
    assert not np.allclose(grader._squared(C)[0], want_d)
    assert not np.array_equal(grader._farthest(C)[1], want_idx)
    assert not np.array_equal(grader._ranks(C)[1], want_idx)
    for mistake in grader._vote_mistakes(C, learner=None):
        assert not np.array_equal(mistake.wrong_answer(), brute_force_vote(C.X, C.y, C.X_new, C.k)[2]), mistake.message
    regression = grader.NeighbourProblem(C.X, C.y.astype(float), C.X_new, C.k, False)
    for mistake in grader._regression_mistakes(regression, learner=None):
        assert not np.allclose(mistake.wrong_answer(), brute_force_mean(C.X, C.y, C.X_new, C.k)), mistake.message
    G = grader.GRID_COPIES
    assert grader._self_rows(G.X, G.X_new) and not np.array_equal(grader._without_self(G), brute_force_kneighbors(G.X, G.X_new, G.k)[1])


def test_knn_the_fixed_examples_cover_the_structures_they_name():
    fixed = grader.FIXED
    assert fixed["k=1, one query row"].k == 1 and len(fixed["k=1, one query row"].X_new) == 1
    assert fixed["k=n"].k == len(fixed["k=n"].X)
    assert len(np.unique(fixed["3 classes, k=4"].y)) == 3 and set(np.unique(fixed["3 classes, k=4"].y)) != {0, 1, 2}
    for problem in [*fixed.values(), grader.FLOAT_FIXED, grader.FLOAT_LARGE, grader.CONFIRM, grader.GRID_COPIES]:
        assert distinct_distances(problem.X_new, problem.X)
    large = grader.FLOAT_LARGE
    assert len(large.X) > 256 and large.k > 256, "numpy's SIMD argpartition sorts arrays of up to 256 values"
    # Unclipped, ||a||^2 + ||b||^2 - 2 a.b of a row with itself goes below 0 for some of FLOAT_FIXED's
    # rows, however a learner writes the sums and products.
    A, B = grader.FLOAT_FIXED.X_new, grader.FLOAT_FIXED.X
    assert np.array_equal(A, B), "queried with itself, in order: the self-distances are the diagonal"
    for gram in ((A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * A @ B.T,
                 (A**2).sum(1)[:, None] - 2 * A @ B.T + (B**2).sum(1)[None, :],
                 np.einsum("ij,ij->i", A, A)[:, None] + np.einsum("ij,ij->i", B, B)[None, :] - 2 * np.dot(A, B.T),
                 np.linalg.norm(A, axis=1)[:, None] ** 2 + np.linalg.norm(B, axis=1)[None, :] ** 2 - 2 * A @ B.T,
                 np.array([(B**2).sum(1) + (a**2).sum() - 2 * B @ a for a in A])):
        assert np.sum(np.diag(gram) < 0) >= 3
