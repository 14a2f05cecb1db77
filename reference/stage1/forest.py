"""A random forest: trees grown on bootstrap samples, each node choosing among a random few
features, voting by averaging their class probabilities. The trees are the learner's own,
from stage1/tree.py in the same workspace."""

import numpy as np

try:
    from stage1.tree import DecisionTreeClassifier  # the learner's own tree, from stage1/tree.py
except ModuleNotFoundError as exc:  # the workspace has no stage1/tree.py
    raise ImportError("stage1/forest is built from your own decision tree: write stage1/tree.py first "
                      "(`grade stage1/tree`), then come back") from exc


def n_features_per_split(max_features, p):
    """How many features each node may choose from: "sqrt", "log2", an int, a float share, or None (all p)."""
    if max_features is None:
        return p
    if max_features == "sqrt":
        return max(1, int(np.sqrt(p)))
    if max_features == "log2":
        return max(1, int(np.log2(p)))
    if isinstance(max_features, float):
        return max(1, int(max_features * p))
    return int(max_features)


class RandomForestClassifier:
    """Bagged decision trees with per-node feature sampling; predict_proba averages the trees."""

    def __init__(self, n_estimators=10, max_features="sqrt", bootstrap=True, random_state=None,
                 max_depth=None, min_samples_leaf=1):
        """Store the hyperparameters; nothing is computed until fit."""
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X, y):
        """Grow n_estimators trees on X (n, p) float64, y (n,); return self."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        n, p = X.shape
        rng = np.random.default_rng(self.random_state)  # the only source of randomness
        k = n_features_per_split(self.max_features, p)
        self.classes_ = np.unique(y)
        self.estimators_, self.estimators_samples_ = [], []
        for _ in range(self.n_estimators):
            rows = rng.integers(0, n, size=n) if self.bootstrap else np.arange(n)  # (n,), repeats allowed
            tree = DecisionTreeClassifier(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                                          max_features=k, random_state=int(rng.integers(2**32)))
            tree.fit(X[rows], y[rows])
            self.estimators_.append(tree)
            self.estimators_samples_.append(rows)
        return self

    def predict_proba(self, X):
        """Average of the trees' class probabilities: (m, n_classes), columns in classes_ order."""
        X = np.asarray(X, dtype=np.float64)
        total = np.zeros((len(X), len(self.classes_)))
        for tree in self.estimators_:
            # A bootstrap sample may miss a class: put the tree's columns where its classes belong.
            columns = np.searchsorted(self.classes_, tree.classes_)
            total[:, columns] += tree.predict_proba(X)
        return total / len(self.estimators_)

    def predict(self, X):
        """The class with the largest average probability: (m,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
