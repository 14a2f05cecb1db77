"""Grader for stage1/model_selection: K-fold and stratified K-fold indices (= scikit-learn's
KFold / StratifiedKFold without shuffling), train_test_split with and without
stratification, and cross_val_score watched through a recording model.

The learner's splitters run through a driver (model_selection_driver.py) that turns
whatever iterable they return into plain lists; cross_val_score receives a factory of
trusted least-squares models that record every row they are fitted and scored on.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.kit import Diagnosis, as_array, assert_close, assert_equal, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.label_problems import fold_problems, split_problems, stratified_problems
from mldojo.graders.kit.strategies import condition_number, regression_problems

VERSION = "1"

DRIVER = "mldojo.graders.stage1.model_selection_driver"
SCORE_TOLERANCE = 1e-8  # R^2 of a least-squares fit, computed two ways


# -- oracles -------------------------------------------------------------------------------


def sk_kfold(n_samples, n_splits):
    from sklearn.model_selection import KFold

    return list(KFold(n_splits).split(np.zeros((n_samples, 1))))


def sk_stratified_kfold(y, n_splits):
    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only ... members"
        return list(StratifiedKFold(n_splits).split(np.zeros((len(y), 1)), y))


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


def _assert_partition(folds, n_samples, n_splits, call, y=None):
    """Exactly n_splits folds; the test folds cover every row once; train is the rest."""
    if len(folds) != n_splits:
        fail(f"{call} returned {len(folds)} folds, expected n_splits={n_splits}")
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


def _assert_same_folds(folds, expected, call, diagnoses_for=lambda k: ()):
    """Fold by fold, test_idx and train_idx equal scikit-learn's (sorted ascending)."""
    for k, ((train, test), (want_train, want_test)) in enumerate(zip(folds, expected)):
        if not np.array_equal(test, want_test):
            known = next((d.message for d in diagnoses_for(k) if np.array_equal(np.sort(test), d.wrong_answer())), None)
            fail(f"{call}: fold {k} test_idx: got {show(test)}\n"
                 f"{' ' * len(call)}  expected {show(want_test)} (scikit-learn's, sorted ascending)", test,
                 diagnosis=known)
        assert_equal(train, want_train, what=f"{call}: fold {k} train_idx")


def _last_fold_takes_the_rest(n_samples, n_splits):
    size = n_samples // n_splits
    bounds = [k * size for k in range(n_splits)] + [n_samples]
    return [np.arange(bounds[k], bounds[k + 1]) for k in range(n_splits)]


def _array_split_by_class(y, n_splits):
    """Each class's rows cut into n_splits nearly equal chunks independently (not sklearn's allocation)."""
    tests = [[] for _ in range(n_splits)]
    for c in np.unique(y):
        for k, chunk in enumerate(np.array_split(np.flatnonzero(y == c), n_splits)):
            tests[k].extend(chunk.tolist())
    return [np.sort(np.array(t, dtype=np.int64)) for t in tests]


def _sorted_label_order(y, n_splits):
    """sklearn's allocation with classes numbered in sorted order instead of order of first appearance."""
    codes = np.unique(y, return_inverse=True)[1]
    share = np.array([np.bincount(np.sort(codes)[k::n_splits], minlength=codes.max() + 1) for k in range(n_splits)])
    fold = np.empty(len(y), dtype=np.int64)
    for c in range(codes.max() + 1):
        fold[codes == c] = np.repeat(np.arange(n_splits), share[:, c])
    return [np.flatnonzero(fold == k) for k in range(n_splits)]


def _split(learner, problem, **kwargs):
    """The learner's train_test_split result as four arrays, checked for shape."""
    result = learner.train_test_split(problem.X, problem.y, **kwargs)
    call = "train_test_split(X, y, " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail(f"{call} must return four arrays (X_train, X_test, y_train, y_test); got {show(result)}", result)
    X_train, X_test = (as_array(a, name) for a, name in zip(result[:2], ("X_train", "X_test")))
    y_train, y_test = (np.asarray(a) for a in result[2:])
    n = len(problem.X)
    n_test = math.ceil(problem.test_size * n)
    for name, a in (("X_train", X_train), ("X_test", X_test)):
        if a.ndim != 2 or a.shape[1] != problem.X.shape[1]:
            fail(f"{call}: {name} has shape {a.shape}; it should keep X's {problem.X.shape[1]} columns", a)
    if len(X_test) != n_test or len(X_train) != n - n_test:
        fail(f"{call} with n={n} rows: X_test has {len(X_test)} rows and X_train {len(X_train)}; expected "
             f"ceil(test_size * n) = {n_test} test rows and {n - n_test} training rows", X_test,
             diagnosis="is the order of the results (X_train, X_test, y_train, y_test)?" if len(X_train) == n_test else None)
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
             "rows here): shuffle X and y with the same permutation", y_test)
    return rows_train, rows_test


# -- checks: K-fold ------------------------------------------------------------------------


@check(examples=30)
@given(problem=fold_problems())
def kfold_test_folds_partition_the_rows(learner, problem):
    """kfold_indices(n, k) gives k folds whose test rows cover every row exactly once, train = the rest."""
    call = f"kfold_indices({problem.n_samples}, {problem.n_splits})"
    folds = _learner_folds(learner, "kfold_indices", problem.n_samples, problem.n_splits)
    _assert_partition(folds, problem.n_samples, problem.n_splits, call)


@check(examples=30)
@given(problem=fold_problems())
def kfold_matches_sklearn(learner, problem):
    """kfold_indices(n, k) gives scikit-learn's KFold(k) train and test indices, fold by fold (no shuffling)."""
    n, k = problem.n_samples, problem.n_splits
    call = f"kfold_indices({n}, {k})"
    folds = _learner_folds(learner, "kfold_indices", n, k)
    _assert_partition(folds, n, k, call)
    rest = _last_fold_takes_the_rest(n, k)
    _assert_same_folds(folds, sk_kfold(n, k), call, lambda f: [
        Diagnosis(f"your folds have n // n_splits = {n // k} rows and the last one takes the remainder: the "
                  f"extra {n % k} rows go one each to the first {n % k} folds", lambda: rest[f]),
    ])


# -- checks: stratified K-fold -------------------------------------------------------------


@check(examples=40)
@given(problem=stratified_problems(rare_classes=True))
def stratified_folds_partition_the_rows_and_keep_every_class(learner, problem):
    """stratified_kfold folds cover every row once; each fold holds floor or ceil of (class rows / k) of each class."""
    y, k = problem.y, problem.n_splits
    call = f"stratified_kfold(y, {k})"
    folds = _learner_folds(learner, "stratified_kfold", y, k)
    _assert_partition(folds, len(y), k, call, y)
    classes, counts = np.unique(y, return_counts=True)
    for c, count in zip(classes.tolist(), counts.tolist()):
        per_fold = np.array([np.sum(y[test] == c) for _, test in folds])
        low, high = count // k, -(-count // k)
        if np.any((per_fold < low) | (per_fold > high)):
            fail(f"{call}: class {c} has {count} rows, so each test fold should hold {low}"
                 + (f" or {high}" if high != low else "") + f" of them; your folds hold {show(per_fold)}", per_fold)


@check(examples=40)
@given(problem=stratified_problems(rare_classes=True))
def stratified_kfold_matches_sklearn(learner, problem):
    """stratified_kfold(y, k) gives scikit-learn's StratifiedKFold(k) train and test indices, fold by fold."""
    y, k = problem.y, problem.n_splits
    call = f"stratified_kfold(y, {k})"
    folds = _learner_folds(learner, "stratified_kfold", y, k)
    _assert_partition(folds, len(y), k, call, y)
    by_chunks = _array_split_by_class(y, k)
    sorted_order = _sorted_label_order(y, k)
    _assert_same_folds(folds, sk_stratified_kfold(y, k), call, lambda f: [
        Diagnosis("your folds cut each class into n_splits nearly equal chunks on its own, each class "
                  "giving its extra rows to the first folds. scikit-learn deals the sorted class list out "
                  "round-robin, so the extra rows of one class go to the folds after the previous class's",
                  lambda: by_chunks[f]),
        Diagnosis("your folds number the classes in sorted order: number them in the order they first "
                  "appear in y before dealing the sorted list out", lambda: sorted_order[f]),
    ])


@check(examples=5)
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


@check(examples=15)
@given(problem=split_problems(), seed=st.integers(0, 2**16))
def train_test_split_holds_out_ceil_test_size_rows_kept_whole(learner, problem, seed):
    """train_test_split returns (X_train, X_test, y_train, y_test): ceil(test_size * n) test rows, each X row with its y."""
    _split(learner, problem, test_size=problem.test_size, random_state=seed)


@check(examples=5)
@given(problem=split_problems(min_rows=30))
def train_test_split_is_shuffled_and_reproducible(learner, problem):
    """The same random_state gives the same split; five random_states do not all give one split, nor the first or last rows."""
    splits = []
    for seed in (0, 1, 2, 3, 4):
        first = _split(learner, problem, test_size=problem.test_size, random_state=seed)[1]
        again = _split(learner, problem, test_size=problem.test_size, random_state=seed)[1]
        if not np.array_equal(first, again):
            fail(f"train_test_split(..., random_state={seed}) gave different test rows on two calls "
                 f"({show(first)} then {show(again)}): seed a generator with random_state, e.g. "
                 "np.random.default_rng(random_state), and draw only from it", again)
        splits.append(np.sort(first))
    n, n_test = len(problem.X), len(splits[0])
    if all(np.array_equal(s, splits[0]) for s in splits):
        fail(f"train_test_split gave the test rows {show(splits[0])} for random_state 0, 1, 2, 3 and 4: "
             "the split must depend on random_state", splits[0])
    for edge, rows in (("last", np.arange(n - n_test, n)), ("first", np.arange(n_test))):
        if all(np.array_equal(s, rows) for s in splits):
            fail(f"train_test_split always holds out the {edge} {n_test} rows: shuffle the rows first "
                 "(data sets are often sorted, by date or by class)", splits[0])


@check(examples=15)
@given(problem=split_problems(), seed=st.integers(0, 2**16))
def stratified_train_test_split_keeps_class_shares(learner, problem, seed):
    """With stratify=y, each class's test rows differ from test_size * (its rows) by less than one row."""
    _, rows_test = _split(learner, problem, test_size=problem.test_size, stratify=problem.y, random_state=seed)
    n, n_test = len(problem.X), len(rows_test)
    for c, count in zip(*np.unique(problem.y, return_counts=True)):
        got = int(np.sum(problem.y[rows_test] == c))
        share = n_test * count / n
        if abs(got - share) >= 1:
            fail(f"train_test_split(..., stratify=y): class {c} has {count} of the {n} rows, so about "
                 f"{share:.3g} of the {n_test} test rows should be class {c}; yours has {got}", rows_test)


# -- checks: cross_val_score ---------------------------------------------------------------


@dataclass
class CVCase:
    """A regression problem X (n, p), y (n,) and the number of folds cv."""

    X: np.ndarray
    y: np.ndarray
    cv: int


@st.composite
def cv_problems(draw) -> CVCase:
    """A regression problem and a number of folds whose every training fold is well conditioned."""
    problem = draw(regression_problems(min_rows=8, max_rows=30, max_features=3))
    n = len(problem.X)
    cv = draw(st.integers(2, min(5, n // 3)))
    for train, test in sk_kfold(n, cv):
        assume(len(train) >= problem.X.shape[1] + 2 and condition_number(problem.X[train]) <= 1e3)
        assume(np.ptp(problem.y[test]) > 0.5)  # R^2 needs spread in y on every test fold
    return CVCase(problem.X, problem.y, cv)


def _sk_cross_val_score(X, y, cv):
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score

    return cross_val_score(LinearRegression(), X, y, cv=KFold(cv))


def _cross_validate(learner, X, y, cv):
    reply = learner._drive(f"{DRIVER}:cross_validate", X, y, cv)
    if reply.get("problem"):
        fail(reply["problem"])
    return reply


@check(examples=10)
@given(case=cv_problems())
def cross_val_score_matches_sklearn(learner, case):
    """cross_val_score(make_model, X, y, cv) equals scikit-learn's cross_val_score with KFold(cv), to 1e-8."""
    X, y, cv = case.X, case.y, case.cv
    expected = _sk_cross_val_score(X, y, cv)
    reply = _cross_validate(learner, X, y, cv)
    assert_close(reply["scores"], expected, what=f"cross_val_score(make_model, X, y, cv={cv})",
                 rtol=SCORE_TOLERANCE, atol=SCORE_TOLERANCE, diagnoses=[
                     Diagnosis("your scores come from models fitted on all the rows: fit each fold's model on "
                               "its training rows only", lambda: _all_rows_scores(X, y, cv)),
                 ])


def _all_rows_scores(X, y, cv):
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(X, y)
    return np.array([model.score(X[test], y[test]) for _, test in sk_kfold(len(X), cv)])


@check(examples=8)
@given(case=cv_problems())
def cross_val_score_fits_a_fresh_model_on_training_rows_only(learner, case):
    """cross_val_score makes one model per fold, fits it once on that fold's training rows and scores it on its test rows."""
    X, y, cv = case.X, case.y, case.cv
    reply = _cross_validate(learner, X, y, cv)
    models, folds = reply["models"], sk_kfold(len(X), cv)
    call = f"cross_val_score(make_model, X, y, cv={cv})"
    fitted = [m for m in models if m["fit"]]
    if len(fitted) != cv:
        fail(f"{call} fitted {len(fitted)} model(s) (make_model() was called {len(models)} times): call "
             f"make_model() once per fold, {cv} times, and fit each new model on its own fold")
    for k, (model, (train, test)) in enumerate(zip(fitted, folds)):
        if len(model["fit"]) != 1:
            fail(f"{call}: the model of fold {k} was fitted {len(model['fit'])} times; fit it once")
        fit_X = np.asarray(model["fit"][0])
        if len(fit_X) >= len(X):
            fail(f"{call}: the model of fold {k} was fitted on all {len(fit_X)} rows, its test rows "
                 "included: that is a leak, and the score rewards memorising the test rows. Fit on "
                 "X[train_idx], y[train_idx] only", fit_X)
        if not np.array_equal(fit_X, X[train]):
            fail(f"{call}: the model of fold {k} was fitted on other rows than fold {k}'s training rows "
                 f"(kfold_indices(len(X), {cv})[{k}][0], in order)", fit_X)
        scored = [np.asarray(s) for s in model["score"]]
        if len(scored) != 1 or not np.array_equal(scored[0], X[test]):
            fail(f"{call}: the model of fold {k} should be scored once, on fold {k}'s test rows "
                 f"({len(test)} rows); it was scored {len(scored)} time(s)"
                 + (f" on {len(scored[0])} rows" if len(scored) == 1 else ""))
