"""A correct PCA the way a learner following a lecture writes it: X_centered and np.cov,
eigh reversed with [::-1], the SVD with full matrices, explained variance as S**2 / (n - 1),
and reconstruction one row at a time as a sum over the components."""

import numpy as np


def pca_eig(X, k):
    X_mean = np.mean(X, axis=0)
    X_centered = X - X_mean
    cov = np.atleast_2d(np.cov(X_centered, rowvar=False))
    eigvals, eigvecs = np.linalg.eigh(cov)
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    return eigvecs[:, :k].T, eigvals[:k], X_mean


def pca_svd(X, k):
    n = X.shape[0]
    X_mean = np.mean(X, axis=0)
    U, S, Vt = np.linalg.svd(X - X_mean)
    return Vt[:k], S[:k] ** 2 / (n - 1), X_mean


def reconstruct(X, components, mean):
    X_hat = np.zeros(np.shape(X))
    for i, x in enumerate(np.asarray(X, dtype=float)):
        row = np.array(mean, dtype=float)
        for c in components:
            row = row + np.dot(x - mean, c) * c
        X_hat[i] = row
    return X_hat
