"""k-nearest neighbours from scratch, with scikit-learn's estimator API (NumPy only).

A k-NN model does no work in fit: it remembers the training rows. To predict for a new
row it finds the k training rows closest to it (Euclidean distance, computed against
every training row: "brute force") and lets them decide:

- `KNNClassifier(k)`: the most common label among the k neighbours. predict_proba gives,
  for each class in `classes_` (the distinct training labels, sorted), the share of the
  k neighbours that carry it. When two labels are equally common, either may be predicted.
- `KNNRegressor(k)`: the mean of the k neighbours' targets.

Both have `kneighbors(X)`, which returns the distances and the indices (into the training
rows) of the k nearest rows, nearest first, like scikit-learn's `KNeighborsClassifier`.
When several training rows are at the same distance, any of them may be returned. A query
row equal to a training row is at distance 0 from it, so that row is its first neighbour:
if you compute distances as ||a||^2 + ||b||^2 - 2 a.b, rounding can take that 0 slightly
below zero, so clip at 0 before the square root (a distance is never NaN).

The grader compares you with scikit-learn's brute-force neighbours on data where no two
distances are equal (grid data, and Gaussian data whose query rows include copies of
training rows), checks that k = n gives the majority label and the mean target, and checks
ties separately. You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


class KNNClassifier:
    """Majority vote of the k nearest training rows; labels may be any integers."""

    def __init__(self, k=5):
        """Store k, the number of neighbours; nothing is computed until fit."""
        self.k = k

    def fit(self, X, y):
        """Remember X (n, p) float64 and y (n,) int; set classes_ (sorted distinct labels); return self."""
        raise NotImplementedError("TODO: remember the training data and the sorted labels")

    def kneighbors(self, X):
        """For X (m, p): distances (m, k) float64 and indices (m, k) int of the nearest training rows, nearest first."""
        raise NotImplementedError("TODO: distances to every training row, then the k smallest")

    def predict_proba(self, X):
        """Share of the k neighbours in each class: (m, n_classes) float64, columns in classes_ order."""
        raise NotImplementedError("TODO: count the neighbours' labels, divide by k")

    def predict(self, X):
        """The most common label among the k neighbours of each row: (m,), values from classes_."""
        raise NotImplementedError("TODO: the label with the most votes")


class KNNRegressor:
    """Mean target of the k nearest training rows."""

    def __init__(self, k=5):
        """Store k, the number of neighbours; nothing is computed until fit."""
        self.k = k

    def fit(self, X, y):
        """Remember X (n, p) float64 and y (n,) float64; return self."""
        raise NotImplementedError("TODO: remember the training data")

    def kneighbors(self, X):
        """For X (m, p): distances (m, k) float64 and indices (m, k) int of the nearest training rows, nearest first."""
        raise NotImplementedError("TODO: distances to every training row, then the k smallest")

    def predict(self, X):
        """Mean of the k neighbours' targets for each row of X (m, p): (m,) float64."""
        raise NotImplementedError("TODO: average the neighbours' targets")
