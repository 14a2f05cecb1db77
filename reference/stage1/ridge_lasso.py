"""Reference solution for stage1/ridge_lasso: ridge in closed form and the lasso by cyclic
coordinate descent, with scikit-learn's objectives and intercept handling (NumPy only).

Hidden from the learner. Both models centre X and y first, so the intercept is never
penalised: intercept = mean(y) - mean(X, axis=0) @ coef.
"""

import numpy as np


def _centre(X, y):
    """Float64 copies of X (n, p) and y (n,) with their column means removed, and the means."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_mean = X.mean(axis=0)  # (p,)
    y_mean = float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def ridge(X, y, alpha):
    """Minimise ||y - X @ w - b||**2 + alpha * ||w||**2: (coef (p,), intercept float)."""
    Xc, yc, x_mean, y_mean = _centre(X, y)
    p = Xc.shape[1]
    coef = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(p), Xc.T @ yc)  # (p,)
    return coef, y_mean - float(x_mean @ coef)


def ridge_path(X, y, alphas):
    """Ridge coefficients for every alpha: (p, len(alphas)), column k for alphas[k]."""
    Xc, yc, _, _ = _centre(X, y)
    # One SVD serves every alpha: Xc = U S V^T gives coef = V diag(s / (s**2 + alpha)) U^T yc.
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)  # (n, r), (r,), (r, p)
    projected = U.T @ yc  # (r,)
    alphas = np.asarray(alphas, dtype=np.float64)
    shrink = s[:, None] / (s[:, None] ** 2 + alphas[None, :])  # (r, k)
    return Vt.T @ (shrink * projected[:, None])  # (p, k)


def soft_threshold(z, t):
    """sign(z) * max(|z| - t, 0), elementwise, for an array or a number z and t >= 0."""
    z = np.asarray(z, dtype=np.float64)
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _coordinate_descent(Xc, yc, alpha, w, tol, max_iter):
    """Cyclic coordinate descent on centred data from the start w (p,), updated in place."""
    n, p = Xc.shape
    column_scale = (Xc**2).sum(axis=0) / n  # (p,): the curvature along each coordinate
    residual = yc - Xc @ w  # (n,)
    for _ in range(max_iter):
        largest_step = 0.0
        for j in range(p):
            old = w[j]
            # The least-squares optimum along coordinate j, before the penalty: the
            # correlation of column j with the residual that leaves w_j out.
            rho = Xc[:, j] @ residual / n + column_scale[j] * old
            w[j] = soft_threshold(rho, alpha) / column_scale[j]
            if w[j] != old:
                residual -= Xc[:, j] * (w[j] - old)
                largest_step = max(largest_step, abs(w[j] - old))
        if largest_step < tol:
            break
    return w


def lasso_cd(X, y, alpha, tol=1e-8, max_iter=10_000):
    """Minimise ||y - X @ w - b||**2 / (2n) + alpha * ||w||_1 by coordinate descent: (coef (p,), intercept)."""
    Xc, yc, x_mean, y_mean = _centre(X, y)
    coef = _coordinate_descent(Xc, yc, alpha, np.zeros(Xc.shape[1]), tol, max_iter)
    return coef, y_mean - float(x_mean @ coef)


def lasso_path(X, y, alphas, tol=1e-8, max_iter=10_000):
    """Lasso coefficients for every alpha: (p, len(alphas)), each solve warm-started from the last."""
    Xc, yc, _, _ = _centre(X, y)
    coefs = np.zeros((Xc.shape[1], len(alphas)))  # (p, k)
    w = np.zeros(Xc.shape[1])  # (p,)
    for k, alpha in enumerate(alphas):
        w = _coordinate_descent(Xc, yc, float(alpha), w, tol, max_iter)
        coefs[:, k] = w
    return coefs
