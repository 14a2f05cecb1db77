"""A correct stage1/kmeans written unlike the reference: distances by the expansion
|x|^2 - 2 x.c + |c|^2, bincount-based means, convergence tested on the shift only, and
k-means++ by inverse-CDF sampling with rng.random()."""

import numpy as np


def _d2(X, C):
    return np.maximum((X**2).sum(1)[:, None] - 2 * X @ C.T + (C**2).sum(1)[None, :], 0.0)


def kmeans(X, k, init, max_iter=300, tol=1e-4):
    X = np.asarray(X, dtype=float)
    C = np.asarray(init, dtype=float).copy()
    tol = tol * X.var(axis=0).mean()
    history = []
    for _ in range(max_iter):
        D = _d2(X, C)
        labels = D.argmin(axis=1)
        history.append(float(D[np.arange(len(X)), labels].sum()))
        counts = np.bincount(labels, minlength=k).astype(float)
        new = C.copy()
        for j in range(X.shape[1]):
            sums = np.bincount(labels, weights=X[:, j], minlength=k)
            new[:, j] = np.where(counts > 0, sums / np.maximum(counts, 1), C[:, j])
        shift = ((new - C) ** 2).sum()
        C = new
        if shift <= tol:
            break
    D = _d2(X, C)
    labels = D.argmin(axis=1)
    return C, labels, float(D[np.arange(len(X)), labels].sum()), history


def kmeans_plus_plus(X, k, rng):
    X = np.asarray(X, dtype=float)
    idx = [rng.integers(0, len(X))]
    for _ in range(k - 1):
        d2 = _d2(X, X[idx]).min(axis=1)
        cdf = np.cumsum(d2)
        idx.append(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")))
    return X[idx]
