"""A correct forest written unlike the reference: rng.choice for the bootstrap, seeds drawn
as a block up front, probabilities gathered per class label in a dict."""

import math

import numpy as np

from stage1.tree import DecisionTreeClassifier


class RandomForestClassifier:
    def __init__(self, n_estimators=10, max_features="sqrt", bootstrap=True, random_state=None,
                 max_depth=None, min_samples_leaf=1):
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf

    def _k(self, p):
        m = self.max_features
        if m is None:
            return p
        if isinstance(m, str):
            return max(1, int(math.sqrt(p) if m == "sqrt" else math.log2(p)))
        return max(1, int(m * p)) if isinstance(m, float) else m

    def fit(self, X, y):
        n, p = X.shape
        rng = np.random.default_rng(self.random_state)
        seeds = rng.integers(0, 10**9, size=self.n_estimators)
        self.classes_ = np.array(sorted(set(np.asarray(y).tolist())))
        self.estimators_, self.estimators_samples_ = [], []
        for seed in seeds:
            rows = rng.choice(n, size=n, replace=True) if self.bootstrap else np.arange(n)
            tree = DecisionTreeClassifier(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                                          max_features=self._k(p), random_state=int(seed))
            self.estimators_.append(tree.fit(X[rows], y[rows]))
            self.estimators_samples_.append(rows)
        return self

    def predict_proba(self, X):
        sums = {c: np.zeros(len(X)) for c in self.classes_.tolist()}
        for tree in self.estimators_:
            proba = tree.predict_proba(X)
            for j, c in enumerate(tree.classes_.tolist()):
                sums[c] += proba[:, j]
        return np.column_stack([sums[c] for c in self.classes_.tolist()]) / len(self.estimators_)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
