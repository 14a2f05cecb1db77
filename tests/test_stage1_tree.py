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
