"""A correct stage1/ridge_lasso typed along with a lecture: inv() of the centred Gram matrix,
a Python loop over the alphas, soft_threshold with np.where, and coordinate descent that
recomputes the partial residual for every coordinate and compares w with a copy of itself
after each sweep; the path warm-starts each alpha from the last answer."""

import numpy as np


def ridge(X, y, alpha):
    X = np.array(X, dtype=float)
    y = np.array(y, dtype=float)
    x_bar, y_bar = X.mean(axis=0), y.mean()
    Xc, yc = X - x_bar, y - y_bar
    w = np.linalg.inv(Xc.T @ Xc + alpha * np.identity(X.shape[1])) @ Xc.T @ yc
    b = y_bar - x_bar @ w
    return w, float(b)


def ridge_path(X, y, alphas):
    out = np.zeros((np.shape(X)[1], len(alphas)))
    for i in range(len(alphas)):
        out[:, i] = ridge(X, y, alphas[i])[0]
    return out


def soft_threshold(z, t):
    z = np.asarray(z, dtype=float)
    return np.where(z > t, z - t, np.where(z < -t, z + t, 0.0))


def _cd(Xc, yc, alpha, w, tol, max_iter):
    n, p = Xc.shape
    for it in range(max_iter):
        w_old = w.copy()
        for j in range(p):
            r_j = yc - Xc @ w + Xc[:, j] * w[j]  # the residual without coordinate j
            z_j = np.sum(Xc[:, j] ** 2) / n
            w[j] = soft_threshold(np.dot(Xc[:, j], r_j) / n, alpha) / z_j
        if np.max(np.abs(w - w_old)) <= tol:
            break
    return w


def lasso_cd(X, y, alpha, tol=1e-8, max_iter=10_000):
    X = np.array(X, dtype=float)
    y = np.array(y, dtype=float)
    x_bar, y_bar = X.mean(axis=0), y.mean()
    w = _cd(X - x_bar, y - y_bar, alpha, np.zeros(X.shape[1]), tol, max_iter)
    return w, float(y_bar - x_bar @ w)


def lasso_path(X, y, alphas, tol=1e-8, max_iter=10_000):
    X = np.array(X, dtype=float)
    y = np.array(y, dtype=float)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.zeros(X.shape[1])
    path = []
    for a in alphas:
        w = _cd(Xc, yc, a, w.copy(), tol, max_iter)
        path.append(w)
    return np.array(path).T
