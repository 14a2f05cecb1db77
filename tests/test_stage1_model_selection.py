"""stage1/model_selection beyond the generic three directions: correct solutions written
differently from the reference pass, and the strategies draw the cases the checks promise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.label_problems import stratified_problems
from mldojo.graders.stage1.model_selection import sk_stratified_kfold

EXERCISE = "stage1/model_selection"


@pytest.mark.parametrize("name", ["model_selection_loops"])
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / f"{name}.py", tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == ["cross_val_score", "kfold_indices", "stratified_kfold", "train_test_split"]


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=stratified_problems(rare_classes=True))
def test_sklearn_accepts_every_drawn_stratified_problem(problem):
    """The oracle never refuses a drawn problem (some class has at least n_splits rows)."""
    folds = sk_stratified_kfold(problem.y, problem.n_splits)
    assert len(folds) == problem.n_splits
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(len(problem.y)))


def test_stratified_problems_include_classes_rarer_than_the_folds():
    from hypothesis import find

    find(stratified_problems(rare_classes=True),
         lambda p: np.unique(p.y, return_counts=True)[1].min() < p.n_splits)
