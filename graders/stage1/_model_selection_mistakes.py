"""Known wrong fold assignments for stage1/model_selection (judge side).

A set of folds that partitions the rows is one number per row: the test fold it lands in
(`fold_of_row`, shape (n,)). Each mistake maps the check's input to the fold_of_row a
learner who made it would produce; the grader names it only when the learner's folds are
those on the failing input and again on a fixed second input where the mistake shows.
"""

from __future__ import annotations

import warnings

import numpy as np


def sk_kfold(n_samples, n_splits):
    from sklearn.model_selection import KFold

    return list(KFold(n_splits).split(np.zeros((n_samples, 1))))


def sk_stratified_kfold(y, n_splits):
    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only ... members"
        return list(StratifiedKFold(n_splits).split(np.zeros((len(y), 1)), y))


def fold_of_row(folds, n_samples) -> np.ndarray:
    """(n,) the test fold of each row, for folds whose test rows partition 0..n-1."""
    out = np.full(n_samples, -1, dtype=np.int64)
    for k, (_, test) in enumerate(folds):
        out[np.asarray(test, dtype=np.int64)] = k
    return out


def _from_sizes(sizes) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


# -- K-fold: (n_samples, n_splits) -> fold_of_row -------------------------------------------


def kfold_right(n, k):
    return fold_of_row(sk_kfold(n, k), n)


def _last_takes_the_rest(n, k):
    sizes = np.full(k, n // k)
    sizes[-1] += n % k
    return _from_sizes(sizes)


def _extra_rows_last(n, k):
    sizes = np.full(k, n // k)
    sizes[k - n % k:] += 1
    return _from_sizes(sizes)


def _ceil_sizes(n, k):
    return np.minimum(np.arange(n) // -(-n // k), k - 1)


def _interleaved(n, k):
    return np.arange(n) % k


KFOLD_MISTAKES = [
    ("your folds have n_samples // n_splits rows and the last one takes the remainder: the extra rows go one "
     "each to the first n_samples % n_splits folds", _last_takes_the_rest),
    ("your extra rows go to the last folds: the first n_samples % n_splits folds get one extra row each",
     _extra_rows_last),
    ("your folds all have ceil(n_samples / n_splits) rows until the rows run out, so the last fold is short: "
     "folds differ by at most one row, the first n_samples % n_splits folds one row longer",
     _ceil_sizes),
    ("your folds deal the rows out like cards (row i to fold i % n_splits): each test fold is a block of "
     "consecutive rows", _interleaved),
]
SECOND_KFOLD = [(10, 4), (17, 5), (11, 3)]  # remainders 2, 2 and 2: every mistake above shows


# -- stratified K-fold: (y, n_splits) -> fold_of_row ---------------------------------------


def stratified_right(y, k):
    return fold_of_row(sk_stratified_kfold(y, k), len(y))


def _codes_by_first_appearance(y):
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse]  # (n,) class numbers in order of first appearance


def _hand_out(codes, k):
    """sklearn's allocation for class numbers `codes`: deal the sorted codes, then fill folds in order."""
    n_classes = codes.max() + 1
    dealt = np.sort(codes)
    share = np.array([np.bincount(dealt[j::k], minlength=n_classes) for j in range(k)])  # (k, classes)
    out = np.empty(len(codes), dtype=np.int64)
    for c in range(n_classes):
        out[codes == c] = np.repeat(np.arange(k), share[:, c])
    return out


def _chunks_per_class(y, k):
    out = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        for j, chunk in enumerate(np.array_split(np.flatnonzero(y == c), k)):
            out[chunk] = j
    return out


def _sorted_class_order(y, k):
    return _hand_out(np.unique(y, return_inverse=True)[1].reshape(-1), k)


def _each_class_dealt(y, k):
    out = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        out[rows] = np.arange(len(rows)) % k
    return out


def _rows_dealt_by_class(y, k):
    codes = _codes_by_first_appearance(y)
    order = np.lexsort((np.arange(len(y)), codes))  # rows grouped by class, in file order within one
    out = np.empty(len(y), dtype=np.int64)
    out[order] = np.arange(len(y)) % k
    return out


STRATIFIED_MISTAKES = [
    ("your folds cut each class into n_splits nearly equal chunks on its own, each class giving its extra rows to "
     "the first folds. scikit-learn deals the sorted class list out round-robin, so the extra rows of one class go "
     "to the folds after the previous class's", _chunks_per_class),
    ("your folds number the classes in sorted order: number them in the order they first appear in y before "
     "dealing the sorted list out", _sorted_class_order),
    ("your folds deal each class's rows out one by one (its j-th row to fold j % n_splits), every class starting "
     "again at fold 0: the dealt list only says how many rows of each class a fold gets; then hand a class's rows "
     "in order to fold 0 until it has its share, then to fold 1, and so on", _each_class_dealt),
    ("your folds deal the rows themselves out one by one (grouped by class, row j of that list to fold "
     "j % n_splits): the dealt list only says how many rows of each class a fold gets; then hand a class's rows in "
     "order to fold 0 until it has its share, then to fold 1, and so on", _rows_dealt_by_class),
]
SECOND_STRATIFIED = [  # (y, n_splits): classes first seen out of sorted order, counts not divisible
    (np.array([2, 0, 2, 1, 2, 0, 2, 1, 0, 2, 2, 1, 2, 0]), 3),
    (np.array([5, 5, 1, 1, 5, 3, 1, 5, 5, 3, 3, 5, 1, 5, 1, 5, 3]), 4),
]
