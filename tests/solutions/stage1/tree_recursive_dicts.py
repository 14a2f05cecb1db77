"""A correct CART the way a learner following a lecture writes it: impurities from
collections.Counter, a best_split that tries every midpoint in plain Python loops, nodes
as nested dicts grown by a recursive function, features drawn with rng.permutation."""

import math
from collections import Counter

import numpy as np


def gini(y):
    n = len(y)
    return 1.0 - sum((count / n) ** 2 for count in Counter(np.asarray(y).tolist()).values())


def entropy(y):
    n = len(y)
    return -sum(count / n * math.log2(count / n) for count in Counter(np.asarray(y).tolist()).values())


def variance(y):
    mean = sum(y) / len(y)
    return sum((v - mean) ** 2 for v in y) / len(y)


IMPURITIES = {"gini": gini, "entropy": entropy, "squared_error": variance}


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    impurity = IMPURITIES[criterion]
    n, p = X.shape
    best_score, best = float("inf"), None
    for j in range(p):
        values = sorted(set(X[:, j].tolist()))
        for i in range(len(values) - 1):
            threshold = (values[i] + values[i + 1]) / 2
            if threshold == values[i + 1]:  # the midpoint rounded up onto the larger value
                threshold = values[i]
            left = [k for k in range(n) if X[k, j] <= threshold]
            right = [k for k in range(n) if X[k, j] > threshold]
            if len(left) < min_samples_leaf or len(right) < min_samples_leaf:
                continue
            score = (len(left) * impurity(y[left]) + len(right) * impurity(y[right])) / n
            if score < best_score - 1e-12:
                best_score, best = score, (j, threshold)
    return best


class _Tree:
    def _grow(self, X, y, depth):
        node = {"value": self._leaf_value(y), "depth": depth}
        self.depth_ = max(self.depth_, depth)
        if (self.max_depth is not None and depth >= self.max_depth) or len(y) < self.min_samples_split \
                or IMPURITIES[self._criterion](y) == 0:
            return self._leaf(node)
        columns = list(range(X.shape[1]))
        k = getattr(self, "max_features", None)
        if k is not None and k < X.shape[1]:
            columns = sorted(self.rng_.permutation(X.shape[1])[:k].tolist())
        split = best_split(X[:, columns], y, self._criterion, self.min_samples_leaf)
        if split is None:
            return self._leaf(node)
        feature, threshold = columns[split[0]], split[1]
        mask = X[:, feature] <= threshold
        node["feature"], node["threshold"] = feature, threshold
        node["left"] = self._grow(X[mask], y[mask], depth + 1)
        node["right"] = self._grow(X[~mask], y[~mask], depth + 1)
        return node

    def _leaf(self, node):
        node["leaf"] = self.n_leaves_
        self.n_leaves_ += 1
        return node

    def _fit(self, X, y):
        self.rng_ = np.random.default_rng(getattr(self, "random_state", None))
        self.depth_, self.n_leaves_ = 0, 0
        self.root_ = self._grow(np.asarray(X, dtype=float), np.asarray(y), 0)
        return self

    def _find(self, x):
        node = self.root_
        while "leaf" not in node:
            node = node["left"] if x[node["feature"]] <= node["threshold"] else node["right"]
        return node

    def apply(self, X):
        return np.array([self._find(x)["leaf"] for x in X])

    def get_depth(self):
        return self.depth_

    def get_n_leaves(self):
        return self.n_leaves_


class DecisionTreeClassifier(_Tree):
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
        return self._fit(X, y)

    def _leaf_value(self, y):
        counts = Counter(np.asarray(y).tolist())
        return np.array([counts[c] / len(y) for c in self.classes_.tolist()])

    def predict_proba(self, X):
        return np.array([self._find(x)["value"] for x in X])

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class DecisionTreeRegressor(_Tree):
    def __init__(self, max_depth=None, min_samples_split=2, min_samples_leaf=1):
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X, y):
        self._criterion = "squared_error"
        return self._fit(X, y)

    def _leaf_value(self, y):
        return float(np.mean(y))

    def predict(self, X):
        return np.array([self._find(x)["value"] for x in X])
