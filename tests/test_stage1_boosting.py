"""stage1/boosting beyond the generic three directions: a boosting module built on the
learner's own stage1/tree passes (the tree is copied into the workspace first), and the
tie-free strategy makes scikit-learn's stages unique."""

from __future__ import annotations

import shutil

import numpy as np
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.tree_problems import boosting_problems, candidate_splits

EXERCISE = "stage1/boosting"
REFERENCE = package_file("reference", EXERCISE).read_text()


def with_tree(workspace):
    (workspace / "stage1").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package_file("reference", "stage1/tree"), workspace / "stage1" / "tree.py")
    return workspace


def test_boosting_on_the_learners_own_tree_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "boosting_own_tree.py", with_tree(tmp_path))
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert "GradientBoostingRegressor.staged_predict" in report.unwritten


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=boosting_problems())
def test_every_stage_of_a_tie_free_problem_has_one_best_root_split(problem):
    F = np.full(len(problem.y), problem.y.mean())
    for tree, after in zip(problem.oracle.estimators_[:, 0], problem.oracle.staged_predict(problem.X)):
        residual = problem.y - F
        if np.allclose(residual, 0.0, atol=1e-12):
            break  # fitted exactly: every split adds nothing, so tie-breaking cannot matter
        scores = sorted(s for s, _, _ in candidate_splits(problem.X, residual, "squared_error"))
        assert len(scores) == 1 or scores[1] > scores[0]
        F = after


# -- the blind spots of issue 11, closed on every seed --------------------------------------

import pytest  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

from grading import mutants  # noqa: E402
from mldojo.graders.kit.tree_problems import boosting_is_tie_free, tree_is_tie_free  # noqa: E402
from mldojo.graders.stage1 import boosting as grader  # noqa: E402

MUTANT = {m.name: m for m in mutants(EXERCISE)}


def test_boosting_with_its_own_plain_loop_tree_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "boosting_plain_loops.py", tmp_path)
    assert report.passed, explain(report)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=grader.classifier_problems())
def test_the_book_classifier_is_sklearns_on_tie_free_problems(problem):
    """The judge's log-loss boosting by the book (used for diagnoses) is scikit-learn's on the problems it draws."""
    np.testing.assert_allclose(grader._book_classifier(problem), problem.oracle.decision_function(problem.X_new),
                               rtol=1e-9, atol=1e-9)


def _regressor_slip_is_tie_free(problem, residuals=True, start="mean", learning_rate=None, max_depth=None):
    lr = problem.params["learning_rate"] if learning_rate is None else learning_rate
    depth = problem.params["max_depth"] if max_depth is None else max_depth
    F = np.full(len(problem.y), problem.y.mean() if start == "mean" else 0.0)
    for _ in range(problem.params["n_estimators"]):
        target = problem.y - F if residuals else problem.y
        tree = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(problem.X, target)
        if not tree_is_tie_free(tree, problem.X, target, "squared_error"):
            return False
        F = F + lr * tree.predict(problem.X)
    return True


def _classifier_slip_is_tie_free(problem, start="log-odds", newton=True, residual="t - p", learning_rate=None,
                                 max_depth=None):
    lr = problem.params["learning_rate"] if learning_rate is None else learning_rate
    depth = problem.params["max_depth"] if max_depth is None else max_depth
    t = (problem.y == np.unique(problem.y)[1]).astype(float)
    F = np.full(len(t), {"log-odds": grader._log_odds(t), "zero": 0.0, "share": t.mean(),
                         "other class": -grader._log_odds(t)}[start])
    for _ in range(problem.params["n_estimators"]):
        p = grader._sigmoid(F)
        r = t - p if residual == "t - p" else t - F
        tree = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(problem.X, r)
        if not tree_is_tie_free(tree, problem.X, r, "squared_error"):
            return False
        leaf, values = tree.apply(problem.X.astype(np.float32)), tree.tree_.value[:, 0, 0].copy()
        if newton:
            for node in np.unique(leaf):
                values[node] = np.sum(r[leaf == node]) / np.sum(p[leaf == node] * (1 - p[leaf == node]))
        F = F + lr * values[leaf]
    return True


def test_boosting_fixed_examples_are_tie_free_and_every_hyperparameter_shows():
    def regressor_shows(problem, change):
        right = np.array(list(problem.oracle.staged_predict(problem.X_new)))
        return not np.allclose(grader._simulate(problem.X, problem.y, problem.X_new, problem.params, **change), right,
                               atol=1e-6)

    def classifier_shows(problem, change):
        return not np.allclose(grader._book_classifier(problem, **change), problem.oracle.decision_function(problem.X_new),
                               atol=1e-6)

    for problem in grader.FIXED_REGRESSORS + [grader.REGRESSOR_CONFIRM]:
        assert boosting_is_tie_free(problem.oracle, problem.X, problem.y)
        assert problem.params["learning_rate"] != 0.1 and problem.params["max_depth"] != 3
    for problem in grader.FIXED_CLASSIFIERS + [grader.CLASSIFIER_CONFIRM]:
        assert grader.classifier_is_tie_free(problem.oracle, problem.X, problem.y)
        assert problem.params["learning_rate"] != 0.1 and problem.params["max_depth"] != 3
        t = problem.y == np.unique(problem.y)[1]
        assert t.mean() != 0.5, "unbalanced classes: the starting log-odds is not 0"
    # Every slip shows on the fixed examples of every grading, and on the confirming input.
    for message, change in grader.REGRESSOR_SLIPS:
        assert any(regressor_shows(problem, change) for problem in grader.FIXED_REGRESSORS), message
        assert regressor_shows(grader.REGRESSOR_CONFIRM, change), message
    for message, change in grader.CLASSIFIER_SLIPS:
        assert any(classifier_shows(problem, change) for problem in grader.FIXED_CLASSIFIERS), message
        assert classifier_shows(grader.CLASSIFIER_CONFIRM, change), message
    # On the confirming inputs every slip is visible and grows tie-free trees: any code with that slip agrees.
    for message, change in grader.REGRESSOR_SLIPS:
        assert _regressor_slip_is_tie_free(grader.REGRESSOR_CONFIRM, **change), message
    for message, change in grader.CLASSIFIER_SLIPS:
        assert _classifier_slip_is_tie_free(grader.CLASSIFIER_CONFIRM, **change), message


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_boosting_a_stated_parameter_is_exercised_on_every_seed(seed, tmp_path):
    for name in ("classifier_starts_from_zero", "classifier_starts_from_the_share", "classifier_log_odds_of_the_other_class",
                 "classifier_learning_rate_ignored", "regressor_max_depth_ignored", "leaves_without_newton_step"):
        mutant = MUTANT[name]
        report = grade_source(EXERCISE, mutant.source, tmp_path / f"{name}-{seed}", seed=seed, only=(mutant.expect,))
        outcome = {c.name: c for c in report.checks}[mutant.expect]
        assert outcome.verdict == "failed", (name, explain(report))
        assert mutant.diagnosis in (outcome.diagnosis or ""), (name, explain(report))
