"""Gradient boosting from scratch, with scikit-learn's estimator API (NumPy only).

Boosting builds a model as a sum: a constant to start with, then small regression trees
added one at a time, each fitted to what the model so far still gets wrong, and each
shrunk by learning_rate before it is added.

1. `GradientBoostingRegressor(n_estimators, learning_rate, max_depth)`, squared error:
   start from F = mean(y); then n_estimators times fit a regression tree of depth at most
   max_depth to the residuals y - F (for the squared error, the negative gradient) and
   set F = F + learning_rate * tree.predict(X). staged_predict(X) yields the predictions
   after each stage (like scikit-learn's, a generator or a list both work); predict(X)
   gives the final ones.
2. `GradientBoostingClassifier(n_estimators, learning_rate, max_depth)`, two classes,
   log-loss: F is the log-odds of classes_[1], starting from log(p / (1 - p)) with p the
   share of classes_[1] in y; each stage fits a regression tree to t - sigmoid(F) (t is 1
   for classes_[1], else 0), then resets each leaf's value to one Newton step,
   sum(t - p) / sum(p * (1 - p)) over the leaf's training rows, as scikit-learn does
   (plain leaf means of t - p learn far more slowly and fall short of the accuracy bar).

Which trees? Use your own from stage1/tree (`from stage1.tree import DecisionTreeRegressor`,
the workspace root is on the import path while grading) or write a small regression
tree in this file; the grader only calls the boosting classes. Either way: split at
midpoints, send x <= threshold left, and stop at max_depth or when a node's targets are
all equal. Two neighbouring floats have no float between them, so their midpoint rounds
onto one of them; when it lands on the larger value, use the smaller one as the threshold
(as scikit-learn does), or the larger row would go left with the smaller.

The grader compares the regressor's staged predictions with scikit-learn's
GradientBoostingRegressor (squared error), and the classifier's decision_function with
scikit-learn's GradientBoostingClassifier, to 1e-6 on data where no two splits tie (with
unbalanced classes, and with learning_rate and max_depth away from their defaults); it
checks that the training loss never rises from one stage to the next, and compares the
classifier's held-out accuracy with scikit-learn's on fixed problems (within 1 point).
You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


class GradientBoostingRegressor:
    """Squared-error boosting of depth-limited regression trees."""

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        """Store the hyperparameters; nothing is computed until fit."""
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        """Fit on X (n, p) float64 and y (n,) float64: set init_ (float) and estimators_ (list of trees); return self."""
        raise NotImplementedError("TODO: start from the mean, then fit trees to the residuals")

    def staged_predict(self, X):
        """Predictions after stage 1, 2, ..., n_estimators: n_estimators arrays of shape (m,) (yield or return a list)."""
        raise NotImplementedError("TODO: add the trees one at a time")

    def predict(self, X):
        """Predictions (m,) float64 of the full model for X (m, p)."""
        raise NotImplementedError("TODO: init_ plus every shrunk tree")


class GradientBoostingClassifier:
    """Binary log-loss boosting on the log-odds; labels may be any two integers."""

    def __init__(self, n_estimators=100, learning_rate=0.1, max_depth=3):
        """Store the hyperparameters; nothing is computed until fit."""
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth

    def fit(self, X, y):
        """Fit on X (n, p) float64 and labels y (n,) with two values; set classes_ (sorted); return self."""
        raise NotImplementedError("TODO: start from the log-odds, then fit trees to t - sigmoid(F)")

    def decision_function(self, X):
        """Log-odds F (m,) float64 of classes_[1] for X (m, p)."""
        raise NotImplementedError("TODO: init_ plus every shrunk tree")

    def predict_proba(self, X):
        """Probabilities (m, 2) float64 of classes_[0] and classes_[1]; rows sum to 1."""
        raise NotImplementedError("TODO: sigmoid of the log-odds")

    def predict(self, X):
        """The likelier label for each row of X (m, p): (m,), values from classes_."""
        raise NotImplementedError("TODO: classes_[1] where the log-odds are positive")
