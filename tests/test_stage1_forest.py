"""stage1/forest: the generic three directions, run with a tree beside the forest (the
forest imports the learner's own stage1/tree), plus what happens without a working tree.

tests/grading.py copies only the graded file into the workspace; here every workspace
first gets a stage1/tree.py: the reference tree, or the tree's stub.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from grading import SOLUTIONS, explain, failures_across_seeds, grade_source, mutants, package_file

EXERCISE = "stage1/forest"
SEEDS = range(1, 21)


def with_tree(workspace, kind="reference"):
    """The workspace, holding stage1/tree.py (the reference tree, or the stub with kind='exercises')."""
    (workspace / "stage1").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package_file(kind, "stage1/tree"), workspace / "stage1" / "tree.py")
    return workspace


def test_reference_passes_on_the_reference_tree(tmp_path):
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), with_tree(tmp_path))
    assert report.passed, explain(report)


def test_stub_is_not_implemented(tmp_path):
    report = grade_source(EXERCISE, package_file("exercises", EXERCISE), with_tree(tmp_path))
    assert report.verdict == "not_implemented", explain(report)
    assert all(c.verdict == "not_implemented" for c in report.checks), explain(report)
    assert sorted(report.unwritten) == ["RandomForestClassifier.fit", "RandomForestClassifier.predict",
                                        "RandomForestClassifier.predict_proba"]


def test_an_unwritten_tree_says_stage1_tree_first(tmp_path):
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), with_tree(tmp_path, "exercises"))
    assert report.verdict == "not_implemented", explain(report)
    assert all(c.message.startswith("stage1/tree first") for c in report.checks), explain(report)


def test_a_missing_tree_says_write_it_first(tmp_path):
    # The engine directly: grade_source may one day place a tree in every forest workspace.
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.runner import GradeRequest, grade

    target = tmp_path / "stage1" / "forest.py"
    target.parent.mkdir(parents=True)
    shutil.copyfile(package_file("reference", EXERCISE), target)
    entry = load_catalogue().exercise(EXERCISE)
    report = grade(GradeRequest(exercise=EXERCISE, root=tmp_path, file=target, forbid=entry.forbid))
    assert not report.passed
    assert "write stage1/tree.py first" in report.problem, explain(report)


def test_another_correct_forest_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "forest_choice_and_dict_votes.py", with_tree(tmp_path))
    assert report.passed, explain(report)


@pytest.mark.parametrize("mutant", mutants(EXERCISE), ids=str)
def test_mutant_fails_on_the_intended_check(mutant, tmp_path):
    report = grade_source(EXERCISE, mutant.source, with_tree(tmp_path))
    assert not report.passed, f"{mutant} passed: the grader misses this bug ({mutant.bug})"
    by_name = {c.name: c for c in report.checks}
    assert by_name[mutant.expect].verdict in ("failed", "error"), explain(report)
    if mutant.diagnosis:
        assert mutant.diagnosis in (by_name[mutant.expect].diagnosis or ""), explain(report)


@pytest.mark.slow
def test_reference_passes_on_every_seed(tmp_path):
    failures = failures_across_seeds(EXERCISE, package_file("reference", EXERCISE), with_tree(tmp_path), SEEDS)
    assert not failures, "\n".join(failures)


# -- the blind spots of issue 11, closed on every seed --------------------------------------

MUTANT = {m.name: m for m in mutants(EXERCISE)}


def test_a_forest_in_lecture_style_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage1" / "forest_loops.py", with_tree(tmp_path))
    assert report.passed, explain(report)


def _graded(name, check, workspace, seed):
    report = grade_source(EXERCISE, MUTANT[name].source, with_tree(workspace / f"{name}-{seed}"), seed=seed, only=(check,))
    return report, {c.name: c for c in report.checks}[check]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forest_a_stated_parameter_is_exercised_on_every_seed(seed, tmp_path):
    for name in ("max_depth_not_passed", "min_samples_leaf_not_passed", "max_features_rounded", "log2_as_sqrt",
                 "n_estimators_ignored", "hard_vote", "proba_summed_not_averaged", "only_the_last_tree_votes"):
        report, outcome = _graded(name, MUTANT[name].expect, tmp_path, seed)
        assert outcome.verdict == "failed", (name, explain(report))
        assert MUTANT[name].diagnosis in (outcome.diagnosis or ""), (name, explain(report))


def test_forest_max_features_cases_tell_the_rounding_slips_apart():
    from mldojo.graders.stage1 import forest as grader

    for slip_name, how in (("round", lambda v: int(round(v))), ("ceil", lambda v: int(np.ceil(v)))):
        assert any(grader._expected_k(m, p, how) != grader._expected_k(m, p) for m, p in grader.MAX_FEATURES_CASES
                   if isinstance(m, (str, float))), slip_name
    assert any(grader._expected_k("sqrt", p) != grader._expected_k("log2", p) for m, p in grader.MAX_FEATURES_CASES)


def test_forest_a_forest_whose_trees_ignore_n_estimators_is_not_told_it_averages_one_tree(tmp_path):
    report, outcome = _graded("n_estimators_ignored", "a_forest_varies_less_than_one_tree", tmp_path, None)
    assert outcome.verdict == "failed" and "n_estimators is ignored" in (outcome.diagnosis or ""), explain(report)


def test_forest_the_rare_class_is_missed_by_some_tree_in_the_first_forests():
    from mldojo.graders.stage1 import forest as grader

    y = grader._proba_data().y
    assert np.sum(y == 6) == 1  # one row: a bootstrap sample misses it with probability (29/30)^30 = 0.36
