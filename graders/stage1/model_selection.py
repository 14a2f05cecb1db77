"""Grader for stage1/model_selection: K-fold and stratified K-fold indices (= scikit-learn's
KFold / StratifiedKFold without shuffling), train_test_split with and without
stratification, and cross_val_score watched through a recording model.

The learner's splitters run through a driver (model_selection_driver.py) that turns
whatever iterable they return into plain lists; cross_val_score receives a factory of
trusted least-squares models that record every row they are fitted and scored on.

Every structural case the stub names is an explicit example, tried in every grading
whatever the seed: row counts that n_splits divides and does not (remainders of 1 and
more), one row per fold, two folds, classes rarer than n_splits, a single class, classes
first seen out of sorted order, test sizes whose ceil differs from round and floor, the
default test_size and cv, stratification on a rare class. A mistake is named only when
the learner's folds are its folds here and on a second input where it shows.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import sklearn.model_selection  # noqa: F401 - the oracles need it; imported while the learner process starts
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.kit import Diagnosis, as_array, assert_equal, check, example, fail, given
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.label_problems import (
    FoldProblem,
    SplitProblem,
    StratifiedProblem,
    fold_problems,
    split_problems,
    stratified_problems,
)
from mldojo.graders.kit.strategies import condition_number, regression_problems
from mldojo.graders.stage1 import _model_selection_mistakes as M
from mldojo.graders.stage1._second_input import assert_close_any_shape, confirmer

VERSION = "2"

DRIVER = "mldojo.graders.stage1.model_selection_driver"
SCORE_TOLERANCE = 1e-8  # R^2 of a least-squares fit, computed two ways
DEFAULT_TEST_SIZE, DEFAULT_CV = 0.25, 5  # the stub's defaults
RANDOM_STATES = 5  # stratified splits are checked for this many random_states per input

sk_kfold, sk_stratified_kfold = M.sk_kfold, M.sk_stratified_kfold  # the oracles, for tests


# -- helpers -------------------------------------------------------------------------------


def _learner_folds(learner, function_name, *args):
    """The learner's folds as a list of (train, test) int arrays, failing clearly on odd results."""
    reply = learner._drive(f"{DRIVER}:folds", function_name, *args)
    if reply.get("problem"):
        fail(reply["problem"])
    pairs = []
    for k, (train, test) in enumerate(reply["folds"]):
        for what, idx in (("train_idx", train), ("test_idx", test)):
            idx = np.asarray(idx)
            if idx.dtype == bool:
                fail(f"fold {k}: {what} is a boolean mask; return the row numbers instead (np.flatnonzero(mask))", idx)
            if idx.size and idx.dtype.kind not in "iu":
                fail(f"fold {k}: {what} has dtype {idx.dtype}; row numbers are integers", idx)
        pairs.append((np.asarray(train).astype(np.int64).ravel(), np.asarray(test).astype(np.int64).ravel()))
    return pairs


def _ignores_n_splits(learner, function_name, args, count: int) -> bool:
    """Evidence that n_splits (the last argument) is ignored: another n_splits gives `count` folds too."""
    other = 3 if args[-1] == 2 else 2
    try:
        return len(_learner_folds(learner, function_name, *args[:-1], other)) == count
    except Exception:  # noqa: BLE001 - a refusal or a crash proves nothing either way
        return False


def _assert_partition(folds, n_samples, n_splits, call, y=None, learner=None, function_name=None, args=()):
    """Exactly n_splits folds; the test folds cover every row once; train is the rest
    (`learner`, `function_name`, `args`: the call, asked again to tell an ignored n_splits)."""
    if len(folds) != n_splits:
        ignored = learner is not None and _ignores_n_splits(learner, function_name, args, len(folds))
        fail(f"{call} returned {len(folds)} folds, expected n_splits={n_splits}",
             diagnosis=f"n_splits is ignored: {len(folds)} folds for n_splits={n_splits} and for another n_splits"
             if ignored else None)
    seen = np.zeros(n_samples, dtype=np.int64)
    for k, (train, test) in enumerate(folds):
        outside = np.concatenate([train, test])
        bad = outside[(outside < 0) | (outside >= n_samples)]
        if bad.size:
            fail(f"{call}: fold {k} names row {int(bad[0])}, but the rows are 0..{n_samples - 1}", test)
        if len(np.unique(test)) != len(test):
            fail(f"{call}: fold {k}'s test_idx repeats a row: {show(test)}", test)
        seen[test] += 1
        both = np.intersect1d(train, test)
        if both.size:
            fail(f"{call}: row {int(both[0])} is in both train_idx and test_idx of fold {k} — a leak: the "
                 "model would be tested on a row it was trained on", train)
        expected_train = np.setdiff1d(np.arange(n_samples), test)
        if not np.array_equal(np.sort(train), expected_train) or len(train) != len(expected_train):
            missing = np.setdiff1d(expected_train, train)
            fail(f"{call}: fold {k}'s train_idx should be every row not in its test_idx"
                 + (f"; row {int(missing[0])} is in neither" if missing.size else "; it repeats a row"), train)
    if np.any(seen == 0):
        row = int(np.flatnonzero(seen == 0)[0])
        of_class = f" (class {y[row]})" if y is not None else ""
        lost = ""
        if y is not None and not np.any(np.isin(np.flatnonzero(y == y[row]), np.flatnonzero(seen))):
            lost = f"; no row of class {y[row]} is tested at all"
        fail(f"{call}: row {row}{of_class} is in no test fold{lost}: every row must be tested exactly once "
             f"(test folds per row: {show(seen)})", seen)
    if np.any(seen > 1):
        row = int(np.flatnonzero(seen > 1)[0])
        fail(f"{call}: row {row} is in {int(seen[row])} test folds: every row must be tested exactly once", seen)


def _assert_same_folds(folds, expected, call, diagnoses):
    """Fold by fold, test_idx and train_idx equal scikit-learn's (sorted ascending).

    The folds partition the rows (checked before), so they are one test-fold number per row:
    the diagnoses compare that (n,) array with each mistake's."""
    n = sum(len(test) for _, test in folds)
    got, want = M.fold_of_row(folds, n), M.fold_of_row(expected, n)
    for k, ((train, test), (want_train, want_test)) in enumerate(zip(folds, expected)):
        if np.array_equal(got, want) and not np.array_equal(test, want_test):
            fail(f"{call}: fold {k} test_idx: got {show(test)}, the right rows in another order",
                 diagnosis="return each test_idx sorted ascending (np.sort, or build it from np.arange)")
        if not np.array_equal(test, want_test):
            shown_got, shown_want = show_pair(test, want_test)
            fail(f"{call}: fold {k} test_idx: got {shown_got}\n"
                 f"{' ' * len(call)}  expected {shown_want} (scikit-learn's, sorted ascending)\n"
                 f"  test fold of each row: got {show(got)}\n"
                 f"                    expected {show(want)}", got, diagnoses,
                 passes=lambda value: np.array_equal(value, want))
        if np.array_equal(np.sort(train), want_train) and not np.array_equal(train, want_train):
            fail(f"{call}: fold {k} train_idx: got {show(train)}, the right rows in another order",
                 diagnosis="return each train_idx sorted ascending (np.sort, or build it from np.arange)")
        assert_equal(train, want_train, what=f"{call}: fold {k} train_idx")


def _fold_diagnoses(learner, function_name, mistakes, args, right, second_inputs):
    """Diagnoses for a splitter, confirmed by running the learner's splitter on a second input."""
    def call(*inputs):
        folds = _learner_folds(learner, function_name, *inputs)
        n = len(inputs[0]) if function_name == "stratified_kfold" else inputs[0]
        return M.fold_of_row(folds, n)

    return [Diagnosis(message, lambda f=f: f(*args), confirmer(call, f, right, second_inputs, 0.0))
            for message, f in mistakes]


# -- checks: K-fold ------------------------------------------------------------------------

KFOLD_CASES = [FoldProblem(10, 3), FoldProblem(11, 4), FoldProblem(12, 4), FoldProblem(5, 5), FoldProblem(7, 2),
               FoldProblem(2, 2)]  # remainder 1, remainder 3, divisible, one row per fold, two folds, the smallest


def _kfold_examples(function):
    for case in reversed(KFOLD_CASES):
        function = example(problem=case)(function)
    return function


@check(examples=30)
@_kfold_examples
@given(problem=fold_problems())
def kfold_test_folds_partition_the_rows(learner, problem):
    """kfold_indices(n, k) gives k folds whose test rows cover every row exactly once, train = the rest."""
    call = f"kfold_indices({problem.n_samples}, {problem.n_splits})"
    folds = _learner_folds(learner, "kfold_indices", problem.n_samples, problem.n_splits)
    _assert_partition(folds, problem.n_samples, problem.n_splits, call, learner=learner, function_name="kfold_indices",
                      args=(problem.n_samples, problem.n_splits))


@check(examples=30)
@_kfold_examples
@given(problem=fold_problems())
def kfold_matches_sklearn(learner, problem):
    """kfold_indices(n, k) gives scikit-learn's KFold(k) train and test indices, fold by fold (no shuffling)."""
    n, k = problem.n_samples, problem.n_splits
    call = f"kfold_indices({n}, {k})"
    folds = _learner_folds(learner, "kfold_indices", n, k)
    _assert_partition(folds, n, k, call, learner=learner, function_name="kfold_indices", args=(n, k))
    _assert_same_folds(folds, sk_kfold(n, k), call, _fold_diagnoses(
        learner, "kfold_indices", M.KFOLD_MISTAKES, (n, k), M.kfold_right, M.SECOND_KFOLD))


# -- checks: stratified K-fold -------------------------------------------------------------

STRATIFIED_CASES = [
    StratifiedProblem(np.array([3, 1, 3, 3, 7, 1, 3, 1, 3, 3, 1]), 3),  # 7 rarer than the folds; 3 seen before 1
    StratifiedProblem(np.array([1, 0, 0, 1, 0, 2]), 3),  # the largest class has exactly n_splits rows
    StratifiedProblem(np.array([4, 4, 4, 4, 4, 4, 4]), 3),  # a single class
    StratifiedProblem(np.array([2, 0, 0, 1, 1, 1, 0, 2, 2, 1, 0, 1, 2, 0]), 4),  # no count divisible by 4
]


def _stratified_examples(function):
    for case in reversed(STRATIFIED_CASES):
        function = example(problem=case)(function)
    return function


@check(examples=40)
@_stratified_examples
@given(problem=stratified_problems(rare_classes=True))
def stratified_folds_partition_the_rows_and_keep_every_class(learner, problem):
    """stratified_kfold folds cover every row once; each fold holds floor or ceil of (class rows / k) of each class."""
    y, k = problem.y, problem.n_splits
    call = f"stratified_kfold(y, {k})"
    folds = _learner_folds(learner, "stratified_kfold", y, k)
    _assert_partition(folds, len(y), k, call, y, learner=learner, function_name="stratified_kfold", args=(y, k))
    classes, counts = np.unique(y, return_counts=True)
    for c, count in zip(classes.tolist(), counts.tolist()):
        per_fold = np.array([np.sum(y[test] == c) for _, test in folds])
        low, high = count // k, -(-count // k)
        if np.any((per_fold < low) | (per_fold > high)):
            fail(f"{call}: class {c} has {count} rows, so each test fold should hold {low}"
                 + (f" or {high}" if high != low else "") + f" of them; your folds hold {show(per_fold)}", per_fold)


@check(examples=40)
@_stratified_examples
@given(problem=stratified_problems(rare_classes=True))
def stratified_kfold_matches_sklearn(learner, problem):
    """stratified_kfold(y, k) gives scikit-learn's StratifiedKFold(k) train and test indices, fold by fold."""
    y, k = problem.y, problem.n_splits
    call = f"stratified_kfold(y, {k})"
    folds = _learner_folds(learner, "stratified_kfold", y, k)
    _assert_partition(folds, len(y), k, call, y, learner=learner, function_name="stratified_kfold", args=(y, k))
    _assert_same_folds(folds, sk_stratified_kfold(y, k), call, _fold_diagnoses(
        learner, "stratified_kfold", M.STRATIFIED_MISTAKES, (y, k), M.stratified_right, M.SECOND_STRATIFIED))


@check(examples=5)
@example(problem=StratifiedProblem(np.array([0, 0, 1, 1, 2, 2]), 2), extra=1)  # 6 rows, 3 folds, 2 rows per class
@example(problem=StratifiedProblem(np.array([5, 5, 5, 9]), 2), extra=1)  # as many folds as rows
@given(problem=stratified_problems(max_splits=3, rare_classes=False), extra=st.integers(1, 3))
def stratified_kfold_refuses_more_folds_than_rows_per_class(learner, problem, extra):
    """stratified_kfold(y, k) raises ValueError when every class has fewer than k rows."""
    k = int(np.unique(problem.y, return_counts=True)[1].max()) + extra
    try:
        folds = learner._drive(f"{DRIVER}:folds", "stratified_kfold", problem.y, k)
    except LearnerRaised as exc:
        if exc.type_name != "ValueError":
            fail(f"stratified_kfold(y, {k}) raised {exc.type_name}; raise ValueError (no class has {k} rows "
                 "to spread over the folds)")
        return
    fail(f"stratified_kfold(y, {k}) returned folds although no class has {k} rows: raise ValueError",
         folds.get("folds"))


# -- checks: train_test_split --------------------------------------------------------------


def split_case(labels, test_size: float) -> SplitProblem:
    """A SplitProblem over fixed labels: X's first column numbers the rows, its second varies."""
    y = np.asarray(labels, dtype=np.int64)
    n = len(y)
    X = np.column_stack([np.arange(n, dtype=np.float64), (np.arange(n) * 7 % 11 - 5).astype(np.float64)])
    return SplitProblem(X, y, test_size)


# n * test_size: 3.25 (ceil 4, round and floor 3), 4.5 (ceil 5, round 4), 4.67 (ceil and round 5, floor 4), 5 (exact)
ROUNDING_CASES = [
    split_case([0, 1, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0, 0], 0.25),
    split_case([0, 1] * 7 + [1], 0.3),
    split_case([2, 2, 0, 1, 2, 0, 2, 1, 2, 2, 0, 2, 1, 2], 1 / 3),
    split_case([0, 1, 1, 0] * 5, 0.25),
]
# classes of 8, 4 and 1 rows; 15 and 5; 20 and 20 (a share of exactly 10 of the 20 test rows)
STRATIFY_CASES = [
    split_case([0, 1, 0, 0, 2, 0, 1, 0, 1, 0, 0, 1, 0], 0.25),
    split_case([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], 0.3),
    split_case([0, 1, 1, 0, 1, 0, 0, 1] * 5, 0.5),
]


def _split_call(kwargs) -> str:
    return "train_test_split(X, y" + "".join(
        ", stratify=y" if k == "stratify" else f", {k}={v!r}" for k, v in kwargs.items()) + ")"


def _split(learner, problem, **kwargs):
    """The learner's train_test_split result as four arrays, checked for shape."""
    result = learner.train_test_split(problem.X, problem.y, **kwargs)
    call = _split_call(kwargs)
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail(f"{call} must return four arrays (X_train, X_test, y_train, y_test); got {show(result)}", result)
    X_train, X_test = (as_array(a, name) for a, name in zip(result[:2], ("X_train", "X_test")))
    y_train, y_test = (np.asarray(a) for a in result[2:])
    n = len(problem.X)
    test_size = kwargs.get("test_size", DEFAULT_TEST_SIZE)
    n_test = math.ceil(test_size * n)
    for name, a in (("X_train", X_train), ("X_test", X_test)):
        if a.ndim != 2 or a.shape[1] != problem.X.shape[1]:
            fail(f"{call}: {name} has shape {a.shape}; it should keep X's {problem.X.shape[1]} columns", a)
    if len(X_test) != n_test or len(X_train) != n - n_test:
        fail(f"{call} with n={n} rows: X_test has {len(X_test)} rows and X_train {len(X_train)}; expected "
             f"ceil(test_size * n) = ceil({test_size:g} * {n}) = {n_test} test rows and {n - n_test} training rows",
             len(X_test), _size_diagnoses(learner, n, test_size, {k: v for k, v in kwargs.items() if k != "stratify"}),
             passes=lambda value: int(value) == n_test)
    if y_train.shape != (len(X_train),) or y_test.shape != (len(X_test),):
        fail(f"{call}: y_train has shape {y_train.shape} and y_test {y_test.shape}; expected "
             f"({len(X_train)},) and ({len(X_test)},), the same rows as X_train and X_test", y_test)
    rows_train, rows_test = X_train[:, 0].astype(np.int64), X_test[:, 0].astype(np.int64)  # column 0 = row number
    every = np.sort(np.concatenate([rows_train, rows_test]))
    if not np.array_equal(every, np.arange(n)) or not np.array_equal(X_test, problem.X[rows_test]) \
            or not np.array_equal(X_train, problem.X[rows_train]):
        fail(f"{call}: the rows of X_train and X_test together are not the rows of X, each once "
             "(X's first column numbers the rows here)", X_test)
    if not np.array_equal(y_test, problem.y[rows_test]) or not np.array_equal(y_train, problem.y[rows_train]):
        fail(f"{call}: y_test is not the labels of the rows in X_test (X's first column numbers the "
             "rows here): shuffle X and y with the same permutation", y_test,
             diagnosis="y is not split along X's rows: y_train and y_test are not the labels of X_train's and X_test's rows")
    return rows_train, rows_test


def _size_readings(given_test_size: bool):
    """Wrong numbers of test rows, as functions of (n, test_size)."""
    found = [
        ("the number of test rows is int(test_size * n), rounded down: it is ceil(test_size * n)",
         lambda n, t: math.floor(t * n)),
        ("the number of test rows is round(test_size * n): it is ceil(test_size * n), rounded up",
         lambda n, t: round(t * n)),
        ("X_test has the size X_train should have: either the results are not in the order (X_train, X_test, "
         "y_train, y_test), or test_size is used as the share of training rows", lambda n, t: n - math.ceil(t * n)),
    ]
    if given_test_size:
        found.append((f"your function ignores test_size: it always holds out ceil({DEFAULT_TEST_SIZE} * n) rows",
                      lambda n, t: math.ceil(DEFAULT_TEST_SIZE * n)))
    else:
        for share in (0.2, 0.3, 0.5):
            found.append((f"called without test_size, your function holds out {share:g} of the rows: the default is "
                          f"test_size={DEFAULT_TEST_SIZE}", lambda n, t, share=share: math.ceil(share * n)))
    return found


# (n, test_size): ceil, round and floor differ in turn; n for the default test_size, where they and 0.2 differ too
SECOND_SIZES = [(13, 0.25), (14, 1 / 3), (15, 0.3), (21, 0.2)]
SECOND_DEFAULT_ROWS = [13, 14, 24, 40]


def _size_diagnoses(learner, n, test_size, kwargs) -> list[Diagnosis]:
    """Diagnoses for a wrong number of test rows, confirmed on another (n, test_size)."""
    given = "test_size" in kwargs

    def call(n_rows, share):
        problem = split_case(np.arange(n_rows) % 2, share)
        passed = {**kwargs, "test_size": share} if given else kwargs
        return len(np.asarray(learner.train_test_split(problem.X, problem.y, **passed)[1]))

    right = lambda n_rows, share: math.ceil((share if given else DEFAULT_TEST_SIZE) * n_rows)  # noqa: E731
    second = SECOND_SIZES if given else [(n_rows, DEFAULT_TEST_SIZE) for n_rows in SECOND_DEFAULT_ROWS]
    return [Diagnosis(message, lambda f=f: f(n, test_size),
                      confirmer(call, lambda n_rows, share, f=f: f(n_rows, share if given else DEFAULT_TEST_SIZE),
                                right, second, 0.0))
            for message, f in _size_readings(given)]


@check(examples=15)
@example(problem=ROUNDING_CASES[0], seed=0, pass_test_size=True)
@example(problem=ROUNDING_CASES[1], seed=1, pass_test_size=True)
@example(problem=ROUNDING_CASES[2], seed=2, pass_test_size=True)
@example(problem=ROUNDING_CASES[3], seed=3, pass_test_size=True)
@example(problem=ROUNDING_CASES[0], seed=4, pass_test_size=False)
@given(problem=split_problems(), seed=st.integers(0, 2**16), pass_test_size=st.booleans())
def train_test_split_holds_out_ceil_test_size_rows_kept_whole(learner, problem, seed, pass_test_size):
    """train_test_split returns (X_train, X_test, y_train, y_test): ceil(test_size * n) test rows (test_size 0.25 by default), each X row with its y."""
    if pass_test_size:
        _split(learner, problem, test_size=problem.test_size, random_state=seed)
    else:
        _split(learner, problem, random_state=seed)


@check(examples=5)
@example(problem=STRATIFY_CASES[2], stratified=False)
@example(problem=STRATIFY_CASES[2], stratified=True)
@given(problem=split_problems(min_rows=30), stratified=st.booleans())
def train_test_split_is_shuffled_and_reproducible(learner, problem, stratified):
    """The same random_state gives the same split; five random_states do not all give one split, nor the first or last rows (with and without stratify)."""
    extra = {"stratify": problem.y} if stratified else {}
    how = ", stratify=y" if stratified else ""
    splits = []
    for seed in (0, 1, 2, 3, 4):
        first = _split(learner, problem, test_size=problem.test_size, random_state=seed, **extra)[1]
        again = _split(learner, problem, test_size=problem.test_size, random_state=seed, **extra)[1]
        if not np.array_equal(first, again):
            fail(f"train_test_split(...{how}, random_state={seed}) gave different test rows on two calls "
                 f"({show(first)} then {show(again)}): seed a generator with random_state, e.g. "
                 "np.random.default_rng(random_state), and draw only from it", again,
                 diagnosis="random_state does not seed the shuffle: the same random_state gives another split")
        splits.append(np.sort(first))
    n, n_test = len(problem.X), len(splits[0])
    for edge, rows in (("last", np.arange(n - n_test, n)), ("first", np.arange(n_test))):
        if all(np.array_equal(s, rows) for s in splits):
            fail(f"train_test_split(...{how}) always holds out the {edge} {n_test} rows: shuffle the rows first "
                 "(data sets are often sorted, by date or by class)", splits[0],
                 diagnosis=f"the rows are not shuffled: the test rows are the {edge} {n_test} for every random_state")
    if all(np.array_equal(s, splits[0]) for s in splits):
        fail(f"train_test_split(...{how}) gave the test rows {show(splits[0])} for random_state 0, 1, 2, 3 and 4: "
             "the split must depend on random_state", splits[0],
             diagnosis="random_state is ignored: every random_state gives the same split")


@check(examples=15)
@example(problem=STRATIFY_CASES[0], seed=0)
@example(problem=STRATIFY_CASES[1], seed=0)
@example(problem=STRATIFY_CASES[2], seed=0)
@given(problem=split_problems(), seed=st.integers(0, 2**16))
def stratified_train_test_split_keeps_class_shares(learner, problem, seed):
    """With stratify=y, for random_state seed..seed+4, each class's test rows differ from its share of the test rows by less than one row."""
    n = len(problem.X)
    for random_state in range(seed, seed + RANDOM_STATES):
        _, rows_test = _split(learner, problem, test_size=problem.test_size, stratify=problem.y,
                              random_state=random_state)
        n_test = len(rows_test)
        for c, count in zip(*np.unique(problem.y, return_counts=True)):
            got = int(np.sum(problem.y[rows_test] == c))
            share = n_test * count / n
            if abs(got - share) >= 1:
                ignored = _ignores_stratify(learner, problem, random_state, rows_test)
                fail(f"train_test_split(X, y, test_size={problem.test_size:g}, stratify=y, random_state="
                     f"{random_state}): class {c} has {count} of the {n} rows, so about {share:.3g} of the "
                     f"{n_test} test rows should be class {c} ({n_test} * {count} / {n}); yours has {got}", rows_test,
                     diagnosis="stratify is ignored: the same test rows as without stratify" if ignored else None)


def _ignores_stratify(learner, problem, random_state, rows_test) -> bool:
    """Evidence that stratify is ignored: the same call without it holds out the same rows."""
    try:
        _, plain = _split(learner, problem, test_size=problem.test_size, random_state=random_state)
    except Exception:  # noqa: BLE001 - a crash or a failed check without stratify proves nothing here
        return False
    return np.array_equal(np.sort(plain), np.sort(rows_test))


# -- checks: cross_val_score ---------------------------------------------------------------


@dataclass
class CVCase:
    """A regression problem X (n, p), y (n,) and the number of folds cv (None: the default, 5)."""

    X: np.ndarray
    y: np.ndarray
    cv: int | None


def _usable(X, y, cv) -> bool:
    """Every training fold well conditioned, every test fold with spread in y (R^2 needs it)."""
    for train, test in sk_kfold(len(X), cv or DEFAULT_CV):
        if len(train) < X.shape[1] + 2 or condition_number(X[train]) > 1e3 or np.ptp(y[test]) <= 0.5:
            return False
    return True


@st.composite
def cv_problems(draw) -> CVCase:
    """A regression problem and a number of folds whose every training fold is well conditioned."""
    problem = draw(regression_problems(min_rows=8, max_rows=30, max_features=3))
    n = len(problem.X)
    cv = draw(st.integers(2, min(5, n // 3)))
    assume(_usable(problem.X, problem.y, cv))
    return CVCase(problem.X, problem.y, cv)


def gaussian_cv_case(seed: int, n: int, p: int, cv: int | None) -> CVCase:
    """Gaussian features off any grid (three decimals), a noisy linear target."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(scale=1.5, size=(n, p)), 3)
    y = np.round(X @ rng.uniform(-2, 2, size=p) + rng.uniform(-2, 2) + 0.5 * rng.normal(size=n), 3)
    return CVCase(X, y, cv)


CV_CASES = [gaussian_cv_case(1, 17, 2, 3), gaussian_cv_case(2, 17, 2, None), gaussian_cv_case(3, 11, 1, 2)]
SECOND_CV = {"given": [(c.X, c.y, c.cv) for c in [gaussian_cv_case(4, 19, 2, 4)]],
             "default": [(c.X, c.y, c.cv) for c in [gaussian_cv_case(5, 19, 2, None)]]}


def _sk_cross_val_score(X, y, cv):
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score

    with warnings.catch_warnings():  # a mistake's folds of one row: "R^2 is not well-defined"
        warnings.simplefilter("ignore")
        return cross_val_score(LinearRegression(), X, y, cv=KFold(cv or DEFAULT_CV))


def _cross_validate(learner, X, y, cv):
    reply = learner._drive(f"{DRIVER}:cross_validate", X, y, cv)
    if reply.get("problem"):
        fail(reply["problem"])
    return reply


def _call(cv) -> str:
    return "cross_val_score(make_model, X, y)" if cv is None else f"cross_val_score(make_model, X, y, cv={cv})"


def _fold_scores(X, y, cv, fit_rows, score_rows):
    """R^2 per KFold fold of a least-squares model fitted and scored on the rows the two functions pick."""
    from sklearn.linear_model import LinearRegression

    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in sk_kfold(len(X), cv):
            fit, scored = fit_rows(train, test), score_rows(train, test)
            scores.append(LinearRegression().fit(X[fit], y[fit]).score(X[scored], y[scored]))
    return np.array(scores)


def _cv_mistakes(given_cv: bool):
    everything = lambda train, test: np.arange(len(train) + len(test))  # noqa: E731
    found = [
        ("your scores come from models fitted on all the rows: fit each fold's model on its training rows only",
         lambda X, y, cv: _fold_scores(X, y, cv or DEFAULT_CV, everything, lambda train, test: test)),
        ("your scores are measured on the training rows: score each fold's model on its test rows",
         lambda X, y, cv: _fold_scores(X, y, cv or DEFAULT_CV, lambda train, test: train, lambda train, test: train)),
    ]
    if given_cv:
        found.append((f"your function ignores cv: these are the scores of {DEFAULT_CV} folds (the default), whatever "
                      "cv says. Pass cv on, kfold_indices(len(X), cv), and check that kfold_indices uses its n_splits",
                      lambda X, y, cv: _sk_cross_val_score(X, y, DEFAULT_CV)))
    else:
        for folds in (3, 10):
            found.append((f"called without cv, your function uses {folds} folds: the default is cv={DEFAULT_CV}",
                          lambda X, y, cv, folds=folds: _sk_cross_val_score(X, y, folds)))
    return found


@check(examples=10)
@example(case=CV_CASES[0])
@example(case=CV_CASES[1])
@example(case=CV_CASES[2])
@given(case=cv_problems())
def cross_val_score_matches_sklearn(learner, case):
    """cross_val_score(make_model, X, y, cv) equals scikit-learn's cross_val_score with KFold(cv) (cv=5 by default), to 1e-8."""
    X, y, cv = case.X, case.y, case.cv
    learner_scores = lambda X, y, cv: _cross_validate(learner, X, y, cv)["scores"]  # noqa: E731
    mistakes = _cv_mistakes(cv is not None)
    second = SECOND_CV["given" if cv is not None else "default"]
    assert_close_any_shape(learner_scores(X, y, cv), _sk_cross_val_score(X, y, cv), what=_call(cv),
                           rtol=SCORE_TOLERANCE, atol=SCORE_TOLERANCE, diagnoses=[
                               Diagnosis(message, lambda f=f: f(X, y, cv),
                                         confirmer(learner_scores, f, _sk_cross_val_score, second, SCORE_TOLERANCE))
                               for message, f in mistakes])


@check(examples=8)
@example(case=CV_CASES[0])
@example(case=CV_CASES[1])
@given(case=cv_problems())
def cross_val_score_fits_a_fresh_model_on_training_rows_only(learner, case):
    """cross_val_score makes one model per fold, fits it once on that fold's training rows (X and y) and scores it on its test rows."""
    X, y, cv = case.X, case.y, case.cv
    folds_wanted = cv or DEFAULT_CV
    reply = _cross_validate(learner, X, y, cv)
    models, folds = reply["models"], sk_kfold(len(X), folds_wanted)
    call = _call(cv)
    fitted = [m for m in models if m["fit"]]
    if len(fitted) != folds_wanted:
        default = " (the default)" if cv is None else ""
        fail(f"{call} fitted {len(fitted)} model(s) (make_model() was called {len(models)} times): call "
             f"make_model() once per fold, {folds_wanted} times{default}, and fit each new model on its own fold",
             diagnosis="one model is refitted on every fold: make_model() is called only once" if len(models) == 1 else None)
    for k, (model, (train, test)) in enumerate(zip(fitted, folds)):
        if len(model["fit"]) != 1:
            fail(f"{call}: the model of fold {k} was fitted {len(model['fit'])} times; fit it once")
        fit_X, fit_y = np.asarray(model["fit"][0]), np.asarray(model["fit_y"][0])
        if len(fit_X) >= len(X):
            fail(f"{call}: the model of fold {k} was fitted on all {len(fit_X)} rows, its test rows "
                 "included: that is a leak, and the score rewards memorising the test rows. Fit on "
                 "X[train_idx], y[train_idx] only", fit_X)
        if not np.array_equal(fit_X, X[train]):
            fail(f"{call}: the model of fold {k} was fitted on other rows than fold {k}'s training rows "
                 f"(kfold_indices(len(X), {folds_wanted})[{k}][0], in order)", fit_X)
        if not np.array_equal(fit_y, y[train]):
            fail(f"{call}: the model of fold {k} was fitted on X[train_idx] but with other targets than "
                 "y[train_idx]: index X and y with the same rows", fit_y)
        scored = [np.asarray(s) for s in model["score"]]
        if len(scored) != 1 or not np.array_equal(scored[0], X[test]):
            fail(f"{call}: the model of fold {k} should be scored once, on fold {k}'s test rows "
                 f"({len(test)} rows); it was scored {len(scored)} time(s)"
                 + (f" on {len(scored[0])} rows" if len(scored) == 1 else ""))
        if not np.array_equal(np.asarray(model["score_y"][0]), y[test]):
            fail(f"{call}: the model of fold {k} was scored on X[test_idx] but with other targets than "
                 "y[test_idx]: index X and y with the same rows", model["score_y"][0])
