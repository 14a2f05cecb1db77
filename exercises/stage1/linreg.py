"""Linear regression from scratch, with scikit-learn's estimator API (NumPy only).

Write three things:

1. `mse(y, y_pred)`: the mean squared error, the loss that linear regression minimises.
2. `mse_grad(X, y, w, b)`: its gradient with respect to the weights w and the bias b,
   for the model y_pred = X @ w + b.
3. `LinearRegression`: fit(X, y) finds the w and b with the smallest mean squared error,
   either in closed form (method="normal", the normal equation) or step by step
   (method="gd", batch gradient descent); predict(X) applies them.

The grader compares your answers with scikit-learn's `LinearRegression`, checks your
gradient with finite differences, and runs gradient descent with a step size and a number
of steps it chooses. Gradient descent starts from w = 0 and b = 0 and takes exactly n_iter
steps w -= lr * dw, b -= lr * db (b stays 0 when fit_intercept=False), with dw and db the
gradient of the mean squared error (the gradient of MSE / 2 is accepted too): the grader
also stops it after a few steps and compares where it stands. Work in float64 throughout:
the grader uses Gaussian data as well as round numbers. You may not import scikit-learn,
SciPy or PyTorch here.

When X has a column that is an exact combination of the others, many (w, b) fit equally
well. fit(X, y) with method="normal" must then do one of two things: return the answer
scikit-learn returns (among all least-squares solutions of the centred problem, the w of
smallest norm), or raise numpy.linalg.LinAlgError with a message saying what is wrong.
It must never return NaN or enormous numbers.
"""

import numpy as np


def mse(y, y_pred):
    """Mean squared error of y_pred (n,) against y (n,), returned as a Python float."""
    raise NotImplementedError("TODO: the mean of the squared differences")


def mse_grad(X, y, w, b):
    """Gradient of mean((X @ w + b - y)**2) for X (n, p), y (n,), w (p,), b a float: (dw (p,), db float)."""
    raise NotImplementedError("TODO: dw and db of the mean squared error")


class LinearRegression:
    """Ordinary least squares: fit(X, y) sets coef_ (p,) and intercept_ (float); predict(X) gives (n,).

    fit_intercept: learn a bias b (else intercept_ is 0.0).
    method: "normal" solves the normal equation; "gd" runs batch gradient descent on the
        mean squared error, from w = 0 and b = 0, for n_iter steps of size lr.
    """

    def __init__(self, fit_intercept=True, method="normal", lr=0.01, n_iter=1000):
        """Store the hyperparameters; nothing is computed until fit."""
        self.fit_intercept = fit_intercept
        self.method = method
        self.lr = lr
        self.n_iter = n_iter

    def fit(self, X, y):
        """Fit on X (n, p) float64 and y (n,) float64; set coef_ (p,) and intercept_ (float); return self."""
        raise NotImplementedError("TODO: solve for coef_ and intercept_ with self.method")

    def predict(self, X):
        """Predictions (n,) float64 for X (n, p), any rows (new ones too): X @ coef_ + intercept_."""
        raise NotImplementedError("TODO: predictions from coef_ and intercept_")
