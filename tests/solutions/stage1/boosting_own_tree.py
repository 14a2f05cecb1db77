"""A correct boosting module written unlike the reference: it grows the learner's own
stage1/tree DecisionTreeRegressor, staged_predict returns a list, and the classifier's
leaves get their Newton step through apply()."""

import numpy as np

from stage1.tree import DecisionTreeRegressor


class GradientBoostingRegressor:
    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        self.init_ = y.mean()
        pred = np.full(y.shape, self.init_)
        self.estimators_ = []
        for _ in range(self.n_estimators):
            tree = DecisionTreeRegressor(max_depth=self.max_depth).fit(X, y - pred)
            pred += self.learning_rate * tree.predict(X)
            self.estimators_.append(tree)
        return self

    def staged_predict(self, X):
        out, pred = [], np.full(len(X), self.init_)
        for tree in self.estimators_:
            pred = pred + self.learning_rate * tree.predict(X)
            out.append(pred)
        return out

    def predict(self, X):
        return self.staged_predict(X)[-1]


class GradientBoostingClassifier:
    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        t = (y == self.classes_[1]).astype(float)
        self.init_ = np.log(t.mean() / (1 - t.mean()))
        F = np.full(len(t), self.init_)
        self.stages_ = []
        for _ in range(self.n_estimators):
            p = 1 / (1 + np.exp(-F))
            tree = DecisionTreeRegressor(max_depth=self.max_depth).fit(X, t - p)
            leaf = tree.apply(X)
            values = {}
            for i in np.unique(leaf):
                rows = leaf == i
                den = np.sum(p[rows] * (1 - p[rows]))
                values[i] = np.sum((t - p)[rows]) / den if den > 0 else 0.0
            F = F + self.learning_rate * np.array([values[i] for i in leaf])
            self.stages_.append((tree, values))
        return self

    def decision_function(self, X):
        F = np.full(len(X), self.init_)
        for tree, values in self.stages_:
            F = F + self.learning_rate * np.array([values[i] for i in tree.apply(X)])
        return F

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X):
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])
