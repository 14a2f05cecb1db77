# expect: fit_without_intercept_matches_sklearn
# Mutant: fit_intercept=False is ignored by the normal equation: it always fits an intercept.
"""Reference solution for stage1/linreg: least squares by the normal equation and by
gradient descent, with scikit-learn's estimator API (NumPy only).

Hidden from the learner. The grader compares the learner's code with scikit-learn; this
file proves the checks can be passed and is the base every mutant is copied from.
"""

import numpy as np

# Singular values below RCOND times the largest count as zero: an exactly dependent column
# of X leaves a singular value of about 1e-16 relative, far below this cutoff, while the
# well-posed problems the grader draws keep theirs above 1e-3 relative.
RCOND = 1e-10


def mse(y, y_pred):
    """Mean squared error of y_pred (n,) against y (n,), as a Python float."""
    y = np.asarray(y, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return float(np.mean((y_pred - y) ** 2))


def mse_grad(X, y, w, b):
    """Gradient of mean((X @ w + b - y)**2): dw (p,) float64 and db a float."""
    X = np.asarray(X, dtype=np.float64)
    residual = X @ w + b - y  # (n,)
    dw = 2.0 * (X.T @ residual) / X.shape[0]  # (p,)
    db = 2.0 * float(np.mean(residual))
    return dw, db


def min_norm_least_squares(A, y):
    """The w (p,) of least norm among those minimising ||A @ w - y||, for A (n, p) and y (n,)."""
    # lstsq solves the normal equation A.T @ A @ w = A.T @ y through an SVD of A: it never
    # squares the condition number, and it drops the singular values below RCOND.
    w, *_ = np.linalg.lstsq(A, y, rcond=RCOND)
    return w


def solve_normal_equation(X, y, fit_intercept):
    """Least-squares (coef (p,), intercept) for X (n, p) and y (n,)."""
    # Centring takes the intercept out of the problem, so it is never part of the norm.
    x_mean = X.mean(axis=0)  # (p,)
    y_mean = y.mean()
    coef = min_norm_least_squares(X - x_mean, y - y_mean)  # (p,)
    return coef, float(y_mean - x_mean @ coef)


def gradient_descent(X, y, fit_intercept, lr, n_iter):
    """Batch gradient descent on the MSE from w = 0, b = 0: (coef (p,), intercept)."""
    w = np.zeros(X.shape[1])  # (p,)
    b = 0.0
    for _ in range(n_iter):
        dw, db = mse_grad(X, y, w, b)
        w = w - lr * dw
        if fit_intercept:
            b = b - lr * db
    return w, float(b)


class LinearRegression:
    """Ordinary least squares, fitted by the normal equation or by gradient descent."""

    def __init__(self, fit_intercept=True, method="normal", lr=0.01, n_iter=1000):
        """Store the hyperparameters; nothing is computed until fit."""
        self.fit_intercept = fit_intercept
        self.method = method
        self.lr = lr
        self.n_iter = n_iter

    def fit(self, X, y):
        """Fit on X (n, p) and y (n,); sets coef_ (p,) and intercept_ (float); returns self."""
        X = np.asarray(X, dtype=np.float64)  # (n, p)
        y = np.asarray(y, dtype=np.float64)  # (n,)
        if self.method == "normal":
            coef, intercept = solve_normal_equation(X, y, self.fit_intercept)
        elif self.method == "gd":
            coef, intercept = gradient_descent(X, y, self.fit_intercept, self.lr, self.n_iter)
        else:
            raise ValueError(f"method must be 'normal' or 'gd', got {self.method!r}")
        self.coef_ = coef
        self.intercept_ = float(intercept)
        return self

    def predict(self, X):
        """Predictions (n,) float64 for X (n, p): X @ coef_ + intercept_."""
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_
