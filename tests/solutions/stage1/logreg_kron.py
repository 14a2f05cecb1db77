"""A correct stage1/logreg written unlike the reference: a tanh sigmoid, a log1p loss,
one Newton solver for both cases built with np.kron (binary as a single logit), labels
mapped through a dictionary, and multinomial intercepts left shifted by a constant (only
their differences matter)."""

import numpy as np


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def log_loss(X, y, w, b):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))
    return float(np.mean(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z))


def log_loss_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = sigmoid(X @ w + b) - y
    return r @ X / len(r), float(r.sum() / len(r))


def _probabilities(Z):
    if Z.shape[1] == 1:
        return sigmoid(Z)
    Z = Z - Z.max(axis=1)[:, None]
    return np.exp(Z) / np.exp(Z).sum(axis=1)[:, None]


class LogisticRegression:
    def __init__(self, C=1.0, max_iter=100, tol=1e-6):
        self.C, self.max_iter, self.tol = C, max_iter, tol

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.array(sorted(set(np.asarray(y).tolist())))
        index = {label: i for i, label in enumerate(self.classes_.tolist())}
        codes = np.array([index[v] for v in np.asarray(y).tolist()])
        k = len(self.classes_)
        m = 1 if k == 2 else k
        Y = (codes[:, None] == (np.arange(m) + (1 if k == 2 else 0))[None, :]).astype(float)  # (n, m)
        A = np.column_stack([np.ones(len(X)), X])  # intercept first this time
        d = A.shape[1]
        mask = np.tile(np.r_[0.0, np.ones(d - 1)], m)

        def parts(theta):
            W = theta.reshape(m, d)
            Z = A @ W.T
            P = _probabilities(Z)
            if m == 1:
                loss = np.sum(np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z))) - Y * Z)
            else:
                top = Z.max(axis=1)
                loss = np.sum(top + np.log(np.exp(Z - top[:, None]).sum(axis=1)) - (Y * Z).sum(axis=1))
            f = self.C * loss + 0.5 * np.sum(mask * theta**2)
            g = self.C * ((P - Y).T @ A).reshape(-1) + mask * theta
            H = np.diag(mask)
            for i in range(len(A)):
                p = P[i]
                S = np.array([[p[0] * (1 - p[0])]]) if m == 1 else np.diag(p) - np.outer(p, p)
                H += self.C * np.kron(S, np.outer(A[i], A[i]))
            return f, g, H

        theta = np.zeros(m * d)
        f, g, H = parts(theta)
        for _ in range(self.max_iter):
            if np.abs(g).max() <= self.tol:
                break
            step = -np.linalg.pinv(H) @ g
            t = 1.0
            while parts(theta + t * step)[0] > f and t > 1e-12:
                t *= 0.5
            theta = theta + t * step
            f, g, H = parts(theta)
        W = theta.reshape(m, d)
        self.coef_ = W[:, 1:]
        self.intercept_ = W[:, 0] + (5.0 if m > 1 else 0.0)
        return self

    def predict_proba(self, X):
        Z = np.asarray(X, dtype=float) @ self.coef_.T + self.intercept_
        if Z.shape[1] == 1:
            p = sigmoid(Z[:, 0])
            return np.stack([1 - p, p], axis=1)
        return _probabilities(Z)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
