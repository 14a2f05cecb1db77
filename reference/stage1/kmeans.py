"""Reference solution for stage1/kmeans: Lloyd's algorithm with scikit-learn's stopping rules
and k-means++ seeding (NumPy only).

Hidden from the learner.
"""

import numpy as np


def _squared_distances(X, centres):
    """(n, k) squared Euclidean distances between rows of X (n, p) and centres (k, p)."""
    return ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


def _assign(X, centres):
    """Nearest centre of each row (n,) and the squared distance to it (n,)."""
    d2 = _squared_distances(X, centres)
    labels = np.argmin(d2, axis=1)  # first minimum: the lower-numbered centre on a tie
    return labels, d2[np.arange(len(X)), labels]


def _means(X, labels, centres):
    """Each centre moved to the mean of its rows; an empty cluster keeps its centre."""
    moved = centres.copy()
    for j in range(len(centres)):
        members = X[labels == j]
        if len(members):
            moved[j] = members.mean(axis=0)
    return moved


def kmeans(X, k, init, max_iter=300, tol=1e-4):
    """Lloyd's algorithm from `init`: (centres, labels, inertia, history)."""
    X = np.asarray(X, dtype=np.float64)
    centres = np.array(init, dtype=np.float64).reshape(k, X.shape[1])
    threshold = tol * np.mean(np.var(X, axis=0))  # tolerance in the units of X
    history, previous = [], None
    for _ in range(max_iter):
        labels, d2 = _assign(X, centres)
        history.append(float(d2.sum()))
        moved = _means(X, labels, centres)
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        if previous is not None and np.array_equal(labels, previous):
            break  # the assignment is stable: the centres are its means already
        if shift <= threshold:
            break
        previous = labels
    labels, d2 = _assign(X, centres)  # the labels of the final centres
    return centres, labels, float(d2.sum()), history


def kmeans_plus_plus(X, k, rng):
    """k rows of X picked by k-means++: uniform first, then with probability D(x)^2."""
    X = np.asarray(X, dtype=np.float64)
    chosen = [int(rng.integers(len(X)))]
    nearest = ((X - X[chosen[0]]) ** 2).sum(axis=1)  # (n,) squared distance to the nearest pick
    for _ in range(1, k):
        nxt = int(rng.choice(len(X), p=nearest / nearest.sum()))
        chosen.append(nxt)
        nearest = np.minimum(nearest, ((X - X[nxt]) ** 2).sum(axis=1))
    return X[chosen].copy()
