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


@pytest.mark.parametrize("name", ["model_selection_loops", "model_selection_array_split"])
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


# -- issue 11: coverage that does not depend on luck, diagnoses that are right or absent ------

SEEDS = (0, 5, 11)


def outcomes_across_seeds(source, check: str, workspace, seeds=SEEDS):
    """{seed: CheckOutcome} of one check of stage1/model_selection on `source`, in one learner process."""
    from grading import place_source
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import Learner, LearnerSession
    from mldojo.graders.engine.runner import load_grader, run_check
    from mldojo.graders.kit.checks import checks_of

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
        assert outcome.verdict in ("failed", "error"), f"seed {seed}: {mutant} {outcome.verdict}: {mutant.bug}"
        if mutant.diagnosis:
            assert mutant.diagnosis in (outcome.diagnosis or ""), f"seed {seed}: {outcome.diagnosis!r}\n{outcome.message}"


@pytest.mark.parametrize("name", ["kfold_ignores_n_splits", "stratified_ignores_n_splits", "split_ignores_test_size",
                                  "split_ignores_random_state", "cv_ignores_cv", "split_default_test_size_0_2",
                                  "cv_default_3"])
def test_model_selection_a_stated_parameter_is_exercised_on_every_seed(name, tmp_path):
    """n_splits, test_size, random_state, cv and the defaults the stub states are used where ignoring them shows."""
    _assert_caught_and_named_on_every_seed(name, tmp_path)


@pytest.mark.parametrize("name", ["kfold_extra_rows_to_last_folds", "kfold_last_fold_takes_the_rest",
                                  "stratified_refuses_any_rare_class", "stratified_refuses_only_more_folds_than_rows",
                                  "stratified_sorted_class_order", "split_floor_test_rows", "split_round_test_rows",
                                  "split_ignores_stratify", "split_stratified_first_rows_of_each_class"])
def test_model_selection_rare_structure_is_covered_on_every_seed(name, tmp_path):
    """Remainders of 2 and more, rare classes, classes first seen out of order, ceil vs round: in every grading."""
    _assert_caught_and_named_on_every_seed(name, tmp_path)


def test_model_selection_explicit_cases_are_the_structures_they_claim():
    from mldojo.graders.stage1 import model_selection as grader

    remainders = {case.n_samples % case.n_splits for case in grader.KFOLD_CASES}
    assert {0, 1, 3} <= remainders and any(c.n_samples == c.n_splits for c in grader.KFOLD_CASES)
    assert any(c.n_splits != 5 for c in grader.KFOLD_CASES)
    for problem in grader.STRATIFIED_CASES:
        assert len(grader.sk_stratified_kfold(problem.y, problem.n_splits)) == problem.n_splits  # sklearn accepts it
    counts = [np.unique(p.y, return_counts=True)[1] for p in grader.STRATIFIED_CASES]
    assert any(c.min() < p.n_splits for c, p in zip(counts, grader.STRATIFIED_CASES))  # a rare class
    assert any(len(c) == 1 for c in counts)  # a single class
    assert any(c.max() == p.n_splits for c, p in zip(counts, grader.STRATIFIED_CASES))  # exactly n_splits rows
    products = [len(p.y) * p.test_size for p in grader.ROUNDING_CASES]
    assert any(round(x) != np.ceil(x) for x in products) and any(np.floor(x) != round(x) for x in products)
    for case in grader.CV_CASES + [grader.gaussian_cv_case(4, 19, 2, 4), grader.gaussian_cv_case(5, 19, 2, None)]:
        assert grader._usable(case.X, case.y, case.cv)
    assert {case.cv for case in grader.CV_CASES} >= {None, 3}


def test_model_selection_a_rounding_diagnosis_needs_a_second_input(tmp_path):
    """Rounding down on the 13-row example alone is a wrong answer, but not 'rounds down': it is right elsewhere."""
    source = package_file("reference", EXERCISE).read_text().replace(
        "    n_test = math.ceil(test_size * n)\n",
        "    n_test = math.ceil(test_size * n) - (1 if n == 13 else 0)\n")
    outcome = outcomes_across_seeds(source, "train_test_split_holds_out_ceil_test_size_rows_kept_whole", tmp_path,
                                    seeds=(0,))[0]
    assert outcome.verdict == "failed", outcome.message
    assert outcome.diagnosis is None, outcome.diagnosis


def test_the_recording_model_never_warns():
    """R^2 of a constant column, of one row, of no row: no warning from the grader's own driver."""
    import warnings

    from mldojo.graders.stage1.model_selection_driver import RecordingLeastSquares

    X = np.arange(6.0).reshape(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = RecordingLeastSquares([]).fit(X, np.array([1.0, 2.0, 4.0]))
        assert model.score(X[:1], np.array([7.0])) == 0.0  # one row: constant y, an imperfect fit
        assert model.score(X, np.full(3, 2.0)) == 0.0
        assert np.isnan(model.score(X[:0], np.zeros(0)))
        RecordingLeastSquares([]).fit(X[:0], np.zeros(0))


SCORES_ONE_ROW = '''

def cross_val_score(make_model, X, y, cv=5):
    import warnings
    warnings.warn("the learner's own warning")
    scores = []
    for train, test in kfold_indices(len(X), cv):
        model = make_model()
        model.fit(X[train], y[train])
        scores.append(model.score(X[test[:1]], y[test[:1]]))  # one row: y is constant
    return np.asarray(scores)
'''

DRIVER_WARNS = '''

def kfold_indices(n_samples, n_splits, _kfold=kfold_indices):
    import warnings
    import mldojo.graders.stage1.model_selection_driver as driver
    warnings.warn_explicit("a warning from the grader's driver", RuntimeWarning, driver.__file__, 1)
    return _kfold(n_samples, n_splits)
'''


def test_the_graders_own_warnings_are_not_shown_as_the_learners(tmp_path):
    """A constant test column gives no RuntimeWarning among 'your code printed'; a warning raised from a
    grader file is dropped by the host; the learner's own warning is still shown."""
    source = package_file("reference", EXERCISE).read_text() + SCORES_ONE_ROW + DRIVER_WARNS
    report = grade_source(EXERCISE, source, tmp_path, only=("cross_val_score_matches_sklearn",))
    assert report.checks[0].verdict == "failed", explain(report)  # wrong scores; the driver's warning raised nothing
    printed = report.printed + "".join(check.printed for check in report.checks)
    assert "the learner's own warning" in printed, printed
    assert "RuntimeWarning" not in printed and "grader's driver" not in printed, printed
