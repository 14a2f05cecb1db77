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
