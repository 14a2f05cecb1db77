"""A correct stage1/svm written unlike the reference: Platt's SMO with error caches and
the second-choice heuristic (largest |E_i - E_j|), a threshold b updated after every
step, and the expanded |x|^2 + |y|^2 - 2 x.y form of the RBF distances."""

import numpy as np


def linear_kernel(X, Y):
    return np.dot(X, np.transpose(Y))


def rbf_kernel(X, Y, gamma):
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    d = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2 * X @ Y.T
    return np.exp(-gamma * np.maximum(d, 0.0))


class SVC:
    def __init__(self, C=1.0, kernel="rbf", gamma=1.0, tol=1e-3, max_iter=100_000):
        self.C, self.kernel, self.gamma, self.tol, self.max_iter = C, kernel, gamma, tol, max_iter

    def _k(self, A, B):
        return linear_kernel(A, B) if self.kernel == "linear" else rbf_kernel(A, B, self.gamma)

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        t = np.where(np.asarray(y) == self.classes_[1], 1.0, -1.0)
        n, C, tol = len(X), self.C, self.tol
        K = self._k(X, X)
        a = np.zeros(n)
        b = 0.0
        steps = 0

        def violates(i, E):
            r = E[i] * t[i]  # = margin - 1
            return (r < -tol and a[i] < C) or (r > tol and a[i] > 0)

        def refit_b():
            g = t * (K @ (a * t))  # y_i * sum_j a_j y_j K_ij
            free = (a > 1e-10 * C) & (a < C - 1e-10 * C)
            if free.any():
                return float(np.mean(t[free] - (K @ (a * t))[free]))
            # A multiplier within rounding of a bound sits at that bound.
            pos, below_c = a > 1e-10 * C, a < C - 1e-10 * C
            lower = [t[i] * (1 - g[i]) for i in range(n) if (t[i] > 0 and below_c[i]) or (t[i] < 0 and pos[i])]
            upper = [t[i] * (1 - g[i]) for i in range(n) if (t[i] > 0 and pos[i]) or (t[i] < 0 and below_c[i])]
            return float((max(lower) + min(upper)) / 2)

        stalled = False
        while steps < self.max_iter:
            E = K @ (a * t) + b - t  # f(x_i) - y_i
            candidates = [i for i in range(n) if violates(i, E)]
            if not candidates:
                # b may be stale when no multiplier is free: place it in the feasible interval.
                break
            progressed = False
            for i in candidates:
                E = K @ (a * t) + b - t
                if not violates(i, E):
                    continue
                for j in np.argsort(-np.abs(E - E[i])):
                    if j == i:
                        continue
                    if t[i] != t[j]:
                        L, H = max(0.0, a[j] - a[i]), min(C, C + a[j] - a[i])
                    else:
                        L, H = max(0.0, a[i] + a[j] - C), min(C, a[i] + a[j])
                    eta = K[i, i] + K[j, j] - 2 * K[i, j]
                    if H - L < 1e-12 or eta <= 1e-12:
                        continue
                    aj = min(H, max(L, a[j] + t[j] * (E[i] - E[j]) / eta))
                    if abs(aj - a[j]) < 1e-12:
                        continue
                    ai = a[i] + t[i] * t[j] * (a[j] - aj)
                    b1 = b - E[i] - t[i] * (ai - a[i]) * K[i, i] - t[j] * (aj - a[j]) * K[i, j]
                    b2 = b - E[j] - t[i] * (ai - a[i]) * K[i, j] - t[j] * (aj - a[j]) * K[j, j]
                    a[i], a[j] = ai, aj
                    b = b1 if 0 < ai < C else (b2 if 0 < aj < C else (b1 + b2) / 2)
                    steps += 1
                    progressed = True
                    break
            if not progressed:
                if stalled:
                    break
                b, stalled = refit_b(), True  # the running b can strand a violation no pair can fix
            else:
                stalled = False
        self.alpha_ = a
        # Refit b from the optimality conditions (the running b only tracks the last pair).
        self.intercept_ = refit_b()
        self._X, self._t = X, t
        return self

    def decision_function(self, X):
        return self._k(X, self._X) @ (self.alpha_ * self._t) + self.intercept_

    def predict(self, X):
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])
