"""Reference solution for stage1/pca: principal components from the covariance's
eigendecomposition and from the SVD of the centred data, and reconstruction (NumPy only).

Hidden from the learner.
"""

import numpy as np


def pca_eig(X, k):
    """Top-k eigenvectors of the covariance matrix (rows), their eigenvalues, and the mean."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)  # (p,)
    centred = X - mean
    covariance = centred.T @ centred / (len(X) - 1)  # (p, p)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending, vectors in columns
    top = np.argsort(eigenvalues)[::-1][:k]
    return eigenvectors[:, top].T.copy(), eigenvalues[top].copy(), mean


def pca_svd(X, k):
    """Top-k right singular vectors of the centred data, squared singular values / (n - 1), the mean."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)  # (p,)
    _, singular_values, Vt = np.linalg.svd(X - mean, full_matrices=False)  # descending
    return Vt[:k].copy(), singular_values[:k] ** 2 / (len(X) - 1), mean


def reconstruct(X, components, mean):
    """mean + projection of (X - mean) onto the span of the components' rows."""
    X = np.asarray(X, dtype=np.float64)
    codes = (X - mean) @ components.T  # (n, k) coordinates along each component
    return codes @ components + mean  # (n, p)
