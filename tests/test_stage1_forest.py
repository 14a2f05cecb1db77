"""stage1/forest: the generic three directions, run with a tree beside the forest (the
forest imports the learner's own stage1/tree), plus what happens without a working tree.

tests/grading.py copies only the graded file into the workspace; here every workspace
first gets a stage1/tree.py: the reference tree, or the tree's stub.
"""

from __future__ import annotations

import shutil

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
