"""A correct stage1/svm typed along with the "simplified SMO" of lecture notes: the second
multiplier of each pair tried in a random order (from a generator seeded in fit), Platt's threshold
update after each step, a sweep over every point until none violates its condition by more
than tol, and b refitted from the free support vectors at the end. Kernels by loops over rows."""

import numpy as np


def linear_kernel(X, Y):
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    K = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        K[i] = Y @ X[i]
    return K


def rbf_kernel(X, Y, gamma):
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    K = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        K[i] = np.exp(-gamma * np.sum((Y - X[i]) ** 2, axis=1))
    return K


class SVC:
    def __init__(self, C=1.0, kernel="rbf", gamma=1.0, tol=1e-3, max_iter=100_000):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.tol = tol
        self.max_iter = max_iter

    def _gram(self, A, B):
        if self.kernel == "linear":
            return linear_kernel(A, B)
        return rbf_kernel(A, B, self.gamma)

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        Y = np.where(np.asarray(y) == self.classes_[1], 1.0, -1.0)
        n, C, tol = len(X), float(self.C), self.tol
        K = self._gram(X, X)
        rng = np.random.default_rng(0)
        alpha, b, updates = np.zeros(n), 0.0, 0

        def error(k):
            return (alpha * Y) @ K[:, k] + b - Y[k]

        def refit_b():
            """b from the free support vectors; with none, the middle of the interval the bounded ones allow."""
            f0 = K @ (alpha * Y)
            free = (alpha > 1e-9 * C) & (alpha < C * (1 - 1e-9))
            if free.any():
                return float(np.mean(Y[free] - f0[free]))
            at_c = alpha > C * (1 - 1e-9)  # within rounding of C: at C (the others are within rounding of 0)
            low = [Y[k] - f0[k] for k in range(n) if (Y[k] > 0) != at_c[k]]  # b >= these
            high = [Y[k] - f0[k] for k in range(n) if (Y[k] > 0) == at_c[k]]  # b <= these
            return float((max(low, default=min(high)) + min(high, default=max(low))) / 2)

        def violates(k):
            r = Y[k] * error(k)  # margin - 1
            return (r < -tol and alpha[k] < C) or (r > tol and alpha[k] > 0)

        idle = 0  # sweeps in a row without an update
        while updates < self.max_iter and any(violates(k) for k in range(n)) and idle < 3:
            before = updates
            if idle:  # the running b only follows the pairs: refit it, the stalls come from it
                b = refit_b()
            for i in range(n):
                if updates >= self.max_iter or not violates(i):
                    continue
                for j in rng.permutation(n):  # random partners, until one pair can move
                    if j == i:
                        continue
                    E_i, E_j = error(i), error(j)
                    if Y[i] != Y[j]:
                        L, H = max(0.0, alpha[j] - alpha[i]), min(C, C + alpha[j] - alpha[i])
                    else:
                        L, H = max(0.0, alpha[i] + alpha[j] - C), min(C, alpha[i] + alpha[j])
                    eta = 2 * K[i, j] - K[i, i] - K[j, j]
                    if L >= H or eta >= 0:
                        continue
                    a_j = min(H, max(L, alpha[j] - Y[j] * (E_i - E_j) / eta))
                    if abs(a_j - alpha[j]) < 1e-12:
                        continue
                    a_i = alpha[i] + Y[i] * Y[j] * (alpha[j] - a_j)
                    b1 = b - E_i - Y[i] * (a_i - alpha[i]) * K[i, i] - Y[j] * (a_j - alpha[j]) * K[i, j]
                    b2 = b - E_j - Y[i] * (a_i - alpha[i]) * K[i, j] - Y[j] * (a_j - alpha[j]) * K[j, j]
                    alpha[i], alpha[j] = a_i, a_j
                    b = b1 if 0 < a_i < C else (b2 if 0 < a_j < C else (b1 + b2) / 2)
                    updates += 1
                    break
            idle = idle + 1 if updates == before else 0
        # The running b follows the last pair only: refit it from the final multipliers.
        self.alpha_, self.intercept_ = alpha, refit_b()
        self._X, self._Y = X, Y
        return self

    def decision_function(self, X):
        return self._gram(X, self._X) @ (self.alpha_ * self._Y) + self.intercept_

    def predict(self, X):
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])
