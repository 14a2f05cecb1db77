"""A correct k-means the way a learner following a lecture writes it: a Python loop over
the rows that keeps the nearest centre seen so far (strict <, so the first of equal
distances wins), centres recomputed cluster by cluster, and k-means++ from a list of
squared distances and rng.choice."""

import numpy as np


def closest_centre(x, centres):
    best, best_d = 0, np.inf
    for j, c in enumerate(centres):
        d = np.sum((x - c) ** 2)
        if d < best_d:
            best, best_d = j, d
    return best, best_d


def assign(X, centres):
    labels = np.zeros(len(X), dtype=np.int64)
    total = 0.0
    for i, x in enumerate(X):
        labels[i], d = closest_centre(x, centres)
        total += d
    return labels, total


def kmeans(X, k, init, max_iter=300, tol=1e-4):
    centres = np.array(init, dtype=float)
    tolerance = tol * np.mean(np.var(X, axis=0))
    history = []
    old_labels = None
    for it in range(max_iter):
        labels, inertia = assign(X, centres)
        history.append(inertia)
        new_centres = centres.copy()
        for j in range(k):
            members = X[labels == j]
            if len(members) > 0:
                new_centres[j] = members.mean(axis=0)
        moved = np.sum((new_centres - centres) ** 2)
        centres = new_centres
        if old_labels is not None and np.all(labels == old_labels):
            break
        if moved <= tolerance:
            break
        old_labels = labels
    labels, inertia = assign(X, centres)
    return centres, labels, inertia, history


def kmeans_plus_plus(X, k, rng):
    n = len(X)
    picked = [rng.integers(n)]
    for _ in range(k - 1):
        d2 = np.array([min(np.sum((x - X[j]) ** 2) for j in picked) for x in X])
        picked.append(rng.choice(n, p=d2 / d2.sum()))
    return np.array([X[j] for j in picked])
