"""stage1/metrics beyond the generic three directions: correct solutions written differently
from the reference pass, and the strategies produce the edge cases the checks promise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.label_problems import probability_problems, scored_labels

EXERCISE = "stage1/metrics"


@pytest.mark.parametrize("name", ["metrics_rank_based"])
def test_other_correct_solutions_pass(name, tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / f"{name}.py", tmp_path)
    assert report.passed, explain(report)


def test_stub_lists_what_is_left_to_write(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), tmp_path)
    assert report.verdict == "not_implemented", explain(report)
    assert sorted(report.unwritten) == ["confusion_matrix", "log_loss", "precision_recall_f1", "roc_auc", "roc_curve"]


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=scored_labels(ties=False))
def test_tie_free_scores_are_distinct_and_both_classes_present(problem):
    assert len(np.unique(problem.y_score)) == len(problem.y_score)
    assert 0 < problem.y_true.sum() < len(problem.y_true)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(problem=probability_problems(extremes=True))
def test_extreme_probabilities_include_a_confident_mistake(problem):
    p = problem.y_prob
    truth = np.where(problem.y_true == 1, p, 1 - p) if p.ndim == 1 else p[np.arange(len(p)), problem.y_true]
    assert np.any(truth == 0.0)
    if p.ndim == 2:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_tied_scores_strategy_makes_ties_that_change_the_naive_auc():
    """Ties matter in most drawn problems, so a tie bug cannot slip through on luck."""
    from hypothesis import find

    find(scored_labels(ties=True), lambda p: len(np.unique(p.y_score)) < len(p.y_score) // 2)
