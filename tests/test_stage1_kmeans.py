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


# -- the blind spots of issue 11, closed on every seed --------------------------------------

from grading import mutants  # noqa: E402

MUTANT = {m.name: m for m in mutants(EXERCISE)}


def test_a_kmeans_in_lecture_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "kmeans_loops.py", tmp_path)
    assert report.passed, explain(report)


def test_kmeans_fixed_cases_are_clear_cut_and_agree_with_sklearn():
    for case in [grader.FIXED_BLOBS, grader.FLOAT_BLOBS, grader.FIXED_TOL, grader.TOL_CASE, grader.MAX_ITER_CASE]:
        run = grader._lloyd(case.X, case.init, case.max_iter, case.tol)
        assert run.gap > grader.GAP and not run.emptied and run.tol_gap > 1e-6
        centres, labels, inertia = grader.sk_kmeans(case.X, case.init, case.max_iter, case.tol)
        np.testing.assert_array_equal(run.labels, labels)
        np.testing.assert_allclose(run.centres, centres, rtol=1e-9, atol=1e-12)
    assert len(grader.FIXED_BLOBS.init) == 3  # k is not the 2 a learner might hard-code
    tol = grader.FIXED_TOL
    lengths = [len(grader._lloyd(tol.X, tol.init, 300, t, scale_tol=s).history) for t, s in ((tol.tol, True), (tol.tol, False), (1e-4, True))]
    assert len(set(lengths)) == 3, lengths


def test_kmeans_every_slip_stands_out_on_some_confirming_case():
    for what, exempt in (("centres", {0}), ("inertia", set())):  # slip 0 keeps the right centres by definition
        for index, (message, slip) in enumerate(grader.SLIPS):
            if index in exempt:
                continue
            stands_out = False
            for case in grader.CONFIRM_CASES:
                wrong = np.asarray(getattr(slip(case), what), dtype=float)
                rivals = [grader._lloyd(case.X, case.init, case.max_iter, case.tol)] + [s(case) for _, s in grader.SLIPS if s is not slip]
                stands_out = stands_out or not any(np.allclose(wrong, np.asarray(getattr(r, what), dtype=float)) for r in rivals)
            assert stands_out, (what, message)


def test_kmeans_tie_cases_tie_exactly_and_the_tie_rule_decides_them():
    for case in grader.TIE_CASES:
        d2 = ((case.X[:, None, :] - case.init[None]) ** 2).sum(-1)
        assert np.any(np.sum(d2 == d2.min(axis=1, keepdims=True), axis=1) > 1), "an exact tie at the first assignment"
        low = grader._lloyd(case.X, case.init, case.max_iter, case.tol)
        high = grader._lloyd(case.X, case.init, case.max_iter, case.tol, tie="high")
        assert not np.array_equal(low.labels, high.labels)
        assert np.all(case.X * 2 == np.round(case.X * 2)) and np.all(low.centres * 2 == np.round(low.centres * 2))


def test_kmeans_float_data_rounds_a_self_distance_below_zero_however_it_is_written():
    X = grader.PLUS_PLUS_FLOAT
    for gram in ((X**2).sum(1)[:, None] + (X**2).sum(1)[None, :] - 2 * X @ X.T,
                 np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", X, X)[None, :] - 2 * np.dot(X, X.T),
                 np.linalg.norm(X, axis=1)[:, None] ** 2 + np.linalg.norm(X, axis=1)[None, :] ** 2 - 2 * X @ X.T,
                 np.array([(X**2).sum(1) + (c**2).sum() - 2 * X @ c for c in X])):
        assert np.sum(np.diag(gram) < 0) >= 3
    blobs = grader.FLOAT_BLOBS
    gram = (blobs.X**2).sum(1)[:, None] + (blobs.init**2).sum(1)[None, :] - 2 * blobs.X @ blobs.init.T
    assert np.any(gram < 0), "a row on an initial centre gets a negative squared distance unless clipped"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kmeans_stated_rules_and_float_data_are_exercised_on_every_seed(seed, tmp_path):
    for name in ("ties_to_the_higher_centre", "sqrt_of_unclipped_gram", "plus_plus_unclipped_gram", "tol_ignored",
                 "max_iter_ignored", "tol_not_scaled", "labels_before_last_update"):
        mutant = MUTANT[name]
        report = grade_source(EXERCISE, mutant.source, tmp_path / f"{name}-{seed}", seed=seed, only=(mutant.expect,))
        outcome = {c.name: c for c in report.checks}[mutant.expect]
        assert outcome.verdict == "failed", (name, explain(report))
        assert mutant.diagnosis in (outcome.diagnosis or ""), (name, explain(report))
