"""Logistic regression from scratch, binary and multinomial (NumPy only).

Write:

1. `sigmoid(z)`: 1 / (1 + exp(-z)), elementwise. It must work for any logit: at
   z = -1000 or z = +1000 it returns 0 and 1 without an overflow warning.
2. `log_loss(X, y, w, b)`: the mean binary cross-entropy of labels y in {0, 1} under the
   model p = sigmoid(X @ w + b):  mean(-[y * log(p) + (1 - y) * log(1 - p)]).
   Exact at any logit too: a point at logit -1000 whose label is 1 costs 1000, not inf
   and not a clipped 34.5.
3. `log_loss_grad(X, y, w, b)`: its gradient (dw, db).
4. `LogisticRegression(C, max_iter, tol)` with scikit-learn's estimator API. fit(X, y)
   minimises scikit-learn's objective

       C * sum_i loss_i + 0.5 * ||coef_||**2        (the intercept is not penalised)

   where loss_i is the cross-entropy of row i: with two classes, under the sigmoid of one
   logit (coef_ has shape (1, p), intercept_ shape (1,)); with three or more classes, under
   the softmax of k logits (coef_ (k, p), intercept_ (k,)). Labels can be any integers:
   classes_ holds them sorted, and the columns of predict_proba follow that order.

The objective is convex and smooth; stop when the largest entry of its gradient is at
most tol, or after max_iter iterations. The grader asks for tol=1e-8 within 100
iterations and compares coef_ with scikit-learn's to 1e-4 and probabilities to 1e-5. It
also checks that both stopping rules are obeyed: with max_iter=1, or with a tol larger
than every entry of the gradient, fit must stop well short of the optimum. predict(X) is
classes_[argmax of predict_proba(X)] row by row (with two classes: classes_[1] where its
probability is above 0.5), also for a single row.
With three or more classes, adding the same number to every intercept changes nothing;
scikit-learn picks intercepts that sum to zero, and the grader compares them up to that
shift. You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def sigmoid(z):
    """The logistic function of z (a float or an array of any shape, float64): same shape, values in [0, 1]."""
    raise NotImplementedError("TODO: 1 / (1 + exp(-z)) without overflow for large |z|")


def log_loss(X, y, w, b):
    """Mean cross-entropy (a float) for X (n, p), labels y (n,) in {0, 1}, weights w (p,) and bias b (float)."""
    raise NotImplementedError("TODO: mean of -[y log p + (1 - y) log(1 - p)], exact for large logits")


def log_loss_grad(X, y, w, b):
    """Gradient of log_loss(X, y, w, b) with respect to w and b: (dw (p,) float64, db float)."""
    raise NotImplementedError("TODO: dw and db of the mean cross-entropy")


class LogisticRegression:
    """L2-regularised logistic regression (softmax for 3+ classes), fitted to scikit-learn's objective.

    After fit: classes_ (k,) the sorted labels; coef_ (1, p) and intercept_ (1,) for two
    classes, (k, p) and (k,) for k >= 3.
    """

    def __init__(self, C=1.0, max_iter=100, tol=1e-6):
        """Store the hyperparameters; nothing is computed until fit."""
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit on X (n, p) float64 and integer labels y (n,); set classes_, coef_, intercept_; return self."""
        raise NotImplementedError("TODO: minimise C * sum(loss) + 0.5 * ||coef_||**2")

    def predict_proba(self, X):
        """Probabilities (n, k) float64 for X (n, p): column j for classes_[j], rows sum to 1."""
        raise NotImplementedError("TODO: sigmoid (two classes) or softmax (more) of the logits")

    def predict(self, X):
        """The most probable label for each row of X (n, p): (n,), values from classes_."""
        raise NotImplementedError("TODO: the label whose probability is highest")
