"""A correct stage1/linreg written the way a learner who typed along with a classic course
would: loops for the loss and its gradient, the bias as an extra column of ones (theta[0]),
the inverse of the Gram matrix after a rank test, and gradient descent on the cost
J = 1/(2m) * sum of squares (so each step moves half as far as the MSE's gradient would)."""

import numpy as np


def mse(y, y_pred):
    m = len(y)
    total = 0.0
    for i in range(m):
        total += (y_pred[i] - y[i]) ** 2
    return total / m


def mse_grad(X, y, w, b):
    m, n = X.shape
    dw = np.zeros(n)
    db = 0.0
    for i in range(m):
        err = np.dot(X[i], w) + b - y[i]
        for j in range(n):
            dw[j] += 2 * err * X[i, j] / m
        db += 2 * err / m
    return dw, db


class LinearRegression:
    def __init__(self, fit_intercept=True, method="normal", lr=0.01, n_iter=1000):
        self.fit_intercept = fit_intercept
        self.method = method
        self.lr = lr
        self.n_iter = n_iter

    def _design(self, X):
        X = np.array(X, dtype=float)
        if self.fit_intercept:
            return np.c_[np.ones(X.shape[0]), X]
        return X

    def fit(self, X, y):
        Xb = self._design(X)
        y = np.array(y, dtype=float)
        if self.method == "normal":
            if np.linalg.matrix_rank(Xb) < Xb.shape[1]:
                raise np.linalg.LinAlgError("singular matrix: some columns of X depend on the others")
            theta = np.linalg.inv(Xb.T @ Xb) @ Xb.T @ y
        else:
            m = len(y)
            theta = np.zeros(Xb.shape[1])
            for _ in range(self.n_iter):
                theta = theta - self.lr * (1 / m) * Xb.T @ (Xb @ theta - y)
        if self.fit_intercept:
            self.intercept_ = float(theta[0])
            self.coef_ = theta[1:]
        else:
            self.intercept_ = 0.0
            self.coef_ = theta
        return self

    def predict(self, X):
        return self._design(X) @ (np.r_[self.intercept_, self.coef_] if self.fit_intercept else self.coef_)
