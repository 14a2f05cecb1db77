"""k-nearest neighbours, by brute force: Euclidean distances to every training row."""

import numpy as np


def pairwise_distances(A, B):
    """Euclidean distances (m, n) between the rows of A (m, p) and B (n, p)."""
    diff = A[:, None, :] - B[None, :, :]  # (m, n, p)
    return np.sqrt(np.sum(diff**2, axis=2))


class _Neighbours:
    """What both estimators share: remember the data, find the k nearest rows."""

    def __init__(self, k=5):
        """Store k; nothing is computed until fit."""
        self.k = k

    def fit(self, X, y):
        """Memorise X (n, p) and y (n,); return self."""
        self.X_ = np.asarray(X, dtype=np.float64)
        self.y_ = np.asarray(y)
        return self

    def kneighbors(self, X):
        """Distances (m, k) and indices (m, k) of the k nearest training rows, nearest first."""
        d = pairwise_distances(np.asarray(X, dtype=np.float64), self.X_)  # (m, n)
        # A stable sort keeps the lower index first when two distances are equal.
        idx = np.argsort(d, axis=1, kind="stable")[:, : self.k]  # (m, k)
        return np.take_along_axis(d, idx, axis=1), idx


class KNNClassifier(_Neighbours):
    """Majority vote of the k nearest training rows."""

    def fit(self, X, y):
        """Memorise the data and the sorted class labels classes_; return self."""
        super().fit(X, y)
        self.classes_ = np.unique(self.y_)
        return self

    def predict_proba(self, X):
        """Share of the k neighbours in each class: (m, n_classes), columns in classes_ order."""
        _, idx = self.kneighbors(X)
        codes = np.searchsorted(self.classes_, self.y_)[idx]  # (m, k) class positions
        counts = np.stack([np.sum(codes == c, axis=1) for c in range(len(self.classes_))], axis=1)
        return counts / self.k

    def predict(self, X):
        """The most common label among the k neighbours (m,); a tie goes to the smallest label."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class KNNRegressor(_Neighbours):
    """Mean target of the k nearest training rows."""

    def predict(self, X):
        """Mean of the k neighbours' targets (m,) float64."""
        _, idx = self.kneighbors(X)
        return np.mean(self.y_[idx].astype(np.float64), axis=1)
