"""Principal component analysis from scratch, two ways, and reconstruction (NumPy only).

Write three functions:

1. `pca_eig(X, k)`: centre X (subtract each column's mean), form the covariance matrix
   of the features (divide by n - 1), take its eigendecomposition and keep the k
   eigenvectors with the largest eigenvalues, largest first.
2. `pca_svd(X, k)`: the same principal components from the singular value decomposition
   of the centred X, without forming the covariance matrix.
3. `reconstruct(X, components, mean)`: project the rows of X onto the components and map
   them back into feature space: the best approximation of X that the k components allow.
   X may be new rows (even a single row) that the PCA was never fitted on: centre them
   with the mean you are given, not with their own mean.

Both pca functions return (components, explained_variance, mean):
- components (k, p): one unit-length principal direction per row, orthogonal to each
  other, sorted by decreasing variance. A direction and its negative describe the same
  axis, so either sign is accepted.
- explained_variance (k,): the variance of the data along each component (the
  eigenvalues of the covariance matrix, with the n - 1 divisor).
- mean (p,): the column means that were subtracted.
These match scikit-learn's PCA(n_components=k): components_, explained_variance_ and
mean_.

The grader compares both functions with scikit-learn on generated data whose variances are
well separated (k = 1, k = p and in between), checks that the reconstruction error equals the
variance left in the discarded components, reconstructs new rows, and runs your PCA on
scikit-learn's handwritten digits (1797 images of 8 x 8 pixels). You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def pca_eig(X, k):
    """(components (k, p), explained_variance (k,), mean (p,)) float64 for X (n, p), via the covariance's eigenvectors."""
    raise NotImplementedError("TODO: centre, covariance, eigh, sort largest first, keep k")


def pca_svd(X, k):
    """(components (k, p), explained_variance (k,), mean (p,)) float64 for X (n, p), via the SVD of centred X."""
    raise NotImplementedError("TODO: centre, SVD, rows of Vt, squared singular values / (n - 1)")


def reconstruct(X, components, mean):
    """X_hat (n, p) float64: the rows of X (n, p) projected onto components (k, p) around mean (p,) and mapped back."""
    raise NotImplementedError("TODO: centre, project onto the components, map back, add the mean")
