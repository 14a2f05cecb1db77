"""A random forest from scratch, built from YOUR decision tree (NumPy only).

A forest grows many trees that disagree a little and averages them: each tree is fitted
on a bootstrap sample (n rows drawn from the n training rows with replacement, so some
rows appear twice and about a third not at all), and at every node it may only choose
among max_features features drawn at random. Averaging many such noisy trees keeps their
accuracy and cancels much of their variance.

`RandomForestClassifier(n_estimators, max_features, bootstrap, random_state, max_depth,
min_samples_leaf)`:
- fit(X, y): make one generator, rng = np.random.default_rng(random_state). For each of the
  n_estimators trees, draw the rows (bootstrap=True: n indices with replacement;
  bootstrap=False: all rows once), then fit
  DecisionTreeClassifier(max_depth=..., min_samples_leaf=..., max_features=k, random_state=<a seed drawn from rng>)
  on those rows. k comes from max_features: "sqrt" -> int(sqrt(p)), "log2" -> int(log2(p))
  (at least 1 for both), an int -> itself, a float f -> int(f * p) (at least 1), None -> p.
  Keep classes_ (sorted labels), estimators_ (the fitted trees, in order) and
  estimators_samples_ (for each tree, the (n,) array of row indices it was fitted on).
- predict_proba(X): the average of the trees' predict_proba, each placed in the forest's
  classes_ columns (a bootstrap sample can miss a class, so a tree may know fewer).
- predict(X): the class with the largest average probability.

The trees are yours: the import below loads stage1/tree.py from your workspace, and it
needs max_features and random_state there. The grader checks that the same random_state
gives the same forest, the bootstrap and feature-sampling sizes (max_features in every form,
rounded down), that every tree keeps to max_depth and min_samples_leaf, that predict_proba
is exactly the mean of the trees' own predict_proba (also when a tree never saw a class),
held-out accuracy within 2 points of scikit-learn's RandomForestClassifier on fixed
problems, and that a forest varies less than a single tree. You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np

try:
    from stage1.tree import DecisionTreeClassifier  # your own tree, from stage1/tree.py
except ModuleNotFoundError as exc:  # the workspace has no stage1/tree.py
    raise ImportError("stage1/forest is built from your own decision tree: write stage1/tree.py first "
                      "(`grade stage1/tree`), then come back") from exc


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
        """Grow the trees on X (n, p) float64 and labels y (n,) int; set classes_, estimators_, estimators_samples_; return self."""
        raise NotImplementedError("TODO: one bootstrap sample and one seeded tree per estimator")

    def predict_proba(self, X):
        """Average class probabilities of the trees: (m, n_classes) float64, columns in classes_ order."""
        raise NotImplementedError("TODO: average the trees' predict_proba")

    def predict(self, X):
        """The class with the largest average probability for each row of X (m, p): (m,)."""
        raise NotImplementedError("TODO: argmax of predict_proba, as labels")
