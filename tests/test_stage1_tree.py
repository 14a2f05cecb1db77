"""stage1/tree beyond the generic three directions: a correct tree written differently
passes, and the tie-free strategies really make every split unique."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.tree_problems import candidate_splits, impurity, split_problems, tree_problems

EXERCISE = "stage1/tree"


def test_a_flat_array_tree_with_plain_loops_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "tree_flat_arrays.py", tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert {"gini", "entropy", "best_split", "DecisionTreeClassifier.fit"} <= set(report.unwritten)


def test_impurities_of_hand_made_nodes():
    y = np.array([4, 4, 7, 9])
    assert impurity(y, "gini") == 1 - (0.5**2 + 0.25**2 + 0.25**2)
    assert impurity(y, "entropy") == 1.5
    assert impurity(np.array([1.0, 3.0]), "squared_error") == 1.0


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=split_problems())
def test_split_problems_have_one_best_split(problem):
    scores = sorted(s for s, _, _ in candidate_splits(problem.X, problem.y, problem.criterion, problem.params["min_samples_leaf"]))
    assert len(scores) == 1 or scores[1] - scores[0] > 1e-9


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=tree_problems(classification=True, max_rows=16))
def test_feature_values_are_distinct_and_exact_in_float32(problem):
    for column in problem.X.T:
        assert len(np.unique(column)) == len(column)
    assert np.array_equal(problem.X.astype(np.float32).astype(np.float64), problem.X)
    assert np.array_equal(problem.X_new.astype(np.float32).astype(np.float64), problem.X_new)


# -- the blind spots of issue 11, closed on every seed --------------------------------------

import pytest  # noqa: E402

from grading import mutants  # noqa: E402
from mldojo.graders.kit.tree_problems import sklearn_tree, tree_is_tie_free, unique_best_split  # noqa: E402
from mldojo.graders.stage1 import tree as grader  # noqa: E402

MUTANT = {m.name: m for m in mutants(EXERCISE)}
SEEDS = (0, 1, 2, 3)


def test_a_recursive_dict_tree_in_lecture_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "tree_recursive_dicts.py", tmp_path)
    assert report.passed, explain(report)


def _answer(model, problem):
    return grader._sk_answer(model, problem)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_tree_every_fixed_example_is_tie_free_and_its_rule_changes_the_tree(kind):
    fixed = grader.FIXED_CLASSIFIERS if kind == "classifier" else grader.FIXED_REGRESSORS
    for name, problem in fixed.items():
        params = grader._limits(problem.params)
        assert tree_is_tie_free(problem.oracle, problem.X, problem.y, problem.criterion, params["min_samples_leaf"]), name
        if name.startswith("entropy"):
            changes = [("gini", params)]
        elif name.startswith("gini"):
            changes = [("entropy", params)]
        elif name.startswith("targets"):
            changes = []  # not a rule: large targets, where a score's scale can overflow
        elif name.startswith("max_depth"):
            changes = [(problem.criterion, dict(params, max_depth=None)),
                       (problem.criterion, dict(params, max_depth=params["max_depth"] + 1))]
        elif name.startswith("min_samples_split"):
            changes = [(problem.criterion, dict(params, min_samples_split=2)),
                       (problem.criterion, dict(params, min_samples_split=params["min_samples_split"] + 1))]
        else:
            changes = [(problem.criterion, dict(params, min_samples_leaf=1))]
        for criterion, changed in changes:
            other = sklearn_tree(problem.classification, problem.X, problem.y, criterion, **changed)
            assert tree_is_tie_free(other, problem.X, problem.y, criterion, changed["min_samples_leaf"]), (name, changed)
            assert (other.get_depth(), other.get_n_leaves()) != (problem.oracle.get_depth(), problem.oracle.get_n_leaves()), (name, changed)


def test_tree_fixed_nodes_have_one_best_split_that_the_rule_changes():
    entropy, leaf = grader.FIXED_SPLITS["entropy, not gini"], grader.FIXED_SPLITS["min_samples_leaf=3"]
    assert None not in (unique_best_split(entropy.X, entropy.y, "entropy"), unique_best_split(entropy.X, entropy.y, "gini"))
    assert unique_best_split(entropy.X, entropy.y, "entropy") != unique_best_split(entropy.X, entropy.y, "gini")
    assert None not in (unique_best_split(leaf.X, leaf.y, "gini", 3), unique_best_split(leaf.X, leaf.y, "gini", 1))
    assert unique_best_split(leaf.X, leaf.y, "gini", 3) != unique_best_split(leaf.X, leaf.y, "gini", 1)


def test_tree_ranked_features_make_the_root_feature_the_best_one_drawn():
    X, y = grader.RANKED_X, grader.RANKED_Y
    cuts = grader._best_cut_per_feature(X, y)
    assert len(set(cuts)) == X.shape[1]
    for column in X.T:
        assert len(np.unique(column)) == len(column)
    scores = [min(s for s, f, _ in candidate_splits(X, y, "gini") if f == j) for j in range(X.shape[1])]
    assert np.all(np.diff(scores) > 1e-3)  # feature 0 beats 1 beats 2 beats 3, clearly
    for k in (1, 2, 3, 4):
        assert np.isclose(grader.root_law(4, k).sum(), 1.0)
    # The reference tree on every subset of two features splits on the smaller index.
    from itertools import combinations
    for pair in combinations(range(4), 2):
        model = sklearn_tree(True, X[:, list(pair)], y, max_depth=1)
        leaves = model.apply(X[:, list(pair)].astype(np.float32))
        assert grader._root_feature(leaves, cuts, len(y)) == min(pair)


def test_tree_the_chi_square_test_accepts_the_law_and_rejects_the_wrong_rules():
    from scipy.stats import chi2

    rng = np.random.default_rng(0)
    for k in (2, 3):
        for rule, should_pass in (("uniform", True), ("replace", False), ("one", False), ("all", False)):
            counts = rng.multinomial(grader.RANKED_TREES, grader.root_law(4, k, rule))
            stat, dof = grader._chi_square(counts, grader.root_law(4, k))
            assert (stat <= chi2.isf(grader.MAX_FEATURES_P, dof)) == should_pass, (k, rule, counts)


def _graded(name, check, tmp_path, seed):
    report = grade_source(EXERCISE, MUTANT[name].source, tmp_path / f"{check}-{seed}", seed=seed, only=(check,))
    return report, {c.name: c for c in report.checks}[check]


@pytest.mark.parametrize("seed", SEEDS)
def test_tree_a_stated_parameter_is_exercised_on_every_seed(seed, tmp_path):
    for name in ("criterion_ignored", "min_samples_split_ignored", "min_samples_split_off_by_one", "max_features_always_one",
                 "max_features_with_replacement", "min_samples_leaf_ignored"):
        report, outcome = _graded(name, MUTANT[name].expect, tmp_path, seed)
        assert outcome.verdict == "failed", (name, explain(report))
        assert MUTANT[name].diagnosis in (outcome.diagnosis or ""), (name, explain(report))


@pytest.mark.parametrize("seed", SEEDS)
def test_tree_diagnoses_of_a_threshold_on_the_left_value_are_not_the_strict_comparison(seed, tmp_path):
    report, outcome = _graded("threshold_is_left_value", "classifier_matches_sklearn", tmp_path, seed)
    assert outcome.verdict == "failed" and "exactly on a threshold" not in (outcome.diagnosis or ""), explain(report)
