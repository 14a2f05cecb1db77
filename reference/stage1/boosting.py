"""Gradient boosting: a sum of small regression trees, each fitted to what is left to explain.

This module carries its own small regression tree (squared error, limited depth), so it
does not depend on stage1/tree.
"""

import numpy as np


def _best_split(X, r):
    """(feature, threshold) with the least total squared error of the two children, or None."""
    n, p = X.shape
    best, best_sse = None, np.inf
    for feature in range(p):
        order = np.argsort(X[:, feature], kind="stable")
        xs, rs = X[order, feature], r[order] - r.mean()  # centring keeps the sums accurate
        n_left = np.arange(1, n)
        s, s2 = np.cumsum(rs)[:-1], np.cumsum(rs**2)[:-1]
        # SSE of a side = sum(r^2) - (sum r)^2 / count
        sse = (s2 - s**2 / n_left) + ((s2[-1] + rs[-1] ** 2 - s2) - (-s) ** 2 / (n - n_left)) if n > 1 else np.array([])
        sse = np.where(xs[1:] > xs[:-1], sse, np.inf)
        if sse.size and sse.min() < best_sse:
            i = int(np.argmin(sse))
            threshold = xs[i] / 2.0 + xs[i + 1] / 2.0
            if threshold == xs[i + 1]:  # neighbouring floats: the midpoint rounded onto the larger one
                threshold = xs[i]
            best_sse, best = sse[i], (feature, threshold)
    return best


class RegressionTree:
    """A depth-limited regression tree; leaves predict the mean of their rows."""

    def __init__(self, max_depth=3):
        """Store the depth limit."""
        self.max_depth = max_depth

    def fit(self, X, r):
        """Grow the tree on X (n, p) and targets r (n,); return self."""
        self.root_ = self._grow(X, r, 0)
        return self

    def _grow(self, X, r, depth):
        split = None
        if depth < self.max_depth and len(r) >= 2 and np.ptp(r) > 0:
            split = _best_split(X, r)
        if split is None:
            return {"leaf": float(np.mean(r)), "rows": len(r)}
        feature, threshold = split
        left = X[:, feature] <= threshold
        return {"feature": feature, "threshold": threshold,
                "left": self._grow(X[left], r[left], depth + 1),
                "right": self._grow(X[~left], r[~left], depth + 1)}

    def leaf_index(self, X):
        """For each row of X (m, p), the leaf (a dict) it falls in."""
        out = []
        for x in X:
            node = self.root_
            while "leaf" not in node:
                node = node["left"] if x[node["feature"]] <= node["threshold"] else node["right"]
            out.append(node)
        return out

    def predict(self, X):
        """Leaf values (m,) for the rows of X (m, p)."""
        return np.array([node["leaf"] for node in self.leaf_index(X)])


class GradientBoostingRegressor:
    """Squared-error boosting: start from mean(y), then add learning_rate * tree(residuals) per stage."""

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        """Store the hyperparameters; nothing is computed until fit."""
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        """Fit n_estimators trees on X (n, p) float64, y (n,) float64; return self."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.init_ = float(np.mean(y))
        F = np.full(len(y), self.init_)  # (n,) current predictions
        self.estimators_ = []
        for _ in range(self.n_estimators):
            residual = y - F  # the negative gradient of (y - F)^2 / 2
            tree = RegressionTree(self.max_depth).fit(X, residual)
            F = F + self.learning_rate * tree.predict(X)
            self.estimators_.append(tree)
        return self

    def staged_predict(self, X):
        """Predictions after each stage: yields n_estimators arrays of shape (m,)."""
        F = np.full(len(X), self.init_)
        for tree in self.estimators_:
            F = F + self.learning_rate * tree.predict(np.asarray(X, dtype=np.float64))
            yield F.copy()

    def predict(self, X):
        """Predictions (m,) of the full model."""
        F = np.full(len(X), self.init_)
        for F in self.staged_predict(X):
            pass
        return F


def _sigmoid(z):
    """1 / (1 + exp(-z)) without overflow for large |z|."""
    return np.exp(-np.logaddexp(0.0, -z))


class GradientBoostingClassifier:
    """Binary log-loss boosting on the log-odds, with a Newton step in each leaf (like scikit-learn)."""

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        """Store the hyperparameters; nothing is computed until fit."""
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        """Fit on X (n, p) float64 and two-valued labels y (n,); set classes_; return self."""
        X = np.asarray(X, dtype=np.float64)
        self.classes_ = np.unique(y)
        t = (np.asarray(y) == self.classes_[1]).astype(np.float64)  # (n,) 0/1 targets
        prior = np.clip(t.mean(), 1e-12, 1 - 1e-12)
        self.init_ = float(np.log(prior / (1 - prior)))
        F = np.full(len(t), self.init_)  # (n,) log-odds
        self.estimators_ = []
        for _ in range(self.n_estimators):
            p = _sigmoid(F)
            residual = t - p  # the negative gradient of the log-loss in F
            tree = RegressionTree(self.max_depth).fit(X, residual)
            leaves = tree.leaf_index(X)
            # Newton step per leaf: sum(residual) / sum(p (1 - p)) over the leaf's rows.
            for leaf in {id(node): node for node in leaves}.values():
                rows = np.array([node is leaf for node in leaves])
                hessian = np.sum(p[rows] * (1 - p[rows]))
                leaf["leaf"] = float(np.sum(residual[rows]) / hessian) if hessian > 1e-150 else 0.0
            F = F + self.learning_rate * tree.predict(X)
            self.estimators_.append(tree)
        return self

    def decision_function(self, X):
        """Log-odds of classes_[1] for each row of X (m, p): (m,)."""
        X = np.asarray(X, dtype=np.float64)
        F = np.full(len(X), self.init_)
        for tree in self.estimators_:
            F = F + self.learning_rate * tree.predict(X)
        return F

    def predict_proba(self, X):
        """Probabilities (m, 2) of classes_[0] and classes_[1]."""
        p1 = _sigmoid(self.decision_function(X))
        return np.column_stack([1 - p1, p1])

    def predict(self, X):
        """The likelier label for each row: (m,)."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
