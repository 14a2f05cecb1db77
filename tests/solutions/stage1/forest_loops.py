"""A correct forest the way a learner typing along with a lecture writes it: max_features
resolved with math, bootstrap indices from rng.choice, seeds drawn one per tree as it is
grown, probabilities added class by class in a loop."""

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

    def _n_features(self, n_features):
        if self.max_features == "sqrt":
            return max(1, math.floor(math.sqrt(n_features)))
        if self.max_features == "log2":
            return max(1, math.floor(math.log2(n_features)))
        if self.max_features is None:
            return n_features
        if isinstance(self.max_features, float):
            return max(1, math.floor(self.max_features * n_features))
        return self.max_features

    def fit(self, X, y):
        n_samples, n_features = X.shape
        rng = np.random.default_rng(self.random_state)
        self.classes_ = np.unique(y)
        self.estimators_ = []
        self.estimators_samples_ = []
        for _ in range(self.n_estimators):
            if self.bootstrap:
                idxs = rng.choice(n_samples, n_samples, replace=True)
            else:
                idxs = np.arange(n_samples)
            seed = int(rng.integers(0, 2**31 - 1))
            tree = DecisionTreeClassifier(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                                          max_features=self._n_features(n_features), random_state=seed)
            tree.fit(X[idxs], y[idxs])
            self.estimators_.append(tree)
            self.estimators_samples_.append(idxs)
        return self

    def predict_proba(self, X):
        proba = np.zeros((X.shape[0], len(self.classes_)))
        for tree in self.estimators_:
            tree_proba = tree.predict_proba(X)
            for j, label in enumerate(tree.classes_):
                column = int(np.where(self.classes_ == label)[0][0])
                proba[:, column] += tree_proba[:, j]
        return proba / len(self.estimators_)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
