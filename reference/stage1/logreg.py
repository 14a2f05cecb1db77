"""Reference solution for stage1/logreg: a numerically stable sigmoid and log loss, and
L2-regularised logistic regression (binary and multinomial) fitted by Newton's method,
with scikit-learn's objective and estimator API (NumPy only).

Hidden from the learner. The objective is scikit-learn's:
    C * sum_i loss_i + 0.5 * ||coef_||**2      (the intercept is not penalised)
"""

import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)) elementwise, without overflow for any float z."""
    z = np.asarray(z, dtype=np.float64)
    # exp of a non-positive number never overflows: use exp(-|z|) on both sides.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z):
    """log(1 + exp(z)) elementwise, without overflow."""
    return np.logaddexp(0.0, z)


def log_loss(X, y, w, b):
    """Mean binary cross-entropy of labels y (n,) in {0, 1} under p = sigmoid(X @ w + b)."""
    z = np.asarray(X, dtype=np.float64) @ w + b  # (n,) logits
    # -[y log p + (1 - y) log(1 - p)] = log(1 + exp(z)) - y z, computed without log(0).
    return float(np.mean(_softplus(z) - y * z))


def log_loss_grad(X, y, w, b):
    """Gradient of log_loss(X, y, w, b): (dw (p,), db float)."""
    X = np.asarray(X, dtype=np.float64)
    error = sigmoid(X @ w + b) - y  # (n,)
    return X.T @ error / len(y), float(np.mean(error))


def softmax(Z):
    """Row-wise softmax of Z (n, k), shifted by each row's max so exp never overflows."""
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _objective_gradient_hessian(theta, A, Y, C, penalised):
    """Objective, gradient and Hessian in theta = vec of (k, p + 1) weights [coef | intercept].

    A (n, p + 1) is X with a column of ones; Y (n, k) one-hot (k = 1: the binary model).
    """
    n, d = A.shape
    k = Y.shape[1]
    W = theta.reshape(k, d)  # (k, p + 1)
    Z = A @ W.T  # (n, k)
    if k == 1:
        P = sigmoid(Z)  # (n, 1)
        loss = np.sum(_softplus(Z) - Y * Z)
        weights = (P * (1.0 - P))[:, 0]  # (n,)
        H = C * (A.T * weights) @ A  # (d, d)
    else:
        P = softmax(Z)  # (n, k)
        loss = np.sum(np.logaddexp.reduce(Z, axis=1) - np.sum(Y * Z, axis=1))
        H = np.zeros((k * d, k * d))
        for a in range(k):  # block (a, c) = sum_i P_ia (delta_ac - P_ic) a_i a_i^T
            for c in range(k):
                weights = P[:, a] * ((a == c) - P[:, c])  # (n,)
                H[a * d:(a + 1) * d, c * d:(c + 1) * d] = C * (A.T * weights) @ A
    G = C * (P - Y).T @ A  # (k, d)
    objective = C * loss + 0.5 * np.sum((W * penalised) ** 2)
    gradient = (G + W * penalised).reshape(-1)
    H = H + np.diag(np.tile(penalised, k))
    return objective, gradient, H


def _newton(A, Y, C, tol, max_iter):
    """Minimise the objective by Newton's method with a backtracking line search."""
    k, d = Y.shape[1], A.shape[1]
    penalised = np.ones(d)
    penalised[-1] = 0.0  # the intercept's column
    theta = np.zeros(k * d)
    f, g, H = _objective_gradient_hessian(theta, A, Y, C, penalised)
    for _ in range(max_iter):
        if np.max(np.abs(g)) <= tol:
            break
        # lstsq: with k > 1 the softmax is unchanged when every intercept moves by the same
        # amount, so H is singular along that direction; the minimum-norm step ignores it.
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        t = 1.0
        while True:
            f_new, g_new, H_new = _objective_gradient_hessian(theta + t * step, A, Y, C, penalised)
            if f_new <= f + 1e-4 * t * (g @ step) or t < 1e-10:
                break
            t /= 2
        theta, f, g, H = theta + t * step, f_new, g_new, H_new
    return theta.reshape(k, d)


class LogisticRegression:
    """L2-regularised logistic regression; softmax (multinomial) when there are 3+ classes."""

    def __init__(self, C=1.0, max_iter=100, tol=1e-6):
        """Store the hyperparameters; nothing is computed until fit."""
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit on X (n, p) and labels y (n,); sets classes_, coef_ and intercept_; returns self."""
        X = np.asarray(X, dtype=np.float64)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        k = len(self.classes_)
        A = np.hstack([X, np.ones((len(X), 1))])  # (n, p + 1)
        if k == 2:
            Y = codes.reshape(-1, 1).astype(np.float64)  # (n, 1): is it the second class?
        else:
            Y = np.eye(k)[codes]  # (n, k) one-hot
        W = _newton(A, Y, self.C, self.tol, self.max_iter)  # (1 or k, p + 1)
        self.coef_ = W[:, :-1]
        self.intercept_ = W[:, -1]
        return self

    def decision_function(self, X):
        """Logits: (n,) for two classes, (n, k) otherwise."""
        Z = np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_  # (n, 1 or k)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X):
        """Class probabilities (n, k), columns in the order of classes_."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p = sigmoid(Z)  # (n,)
            return np.column_stack([1.0 - p, p])
        return softmax(Z)

    def predict(self, X):
        """The most probable class label for each row of X: (n,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
