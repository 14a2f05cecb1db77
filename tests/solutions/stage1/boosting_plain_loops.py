"""A correct boosting module the way a learner following a lecture writes it: its own small
regression tree (dict nodes, every midpoint tried in a loop, squared error from np.var),
staged_predict as a generator, the classifier's Newton step computed leaf by leaf."""

import numpy as np


def build_tree(X, r, depth, max_depth):
    if depth == max_depth or len(r) < 2 or np.all(r == r[0]):
        return {"value": float(np.mean(r)), "rows": None}
    best = None
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for a, b in zip(values[:-1], values[1:]):
            t = (a + b) / 2
            if t == b:  # no float between a and b: the midpoint rounded up onto b
                t = a
            left = X[:, j] <= t
            cost = np.var(r[left]) * left.sum() + np.var(r[~left]) * (~left).sum()
            if best is None or cost < best[0] - 1e-12:
                best = (cost, j, t)
    if best is None:
        return {"value": float(np.mean(r)), "rows": None}
    _, j, t = best
    left = X[:, j] <= t
    return {"feature": j, "threshold": t,
            "left": build_tree(X[left], r[left], depth + 1, max_depth),
            "right": build_tree(X[~left], r[~left], depth + 1, max_depth)}


def find_leaf(node, x):
    while "value" not in node:
        node = node["left"] if x[node["feature"]] <= node["threshold"] else node["right"]
    return node


def tree_predict(node, X):
    return np.array([find_leaf(node, x)["value"] for x in X])


class GradientBoostingRegressor:
    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        self.init_ = float(np.mean(y))
        F = np.full(len(y), self.init_)
        self.estimators_ = []
        for _ in range(self.n_estimators):
            tree = build_tree(X, y - F, 0, self.max_depth)
            F = F + self.learning_rate * tree_predict(tree, X)
            self.estimators_.append(tree)
        return self

    def staged_predict(self, X):
        F = np.full(len(X), self.init_)
        for tree in self.estimators_:
            F = F + self.learning_rate * tree_predict(tree, X)
            yield F

    def predict(self, X):
        return list(self.staged_predict(X))[-1]


class GradientBoostingClassifier:
    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        t = (y == self.classes_[1]).astype(float)
        p = t.mean()
        self.init_ = np.log(p / (1 - p))
        F = np.full(len(t), self.init_)
        self.estimators_ = []
        for _ in range(self.n_estimators):
            prob = 1 / (1 + np.exp(-F))
            residual = t - prob
            tree = build_tree(X, residual, 0, self.max_depth)
            leaves = [find_leaf(tree, x) for x in X]
            for leaf in {id(leaf): leaf for leaf in leaves}.values():
                rows = np.array([other is leaf for other in leaves])
                denominator = np.sum(prob[rows] * (1 - prob[rows]))
                leaf["value"] = np.sum(residual[rows]) / denominator if denominator > 0 else 0.0
            F = F + self.learning_rate * tree_predict(tree, X)
            self.estimators_.append(tree)
        return self

    def decision_function(self, X):
        F = np.full(len(X), self.init_)
        for tree in self.estimators_:
            F = F + self.learning_rate * tree_predict(tree, X)
        return F

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])
