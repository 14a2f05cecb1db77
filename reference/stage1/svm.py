"""Reference solution for stage1/svm: linear and RBF kernels, and a kernel SVM trained by
sequential minimal optimisation (SMO) on the dual (NumPy only).

Hidden from the learner. The dual, written as a minimisation over alpha (n,):

    minimise   0.5 * alpha @ Q @ alpha - sum(alpha),   Q[i, j] = y_i y_j K(x_i, x_j)
    subject to 0 <= alpha_i <= C  and  sum_i alpha_i y_i = 0

Each SMO step moves two multipliers along the line that keeps sum(alpha * y) fixed; this
reference picks the maximal violating pair (the two points that break the optimality
conditions the most), as libsvm does, and stops when no pair violates them by more than tol.
"""

import numpy as np


def linear_kernel(X, Y):
    """K[i, j] = X[i] @ Y[j] for X (n, p) and Y (m, p): (n, m)."""
    return np.asarray(X, dtype=np.float64) @ np.asarray(Y, dtype=np.float64).T


def rbf_kernel(X, Y, gamma):
    """K[i, j] = exp(-gamma * ||X[i] - Y[j]||**2) for X (n, p) and Y (m, p): (n, m)."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    # Differences, not the |x|^2 + |y|^2 - 2 x.y expansion: no cancellation, no negative distances.
    squared = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2)  # (n, m)
    return np.exp(-gamma * squared)


def _intercept(alpha, signs, v, C):
    """b: the mean of v = -y * gradient over free support vectors (where y f(x) = 1 pins it
    down), else the middle of the interval of b that the optimality conditions allow."""
    free = (alpha > 1e-12 * C) & (alpha < C * (1 - 1e-12))
    if free.any():
        return float(v[free].mean())
    up = ((signs > 0) & (alpha < C)) | ((signs < 0) & (alpha > 0))
    low = ((signs > 0) & (alpha > 0)) | ((signs < 0) & (alpha < C))
    return float((v[up].max() + v[low].min()) / 2)


class SVC:
    """A binary kernel SVM trained by SMO. After fit: classes_ (2,), alpha_ (n,), intercept_ (float)."""

    def __init__(self, C=1.0, kernel="rbf", gamma=1.0, tol=1e-3, max_iter=100_000):
        """Store the hyperparameters; nothing is computed until fit."""
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.tol = tol
        self.max_iter = max_iter

    def _kernel(self, A, B):
        if self.kernel == "linear":
            return linear_kernel(A, B)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, self.gamma)
        raise ValueError(f"kernel must be 'linear' or 'rbf', got {self.kernel!r}")

    def fit(self, X, y):
        """Train on X (n, p) and two-class labels y (n,); classes_[1] is the +1 class; returns self."""
        X = np.asarray(X, dtype=np.float64)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"SVC needs exactly two classes, got {len(self.classes_)}")
        signs = np.where(np.asarray(y) == self.classes_[1], 1.0, -1.0)  # (n,)
        K = self._kernel(X, X)  # (n, n)
        Q = signs[:, None] * signs[None, :] * K  # (n, n)
        C = float(self.C)
        alpha = np.zeros(len(X))
        gradient = -np.ones(len(X))  # Q @ alpha - 1: the dual objective's gradient
        for _ in range(self.max_iter):
            # v_i = -y_i * gradient_i. Moving alpha_i up (y = +1) or down (y = -1) is allowed
            # in "up"; the opposite in "low". Optimal when max over up <= min over low.
            v = -signs * gradient
            up = ((signs > 0) & (alpha < C)) | ((signs < 0) & (alpha > 0))
            low = ((signs > 0) & (alpha > 0)) | ((signs < 0) & (alpha < C))
            i = np.flatnonzero(up)[np.argmax(v[up])]
            j = np.flatnonzero(low)[np.argmin(v[low])]
            if v[i] - v[j] <= self.tol:
                break
            # Along alpha_i += y_i t, alpha_j -= y_j t the objective is a parabola in t.
            curvature = max(K[i, i] + K[j, j] - 2.0 * K[i, j], 1e-12)
            t = (v[i] - v[j]) / curvature
            t = min(t, C - alpha[i] if signs[i] > 0 else alpha[i], alpha[j] if signs[j] > 0 else C - alpha[j])
            alpha[i] += signs[i] * t
            alpha[j] -= signs[j] * t
            gradient += t * (signs[i] * Q[:, i] - signs[j] * Q[:, j])
        self.alpha_ = np.clip(alpha, 0.0, C)  # clear rounding at the bounds
        self.intercept_ = _intercept(self.alpha_, signs, -signs * gradient, C)
        self._X, self._signs = X, signs
        return self

    def decision_function(self, X):
        """sum_i alpha_i y_i K(x_i, x) + intercept_ for each row of X (m, p): (m,)."""
        return self._kernel(X, self._X) @ (self.alpha_ * self._signs) + self.intercept_

    def predict(self, X):
        """classes_[1] where the decision function is positive, classes_[0] elsewhere: (m,)."""
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])
