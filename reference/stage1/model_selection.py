"""Reference solution for stage1/model_selection: K-fold and stratified K-fold indices equal
to scikit-learn's (no shuffling), a shuffled train/test split with optional stratification,
and cross-validation with a fresh model per fold (NumPy only).

Hidden from the learner.
"""

import math

import numpy as np


def _pairs(test_fold_of_row, n_splits):
    """(train_idx, test_idx) per fold, from each row's test-fold number (n,)."""
    rows = np.arange(len(test_fold_of_row))
    return [(rows[test_fold_of_row != k], rows[test_fold_of_row == k]) for k in range(n_splits)]


def kfold_indices(n_samples, n_splits):
    """Consecutive test folds; the first n_samples % n_splits folds hold one extra row."""
    sizes = np.full(n_splits, n_samples // n_splits)
    sizes[: n_samples % n_splits] += 1
    fold_of_row = np.repeat(np.arange(n_splits), sizes)  # (n_samples,)
    return _pairs(fold_of_row, n_splits)


def stratified_kfold(y, n_splits):
    """Test folds that keep each class's share, allocated like scikit-learn's StratifiedKFold."""
    y = np.asarray(y)
    _, first_seen, position_in_sorted = np.unique(y, return_index=True, return_inverse=True)
    class_of_sorted = np.argsort(np.argsort(first_seen))  # sorted label -> order of first appearance
    codes = class_of_sorted[position_in_sorted]  # (n,) classes numbered by first appearance
    n_classes = len(first_seen)
    counts = np.bincount(codes, minlength=n_classes)
    if np.all(counts < n_splits):
        raise ValueError(f"n_splits={n_splits} is larger than the number of rows of every class")
    dealt = np.sort(codes)
    share = np.array([np.bincount(dealt[k::n_splits], minlength=n_classes) for k in range(n_splits)])  # (folds, classes)
    fold_of_row = np.empty(len(y), dtype=np.int64)
    for c in range(n_classes):
        fold_of_row[codes == c] = np.repeat(np.arange(n_splits), share[:, c])
    return _pairs(fold_of_row, n_splits)


def _stratified_test_rows(stratify, n_test, rng):
    """Test rows with each class's count floor or ceil of its share; extra rows go to the
    classes with the largest remainders (ties broken at random)."""
    classes, codes = np.unique(stratify, return_inverse=True)
    counts = np.bincount(codes)
    exact = n_test * counts / len(stratify)  # (classes,) ideal test rows per class
    take = np.floor(exact).astype(np.int64)
    left = n_test - take.sum()
    remainders = exact - take
    order = np.lexsort((rng.random(len(classes)), -remainders))  # largest remainder first
    take[order[:left]] += 1
    chosen = [rng.permutation(np.flatnonzero(codes == c))[:take[c]] for c in range(len(classes))]
    return rng.permutation(np.concatenate(chosen))


def train_test_split(X, y, test_size=0.25, stratify=None, random_state=None):
    """(X_train, X_test, y_train, y_test): shuffled rows, ceil(test_size * n) of them held out."""
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    n_test = math.ceil(test_size * n)
    rng = np.random.default_rng(random_state)
    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        test = _stratified_test_rows(np.asarray(stratify), n_test, rng)
        train = rng.permutation(np.setdiff1d(np.arange(n), test))
    return X[train], X[test], y[train], y[test]


def cross_val_score(make_model, X, y, cv=5):
    """Scores (cv,): a fresh make_model() per fold, fitted on its training rows, scored on its test rows."""
    X, y = np.asarray(X), np.asarray(y)
    scores = []
    for train, test in kfold_indices(len(X), cv):
        model = make_model()
        model.fit(X[train], y[train])
        scores.append(model.score(X[test], y[test]))
    return np.asarray(scores, dtype=np.float64)
