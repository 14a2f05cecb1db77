"""Ridge and lasso regression from scratch (NumPy only).

Both add a penalty on the weights w to least squares, and both leave the bias b alone:

- ridge (L2):  minimise  ||y - X @ w - b||**2 + alpha * ||w||**2
  (scikit-learn's `Ridge`: a plain sum of squares, no 1/n);
- lasso (L1):  minimise  ||y - X @ w - b||**2 / (2 * n) + alpha * sum(|w_j|)
  (scikit-learn's `Lasso`: note the 1/(2n) in front of the squares).

Write:

1. `ridge(X, y, alpha)`: the ridge solution in closed form.
2. `ridge_path(X, y, alphas)`: ridge coefficients for several alphas at once.
3. `soft_threshold(z, t)`: the shrink-towards-zero operator at the heart of the lasso.
4. `lasso_cd(X, y, alpha, tol, max_iter)`: the lasso by cyclic coordinate descent.
5. `lasso_path(X, y, alphas, tol, max_iter)`: lasso coefficients for several alphas.

Every function fits an intercept the way scikit-learn does: the intercept is not part of
the penalty. Subtracting the column means of X and the mean of y takes it out of the
problem; afterwards intercept = mean(y) - mean(X, axis=0) @ coef.

Coordinate descent starts from w = 0 and visits the coordinates j = 0, 1, ..., p-1 in
turn, each time setting w_j to its exact minimiser with the others held fixed. Stop after
the first full sweep in which no coefficient moved by more than `tol`, or after `max_iter`
sweeps (one sweep = one pass over all p coordinates). The grader asks for a small tol and
compares your answers with scikit-learn's to 1e-6; it also stops you early (max_iter of a
few sweeps, or a tol so large that the first sweep is the last) and compares where you
stand with those exact sweeps. lasso_path hands its tol and max_iter on to every alpha's
solve; each solve may start from zero or from the previous alpha's answer (a warm start).
Inputs include Gaussian data, a single feature, and more features than rows.
You may not import scikit-learn, SciPy or PyTorch here.
"""

import numpy as np


def ridge(X, y, alpha):
    """Ridge regression for X (n, p) float64, y (n,) float64, alpha >= 0: (coef (p,) float64, intercept float)."""
    raise NotImplementedError("TODO: centre, then solve (Xc.T @ Xc + alpha * I) w = Xc.T @ yc")


def ridge_path(X, y, alphas):
    """Ridge coefficients (p, k) float64 for X (n, p), y (n,) and alphas (k,): column i belongs to alphas[i]."""
    raise NotImplementedError("TODO: the ridge coef_ for each alpha, as the columns of one array")


def soft_threshold(z, t):
    """sign(z) * max(|z| - t, 0) elementwise, for z a float or an array and t >= 0; same shape as z."""
    raise NotImplementedError("TODO: shrink z towards 0 by t, stopping at 0")


def lasso_cd(X, y, alpha, tol=1e-8, max_iter=10_000):
    """Lasso by coordinate descent for X (n, p), y (n,), alpha >= 0: (coef (p,) float64, intercept float)."""
    raise NotImplementedError("TODO: cyclic coordinate descent with soft_threshold")


def lasso_path(X, y, alphas, tol=1e-8, max_iter=10_000):
    """Lasso coefficients (p, k) float64 for X (n, p), y (n,) and decreasing alphas (k,): column i for alphas[i]."""
    raise NotImplementedError("TODO: lasso_cd for each alpha (starting each from the previous answer helps)")
