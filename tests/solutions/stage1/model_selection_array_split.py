"""A correct stage1/model_selection written the way a learner following a course might: np.array_split
for the folds, Python lists and dicts for the stratified allocation, Python's random module
seeded with random_state, and a plain loop for cross-validation."""

import math
import random

import numpy as np


def kfold_indices(n_samples, n_splits):
    rows = np.arange(n_samples)
    folds = []
    for test in np.array_split(rows, n_splits):
        train = np.setdiff1d(rows, test)
        folds.append((train, test))
    return folds


def stratified_kfold(y, n_splits):
    y = list(y)
    classes = list(dict.fromkeys(y))  # in order of first appearance
    counts = {c: y.count(c) for c in classes}
    if all(count < n_splits for count in counts.values()):
        raise ValueError("n_splits is larger than the number of rows of every class")
    dealt = []
    for i, c in enumerate(classes):
        dealt += [i] * counts[c]
    share = [[0] * len(classes) for _ in range(n_splits)]
    for position, i in enumerate(dealt):
        share[position % n_splits][i] += 1
    fold_of = {}
    for i, c in enumerate(classes):
        rows = [r for r, label in enumerate(y) if label == c]
        start = 0
        for fold in range(n_splits):
            for r in rows[start:start + share[fold][i]]:
                fold_of[r] = fold
            start += share[fold][i]
    folds = []
    for fold in range(n_splits):
        test = np.array(sorted(r for r in fold_of if fold_of[r] == fold), dtype=np.int64)
        train = np.array(sorted(r for r in fold_of if fold_of[r] != fold), dtype=np.int64)
        folds.append((train, test))
    return folds


def train_test_split(X, y, test_size=0.25, stratify=None, random_state=None):
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    n_test = math.ceil(test_size * n)
    rng = random.Random(random_state)
    if stratify is None:
        rows = list(range(n))
        rng.shuffle(rows)
        test = rows[:n_test]
    else:
        labels = list(stratify)
        classes = sorted(set(labels))
        ideal = {c: n_test * labels.count(c) / n for c in classes}
        take = {c: math.floor(ideal[c]) for c in classes}
        by_remainder = sorted(classes, key=lambda c: ideal[c] - take[c], reverse=True)
        for c in by_remainder[: n_test - sum(take.values())]:
            take[c] += 1
        test = []
        for c in classes:
            rows = [r for r in range(n) if labels[r] == c]
            test += rng.sample(rows, take[c])
    in_test = set(test)
    train = [r for r in range(n) if r not in in_test]
    return X[train], X[test], y[train], y[test]


def cross_val_score(make_model, X, y, cv=5):
    scores = []
    for train, test in kfold_indices(len(X), cv):
        model = make_model()
        model.fit(X[train], y[train])
        scores.append(model.score(X[test], y[test]))
    return np.array(scores)
