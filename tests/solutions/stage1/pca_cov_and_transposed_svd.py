"""A correct stage1/pca written unlike the reference: np.cov with np.linalg.eig (general
eigensolver, sorted by hand), the SVD of the transposed centred data (left singular vectors),
and reconstruction through a projection matrix."""

import numpy as np


def pca_eig(X, k):
    X = np.asarray(X, dtype=float)
    mean = np.mean(X, axis=0)
    C = np.atleast_2d(np.cov(X, rowvar=False))
    values, vectors = np.linalg.eig(C)
    values, vectors = values.real, vectors.real
    order = sorted(range(len(values)), key=lambda i: -values[i])[:k]
    comps = np.array([vectors[:, i] / np.linalg.norm(vectors[:, i]) for i in order])
    return comps, values[order], mean


def pca_svd(X, k):
    X = np.asarray(X, dtype=float)
    mean = X.sum(axis=0) / len(X)
    U, S, _ = np.linalg.svd((X - mean).T, full_matrices=False)  # columns of U = principal axes
    return U[:, :k].T, (S[:k] / np.sqrt(len(X) - 1)) ** 2, mean


def reconstruct(X, components, mean):
    P = components.T @ components  # (p, p) projector onto the span
    return (np.asarray(X, dtype=float) - mean) @ P + mean
