"""A correct stage1/logreg written unlike the reference: sigmoid as exp(-logaddexp(0, -z)),
the bias as the first column, Newton's method (IRLS) with np.diag weights and a halving
step, the multinomial Hessian assembled block by block with the bias column penalised by 0,
and a binary predict that thresholds the probability of classes_[1] at 0.5."""

import numpy as np


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def log_loss(X, y, w, b):
    z = np.asarray(X, dtype=float) @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def log_loss_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    r = sigmoid(X @ w + b) - y
    return r @ X / len(y), float(r.sum() / len(y))


def _softmax(Z):
    return np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))


class LogisticRegression:
    def __init__(self, C=1.0, max_iter=100, tol=1e-6):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def _loss_grad_hess(self, theta, A, T, k):
        n, d = A.shape
        W = theta.reshape(k, d)
        keep = np.ones(d)
        keep[0] = 0.0  # the bias (column 0) is not penalised
        Z = A @ W.T
        if k == 1:
            P = sigmoid(Z)
            loss = np.sum(np.logaddexp(0.0, Z) - T * Z)
            H = self.C * A.T @ np.diag((P * (1 - P))[:, 0]) @ A + np.diag(keep)
        else:
            P = _softmax(Z)
            loss = -np.sum(T * (Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)))
            H = np.zeros((k * d, k * d))
            for a in range(k):
                for c in range(k):
                    w = P[:, a] * ((1.0 if a == c else 0.0) - P[:, c])
                    H[a * d:(a + 1) * d, c * d:(c + 1) * d] = self.C * A.T @ np.diag(w) @ A
            H += np.diag(np.tile(keep, k))
        f = self.C * loss + 0.5 * np.sum(W**2 * keep)
        g = (self.C * (P - T).T @ A + W * keep).ravel()
        return f, g, H

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        k = len(self.classes_)
        idx = np.searchsorted(self.classes_, y)
        A = np.column_stack([np.ones(len(X)), X])
        T = (idx == 1).astype(float)[:, None] if k == 2 else np.eye(k)[idx]
        m = 1 if k == 2 else k
        theta = np.zeros(m * A.shape[1])
        f, g, H = self._loss_grad_hess(theta, A, T, m)
        it = 0
        while it < self.max_iter and np.abs(g).max() > self.tol:
            step = np.linalg.pinv(H) @ g
            s = 1.0
            while True:
                f_new, g_new, H_new = self._loss_grad_hess(theta - s * step, A, T, m)
                if f_new <= f or s < 1e-12:
                    break
                s *= 0.5
            theta = theta - s * step
            f, g, H = f_new, g_new, H_new
            it += 1
        W = theta.reshape(m, A.shape[1])
        self.intercept_ = W[:, 0].copy()
        self.coef_ = W[:, 1:].copy()
        return self

    def predict_proba(self, X):
        Z = np.asarray(X, dtype=float) @ self.coef_.T + self.intercept_
        if len(self.classes_) == 2:
            p1 = sigmoid(Z[:, 0])
            return np.stack([1 - p1, p1], axis=1)
        return _softmax(Z)

    def predict(self, X):
        P = self.predict_proba(X)
        if len(self.classes_) == 2:
            return np.where(P[:, 1] > 0.5, self.classes_[1], self.classes_[0])
        return self.classes_[P.argmax(axis=1)]
