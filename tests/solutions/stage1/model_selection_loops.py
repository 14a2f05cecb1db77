"""A correct stage1/model_selection written unlike the reference: generators of folds, plain
loops for the stratified allocation, np.random.RandomState, and a remainder-first
stratified split."""

import math

import numpy as np


def kfold_indices(n_samples, n_splits):
    start = 0
    for k in range(n_splits):
        size = n_samples // n_splits + (1 if k < n_samples % n_splits else 0)
        test = np.arange(start, start + size)
        train = np.concatenate([np.arange(0, start), np.arange(start + size, n_samples)])
        start += size
        yield train, test


def stratified_kfold(y, n_splits):
    y = list(np.asarray(y).tolist())
    order = []
    for label in y:
        if label not in order:
            order.append(label)
    code = {label: i for i, label in enumerate(order)}
    codes = [code[label] for label in y]
    counts = [codes.count(c) for c in range(len(order))]
    if max(counts) < n_splits:
        raise ValueError("every class has fewer rows than n_splits")
    dealt = sorted(codes)
    share = [[0] * len(order) for _ in range(n_splits)]
    for position, c in enumerate(dealt):
        share[position % n_splits][c] += 1
    fold_of = [None] * len(y)
    for c in range(len(order)):
        fold, used = 0, 0
        for row, rc in enumerate(codes):
            if rc != c:
                continue
            while used == share[fold][c]:
                fold, used = fold + 1, 0
            fold_of[row] = fold
            used += 1
    folds = []
    for k in range(n_splits):
        test = np.array([r for r in range(len(y)) if fold_of[r] == k], dtype=int)
        train = np.array([r for r in range(len(y)) if fold_of[r] != k], dtype=int)
        folds.append((train, test))
    return folds


def train_test_split(X, y, test_size=0.25, stratify=None, random_state=None):
    X, y = np.asarray(X), np.asarray(y)
    n = len(y)
    n_test = int(math.ceil(test_size * n))
    rng = np.random.RandomState(random_state)
    if stratify is None:
        perm = rng.permutation(n)
        test = perm[:n_test]
    else:
        stratify = np.asarray(stratify)
        classes = np.unique(stratify)
        exact = {c: n_test * np.sum(stratify == c) / n for c in classes}
        take = {c: int(math.floor(exact[c])) for c in classes}
        left = n_test - sum(take.values())
        for c in sorted(classes, key=lambda c: exact[c] - take[c], reverse=True)[:left]:
            take[c] += 1
        test = np.concatenate([rng.choice(np.flatnonzero(stratify == c), take[c], replace=False) for c in classes])
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    return X[~mask], X[mask], y[~mask], y[mask]


def cross_val_score(make_model, X, y, cv=5):
    return np.array([make_model().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in kfold_indices(len(X), cv)])
