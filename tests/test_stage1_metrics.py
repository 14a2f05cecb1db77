"""stage1/metrics beyond the generic three directions: correct solutions written differently
from the reference pass, and the strategies produce the edge cases the checks promise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.kit.label_problems import probability_problems, scored_labels

EXERCISE = "stage1/metrics"


@pytest.mark.parametrize("name", ["metrics_rank_based", "metrics_plain_loops"])
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


# -- issue 11: coverage that does not depend on luck, diagnoses that are right or absent ------

SEEDS = (0, 5, 11)


def outcomes_across_seeds(source: str, check: str, workspace, seeds=SEEDS):
    """{seed: CheckOutcome} of one check of stage1/metrics on `source`, in one learner process."""
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import Learner, LearnerSession
    from mldojo.graders.engine.runner import load_grader, run_check
    from mldojo.graders.kit.checks import checks_of
    from grading import place_source

    target = place_source(EXERCISE, source, workspace)
    entry = load_catalogue().exercise(EXERCISE)
    session = LearnerSession(LearnerModule(EXERCISE, workspace.resolve(), target.resolve(), entry.forbid,
                                           entry.memory_limit_mb), Budget(600))
    spec = next(s for s in checks_of(load_grader(EXERCISE)) if s.name == check)
    try:
        session.start()
        return {seed: run_check(spec, Learner(session), seed) for seed in seeds}
    finally:
        session.close()


def _mutant(name):
    from grading import mutants

    return next(m for m in mutants(EXERCISE) if m.name == name)


def _assert_caught_and_named_on_every_seed(name, tmp_path):
    mutant = _mutant(name)
    for seed, outcome in outcomes_across_seeds(mutant.source, mutant.expect, tmp_path).items():
        assert outcome.verdict == "failed", f"seed {seed}: {mutant} {outcome.verdict}: {mutant.bug}"
        if mutant.diagnosis:
            assert mutant.diagnosis in (outcome.diagnosis or ""), f"seed {seed}: {outcome.diagnosis!r}\n{outcome.message}"


@pytest.mark.parametrize("name", ["confusion_ignores_labels", "average_ignored", "default_average_macro",
                                  "binary_ignores_pos_label"])
def test_metrics_a_stated_parameter_is_exercised_on_every_seed(name, tmp_path):
    """labels, average, pos_label and the defaults the stub states are used where ignoring them shows."""
    _assert_caught_and_named_on_every_seed(name, tmp_path)


@pytest.mark.parametrize("name", ["macro_over_every_integer_label", "macro_over_true_labels_only",
                                  "macro_nanmean_skips_undefined", "zero_division_gives_one",
                                  "confusion_only_true_labels", "f1_from_precision_and_recall_unguarded"])
def test_metrics_rare_structure_is_covered_on_every_seed(name, tmp_path):
    """Missing labels, a label only predicted, a 0/0 score: explicit examples, whatever the seed."""
    _assert_caught_and_named_on_every_seed(name, tmp_path)


def test_metrics_float_scores_beside_grid_scores_on_every_seed(tmp_path):
    """Scores on the grid of eighths are exact in float32; the Gaussian example shows the rounding."""
    _assert_caught_and_named_on_every_seed("roc_scores_in_float32", tmp_path)


def test_metrics_missing_labels_in_every_average_run_in_every_grading():
    """Each average meets a single class, a single row, a class never predicted and renamed labels with one only predicted."""
    from mldojo.graders.stage1 import metrics

    spec = metrics.averaged_precision_recall_f1_match_sklearn.__mldojo_check__
    cases = {(tuple(e["pair"].y_true), tuple(e["pair"].y_pred), e["average"]) for e in spec.explicit}
    for pair in (metrics.RENAMED, metrics.NEVER_PREDICTED, metrics.ONE_CLASS, metrics.ONE_ROW):
        for average in ("micro", "macro", "weighted"):
            assert (tuple(pair.y_true), tuple(pair.y_pred), average) in cases
    predicted_only = set(metrics.RENAMED.y_pred) - set(metrics.RENAMED.y_true)
    assert predicted_only and set(metrics.RENAMED.y_true) - set(metrics.RENAMED.y_pred)


def test_metrics_diagnoses_need_a_second_input(tmp_path):
    """A wrong answer that matches a mistake on the failing input only is not given that mistake's name.

    This solution's F1 is the arithmetic mean on the asymmetric example alone, and right everywhere else."""
    source = package_file("reference", EXERCISE).read_text() + '''

_right = precision_recall_f1


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1):
    p, r, f = _right(y_true, y_pred, average, pos_label)
    if list(np.asarray(y_true)) == [1, 1, 1, 0, 0, 1, 0, 1, 1]:
        return p, r, (p + r) / 2
    return p, r, f
'''
    outcome = outcomes_across_seeds(source, "binary_precision_recall_f1_match_sklearn", tmp_path, seeds=(0,))[0]
    assert outcome.verdict == "failed", outcome.message
    assert outcome.diagnosis is None, outcome.diagnosis


def test_metrics_labels_argument_is_shown_as_an_input(tmp_path):
    """The labels the check passed are printed by name, not as data(...)."""
    report = grade_source(EXERCISE, _mutant("confusion_sorts_the_labels").source, tmp_path,
                          only=("confusion_matrix_follows_the_labels_argument",))
    outcome = report.checks[0]
    assert "labels.shape=(5,)  labels=[12,  3, 20,  9,  7]" in outcome.inputs, outcome.inputs
    assert "data(" not in outcome.inputs
