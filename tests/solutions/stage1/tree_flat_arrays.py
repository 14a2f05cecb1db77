"""A correct CART written unlike the reference: plain loops over candidate thresholds,
nodes kept in flat lists (like scikit-learn's tree_), leaves numbered in build order."""

import math

import numpy as np


def gini(y):
    n = len(y)
    return 1.0 - sum((c / n) ** 2 for c in np.unique(y, return_counts=True)[1])


def entropy(y):
    n = len(y)
    return -sum(c / n * math.log2(c / n) for c in np.unique(y, return_counts=True)[1])


def _mse(y):
    return float(np.var(y))


def _impurity(name):
    return {"gini": gini, "entropy": entropy, "squared_error": _mse}[name]


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    imp = _impurity(criterion)
    n = len(y)
    best = None
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for a, b in zip(values, values[1:]):
            t = (a + b) / 2
            if t >= b:  # no double between a and b: a itself separates them
                t = a
            left = X[:, j] <= t
            nl = int(left.sum())
            if nl < min_samples_leaf or n - nl < min_samples_leaf:
                continue
            score = (nl * imp(y[left]) + (n - nl) * imp(y[~left])) / n
            if best is None or score < best[0] - 1e-12:
                best = (score, j, t)
    return None if best is None else (best[1], best[2])


class _FlatTree:
    def _build(self, X, y):
        self.feature, self.threshold, self.left, self.right, self.value, self.leaf_of = [], [], [], [], [], []
        self._rng = np.random.default_rng(getattr(self, "random_state", None))
        self._n_leaves, self._depth = 0, 0
        self._node(X, y, 0)
        return self

    def _node(self, X, y, depth):
        i = len(self.feature)
        for lst in (self.feature, self.threshold, self.left, self.right, self.leaf_of):
            lst.append(-1)
        self.value.append(self._value(y))
        self._depth = max(self._depth, depth)
        split = None
        deep = self.max_depth is not None and depth >= self.max_depth
        if not deep and len(y) >= max(self.min_samples_split, 2 * self.min_samples_leaf) and _impurity(self._criterion)(y) > 0:
            cols = np.arange(X.shape[1])
            k = getattr(self, "max_features", None)
            if k is not None and k < X.shape[1]:
                cols = np.sort(self._rng.permutation(X.shape[1])[:k])
            found = best_split(X[:, cols], y, self._criterion, self.min_samples_leaf)
            split = None if found is None else (int(cols[found[0]]), found[1])
        if split is None:
            self.leaf_of[i] = self._n_leaves
            self._n_leaves += 1
            return i
        self.feature[i], self.threshold[i] = split
        mask = X[:, split[0]] <= split[1]
        self.left[i] = self._node(X[mask], y[mask], depth + 1)
        self.right[i] = self._node(X[~mask], y[~mask], depth + 1)
        return i

    def _find(self, x):
        i = 0
        while self.left[i] != -1:
            i = self.left[i] if x[self.feature[i]] <= self.threshold[i] else self.right[i]
        return i

    def apply(self, X):
        return np.array([self.leaf_of[self._find(x)] for x in X])

    def get_depth(self):
        return self._depth

    def get_n_leaves(self):
        return self._n_leaves


class DecisionTreeClassifier(_FlatTree):
    def __init__(self, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 max_features=None, random_state=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y):
        self._criterion = self.criterion
        self.classes_ = np.unique(y)
        return self._build(X, y)

    def _value(self, y):
        return np.array([np.mean(y == c) for c in self.classes_])

    def predict_proba(self, X):
        return np.array([self.value[self._find(x)] for x in X])

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class DecisionTreeRegressor(_FlatTree):
    def __init__(self, max_depth=None, min_samples_split=2, min_samples_leaf=1):
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X, y):
        self._criterion = "squared_error"
        return self._build(X, y)

    def _value(self, y):
        return float(np.mean(y))

    def predict(self, X):
        return np.array([self.value[self._find(x)] for x in X])
