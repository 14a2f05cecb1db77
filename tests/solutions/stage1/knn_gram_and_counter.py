"""A correct k-NN written unlike the reference: the Gram-matrix distance trick, Python loops
and collections.Counter for the vote, one class doing both jobs through a flag."""

from collections import Counter

import numpy as np


def _distances(A, B):
    sq = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2.0 * A @ B.T
    return np.sqrt(np.maximum(sq, 0.0))


class _KNN:
    regression = False

    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y):
        self.X_train = np.array(X, dtype=float)
        self.y_train = np.array(y)
        if not self.regression:
            self.classes_ = np.array(sorted(set(self.y_train.tolist())))
        return self

    def kneighbors(self, X):
        d = _distances(np.asarray(X, dtype=float), self.X_train)
        dist, ind = [], []
        for row in d:
            nearest = sorted(range(len(row)), key=lambda j: (row[j], j))[: self.k]
            ind.append(nearest)
            dist.append([row[j] for j in nearest])
        return np.array(dist), np.array(ind)

    def _votes(self, X):
        _, ind = self.kneighbors(X)
        return [Counter(self.y_train[row].tolist()) for row in ind]

    def predict_proba(self, X):
        return np.array([[votes[c] / self.k for c in self.classes_.tolist()] for votes in self._votes(X)])

    def predict(self, X):
        if self.regression:
            _, ind = self.kneighbors(X)
            return np.array([float(np.mean(self.y_train[row])) for row in ind])
        return np.array([votes.most_common(1)[0][0] for votes in self._votes(X)])


class KNNClassifier(_KNN):
    regression = False


class KNNRegressor(_KNN):
    regression = True
