"""A correct stage1/ridge_lasso written unlike the reference: ridge on [X, 1] with the
intercept's diagonal entry left unpenalised, loops over alphas, and a lasso on sums (no
1/n) whose threshold is therefore n * alpha, recomputing the residual every update."""

import numpy as np


def ridge(X, y, alpha):
    X = np.asarray(X, dtype=float)
    A = np.hstack([np.ones((len(X), 1)), X])
    penalty = alpha * np.eye(A.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    theta = np.linalg.solve(A.T @ A + penalty, A.T @ y)
    return theta[1:], float(theta[0])


def ridge_path(X, y, alphas):
    return np.stack([ridge(X, y, a)[0] for a in alphas], axis=1)


def soft_threshold(z, t):
    if np.ndim(z) == 0:
        return z - t if z > t else (z + t if z < -t else 0.0)
    return np.array([soft_threshold(v, t) for v in z])


def lasso_cd(X, y, alpha, tol=1e-8, max_iter=10_000, start=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    mx, my = X.mean(axis=0), y.mean()
    Xc, yc = X - mx, y - my
    w = np.zeros(p) if start is None else start.copy()
    for _ in range(max_iter):
        moved = 0.0
        for j in range(p):
            others = Xc @ w - Xc[:, j] * w[j]
            rho = Xc[:, j] @ (yc - others)  # a sum: the threshold is n * alpha
            new = soft_threshold(rho, n * alpha) / (Xc[:, j] @ Xc[:, j])
            moved = max(moved, abs(new - w[j]))
            w[j] = new
        if moved <= tol:
            break
    return w, float(my - mx @ w)


def lasso_path(X, y, alphas, tol=1e-8, max_iter=10_000):
    columns = []
    w = None
    for a in alphas:
        w, _ = lasso_cd(X, y, a, tol, max_iter, start=w)
        columns.append(w)
    return np.array(columns).T
