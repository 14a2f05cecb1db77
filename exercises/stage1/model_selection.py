"""Model selection from scratch: K-fold and stratified K-fold splits, a train/test split,
and cross-validation (NumPy only).

Write four functions:

1. `kfold_indices(n_samples, n_splits)`: split the rows 0..n_samples-1, in order and
   without shuffling, into n_splits consecutive test folds. Folds differ in size by at
   most one row: the first n_samples % n_splits folds get one extra row. Return a list
   of (train_idx, test_idx) pairs, one per fold, each an int array sorted ascending; the
   training rows are all the rows not in the test fold.

2. `stratified_kfold(y, n_splits)`: the same, but every test fold keeps each class's share
   of the rows, as scikit-learn's StratifiedKFold (no shuffling) does:
   - number the classes in the order they first appear in y;
   - sort the rows' class numbers and deal that sorted list out to the folds like cards,
     position j going to fold j % n_splits; this says how many rows of each class each
     fold receives;
   - then, class by class, hand its rows (in their original order) to fold 0 until fold 0
     has its share of that class, then to fold 1, and so on.
   Raise ValueError if n_splits is larger than the number of rows of every class.

3. `train_test_split(X, y, test_size=0.25, stratify=None, random_state=None)`: shuffle the
   rows and hold out n_test = ceil(test_size * n) of them for testing; test_size is the
   share of rows to hold out, a float between 0 and 1, and ceil rounds up (13 rows with
   test_size=0.25 give 4 test rows, not 3). Return (X_train, X_test, y_train, y_test),
   rows of X still paired with their y. The same random_state gives the same split;
   different ones give different splits, with or without stratify. With stratify (an
   array of class labels, usually y) each class's number of test rows is as close as it
   can be to its share of the n_test test rows, n_test * (rows of that class) / n, never
   off by one row or more, and they still add up to n_test.

4. `cross_val_score(make_model, X, y, cv=5)`: for each (train, test) pair of
   kfold_indices(len(X), cv), build a fresh model with make_model(), fit it on the
   training rows only (model.fit(X[train], y[train])), and record
   model.score(X[test], y[test]) on the test rows. Return the cv scores as an array of
   shape (cv,).

The grader compares your folds with scikit-learn's KFold and StratifiedKFold index by
index, checks that every row is tested exactly once, and watches which rows your
cross-validation fits and scores on. Every grading includes row counts that n_splits
does not divide, classes rarer than n_splits, a single class, and calls that rely on the
defaults. You may not import scikit-learn, SciPy or PyTorch.
"""

import numpy as np


def kfold_indices(n_samples, n_splits):
    """List of n_splits pairs (train_idx, test_idx) of sorted int64 arrays; test folds are consecutive rows."""
    raise NotImplementedError("TODO: fold sizes, then consecutive slices of 0..n_samples-1")


def stratified_kfold(y, n_splits):
    """List of n_splits pairs (train_idx, test_idx) of sorted int64 arrays for labels y (n,), classes balanced."""
    raise NotImplementedError("TODO: how many rows of each class per fold, then hand them out in order")


def train_test_split(X, y, test_size=0.25, stratify=None, random_state=None):
    """(X_train, X_test, y_train, y_test) for X (n, p) and y (n,): shuffled, ceil(test_size * n) test rows."""
    raise NotImplementedError("TODO: a seeded permutation of the rows, then cut it")


def cross_val_score(make_model, X, y, cv=5):
    """Scores (cv,) float64: make_model() fitted on each training fold of X (n, p), y (n,), scored on its test fold."""
    raise NotImplementedError("TODO: one fresh model per fold of kfold_indices")
