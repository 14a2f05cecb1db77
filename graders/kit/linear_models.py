"""Strategies, oracles and trusted NumPy variants for the linear-model graders
(stage1/ridge_lasso, stage1/logreg, stage1/svm).

Oracles call scikit-learn in float64 with tolerances far tighter than the checks', so the
oracle's own error never decides a verdict. The NumPy variants here compute what a known
wrong solution returns (a penalised intercept, a missing soft threshold, ...) so that a
failure can be named for what it is; they run in the judge and are trusted code.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.kit.strategies import RegressionProblem, condition_number, grid_arrays, grid_floats

# -- regression problems for ridge and lasso -------------------------------------------------


@st.composite
def penalised_regression(draw, min_rows=4, max_rows=20, max_features=4, max_condition=10.0) -> RegressionProblem:
    """A full-rank problem on a grid of quarters whose centred X has condition number at most
    `max_condition`: coordinate descent then converges in a few hundred sweeps at most."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(max(min_rows, p + 2), max(max_rows, p + 3)))
    X = draw(grid_arrays((n, p), -3, 3))
    assume(condition_number(X) <= max_condition)
    coef = draw(grid_arrays((p,), -3, 3))
    intercept = draw(grid_floats(-3, 3))
    y = X @ coef + intercept + draw(grid_arrays((n,), -1, 1, 0.125))
    assume(np.ptp(y) > 0)  # a constant y makes every penalised answer zero: nothing to test
    return RegressionProblem(X, y, coef, intercept)


def centred(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(X - mean(X), y - mean(y), mean(X) (p,), mean(y))."""
    x_mean = X.mean(axis=0)
    y_mean = float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def lasso_alpha_max(X: np.ndarray, y: np.ndarray) -> float:
    """The smallest alpha at which the lasso (1/(2n) objective, with intercept) is all zeros."""
    Xc, yc, _, _ = centred(X, y)
    return float(np.abs(Xc.T @ yc).max() / len(y))


# -- oracles ---------------------------------------------------------------------------------


def sklearn_ridge(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """scikit-learn's Ridge(alpha) coef_ (p,) and intercept_, solved exactly (cholesky)."""
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=alpha, solver="cholesky").fit(np.asarray(X, float), np.asarray(y, float))
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def sklearn_lasso(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """scikit-learn's Lasso(alpha) coef_ (p,) and intercept_, converged far past 1e-6."""
    from sklearn.linear_model import Lasso

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Lasso(alpha=alpha, tol=1e-15, max_iter=1_000_000).fit(np.asarray(X, float), np.asarray(y, float))
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def sklearn_lasso_path(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """scikit-learn's lasso_path on centred X and y (= Lasso with an intercept): coefs (p, k)."""
    from sklearn.linear_model import lasso_path

    Xc, yc, _, _ = centred(np.asarray(X, float), np.asarray(y, float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, coefs, _ = lasso_path(Xc, yc, alphas=np.asarray(alphas, float), tol=1e-15, max_iter=1_000_000)
    return np.asarray(coefs, dtype=np.float64)


def ordinary_least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The unpenalised least-squares coef_ and intercept_ (full-rank X)."""
    Xc, yc, x_mean, y_mean = centred(X, y)
    coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    return coef, y_mean - float(x_mean @ coef)


# -- known wrong variants (for diagnoses) ----------------------------------------------------


def ridge_penalising_intercept(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge on [X, 1] with the intercept inside the penalty: (coef (p,), intercept)."""
    A = np.hstack([X, np.ones((len(X), 1))])  # (n, p + 1)
    theta = np.linalg.solve(A.T @ A + alpha * np.eye(A.shape[1]), A.T @ y)
    return theta[:-1], float(theta[-1])


def ridge_uncentred_no_intercept(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge through the origin on uncentred X and y: coef (p,)."""
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)


def coordinate_descent(X: np.ndarray, y: np.ndarray, alpha: float, threshold: bool = True, factor: float = 1.0,
                       n_sweeps: int = 100_000, tol: float = 1e-13) -> tuple[np.ndarray, float]:
    """Cyclic coordinate descent for the lasso with an intercept. Wrong variants:
    `threshold=False` leaves out the soft threshold, `factor` multiplies the threshold
    (1/n for an objective without the 1/(2n), 1/2 for one without the 1/2), `n_sweeps`
    stops early."""
    Xc, yc, x_mean, y_mean = centred(X, y)
    n, p = Xc.shape
    w = np.zeros(p)
    r = yc.copy()  # (n,) residual of the current w
    z = (Xc**2).sum(axis=0) / n  # (p,)
    for _ in range(n_sweeps):
        largest = 0.0
        for j in range(p):
            old = w[j]
            rho = Xc[:, j] @ r / n + z[j] * old
            t = alpha * factor
            w[j] = np.sign(rho) * max(abs(rho) - t, 0.0) / z[j] if threshold else rho / z[j]
            r -= Xc[:, j] * (w[j] - old)
            largest = max(largest, abs(w[j] - old))
        if largest < tol:
            break
    return w, y_mean - float(x_mean @ w)


# -- classification problems for logistic regression and the SVM ------------------------------


@dataclass
class LabelledProblem:
    """Features X (n, p) float64, integer labels y (n,) in 0..k-1 with every class present."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int = field(default=2)


@st.composite
def logistic_problems(draw, n_classes=(2,), min_rows=8, max_rows=30, max_features=4, labels=None) -> LabelledProblem:
    """Points on a grid of quarters with labels drawn from a softmax model of moderate
    weights: classes overlap, so the maximum-likelihood weights stay moderate too. Every
    class has at least two members. `labels` (sorted) renames classes 0..k-1."""
    k = draw(st.sampled_from(list(n_classes)))
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(max(min_rows, 3 * k), max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = np.round(rng.normal(scale=1.5, size=(n, p)) * 4) / 4  # (n, p)
    W = rng.normal(scale=1.5, size=(k, p))  # (k, p)
    P = softmax(X @ W.T + rng.normal(scale=0.5, size=k))  # (n, k)
    codes = (P.cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1).clip(0, k - 1)
    codes[: 2 * k] = np.repeat(np.arange(k), 2)  # every class at least twice
    codes = rng.permutation(codes)
    names = np.arange(k) if labels is None else np.asarray(draw(labels(k)))
    return LabelledProblem(X, names[codes].astype(np.int64), k)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of Z (n, k), computed without overflow."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def stable_sigmoid(z) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_log_loss(X, y, w, b) -> float:
    """Mean cross-entropy of labels y in {0, 1} under sigmoid(X @ w + b), exact at any logit."""
    z = X @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


_CONTROLLER = []  # one threadpoolctl controller, made on first use (it scans the loaded libraries)


def _single_thread():
    """Run scikit-learn's OpenMP loops on one thread: on a busy 2-core machine its threads
    spin for ~0.2 s per small fit; single-threaded the same fit takes ~15 ms."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="openmp")


def sklearn_logistic(X, y, C: float):
    """scikit-learn's LogisticRegression(C) (lbfgs, converged far past 1e-6): the fitted model."""
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings(), _single_thread():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(np.asarray(X, float), np.asarray(y))


def sklearn_one_vs_rest(X, y, C: float) -> tuple[np.ndarray, np.ndarray]:
    """coef_ (k, p) and intercept_ (k,) of k binary logistic regressions, class c against the rest."""
    rows = [sklearn_logistic(X, (y == c).astype(int), C) for c in np.unique(y)]
    return np.vstack([m.coef_ for m in rows]), np.concatenate([m.intercept_ for m in rows])


def newton_logistic(X, y, C: float, penalise_intercept: bool = False, fit_intercept: bool = True,
                    tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Minimise C * sum(loss) + ||coef||**2 / 2 by Newton's method (binary when y has two
    classes, softmax otherwise): coef (1 or k, p), intercept (1 or k,). The switches give
    the wrong variants a learner writes: a penalised intercept, no intercept at all."""
    X = np.asarray(X, dtype=np.float64)
    _, codes = np.unique(y, return_inverse=True)
    k = int(codes.max()) + 1
    Y = codes.reshape(-1, 1).astype(float) if k == 2 else np.eye(k)[codes]  # (n, 1) or (n, k)
    A = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X  # (n, d)
    d, m = A.shape[1], Y.shape[1]
    penalised = np.ones(d)
    if fit_intercept and not penalise_intercept:
        penalised[-1] = 0.0

    def evaluate(theta):
        W = theta.reshape(m, d)
        Z = A @ W.T  # (n, m)
        if m == 1:
            P = stable_sigmoid(Z)
            loss = np.sum(np.logaddexp(0.0, Z) - Y * Z)
            H = C * (A.T * (P * (1 - P))[:, 0]) @ A
        else:
            P = softmax(Z)
            loss = np.sum(np.logaddexp.reduce(Z, axis=1) - np.sum(Y * Z, axis=1))
            H = np.zeros((m * d, m * d))
            for a in range(m):
                for c in range(m):
                    H[a * d:(a + 1) * d, c * d:(c + 1) * d] = C * (A.T * (P[:, a] * ((a == c) - P[:, c]))) @ A
        f = C * loss + 0.5 * np.sum(W**2 * penalised)
        g = (C * (P - Y).T @ A + W * penalised).reshape(-1)
        return f, g, H + np.diag(np.tile(penalised, m))

    theta = np.zeros(m * d)
    f, g, H = evaluate(theta)
    for _ in range(max_iter):
        if np.abs(g).max() <= tol:
            break
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        t = 1.0
        while True:
            f_new, g_new, H_new = evaluate(theta + t * step)
            if f_new <= f + 1e-4 * t * (g @ step) or t < 1e-10:
                break
            t /= 2
        theta, f, g, H = theta + t * step, f_new, g_new, H_new
    W = theta.reshape(m, d)
    return (W[:, :-1], W[:, -1]) if fit_intercept else (W, np.zeros(m))


# -- two-class problems for the SVM -----------------------------------------------------------


@dataclass
class SVMProblem:
    """Training rows X (n, p) on a grid of eighths with two-class labels y (n,), held-out
    rows X_test (m, p) off that grid (no held-out point sits exactly on a boundary through
    grid points), and the hyperparameters to fit with."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = field(repr=False)
    kernel: str = "linear"
    C: float = 1.0
    gamma: float = 1.0


@st.composite
def svm_problems(draw, kernels=("linear", "rbf"), Cs=(0.1, 1.0, 10.0), min_rows=10, max_rows=36,
                 max_features=3, separation=(2.0, 5.0), labels=((0, 1), (-1, 1), (3, 8))) -> SVMProblem:
    """Two Gaussian blobs `separation` standard deviations apart (separable-ish: a few
    points stray across), with both classes present at least twice."""
    n = draw(st.integers(min_rows, max_rows))
    p = draw(st.integers(1, max_features))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sep = rng.uniform(*separation)
    direction = rng.normal(size=p)
    direction /= np.linalg.norm(direction)

    def blobs(m):
        codes = rng.integers(0, 2, m)
        codes[:4] = [0, 1, 0, 1]
        offsets = np.outer(np.where(codes == 1, 0.5, -0.5) * sep, direction)  # (m, p)
        return rng.normal(size=(m, p)) + offsets, codes

    X, codes = blobs(n)
    X = np.round(X * 8) / 8
    X_test, _ = blobs(300)
    names = np.array(draw(st.sampled_from(list(labels))))
    kernel = draw(st.sampled_from(list(kernels)))
    gamma = draw(st.sampled_from([0.1, 0.5, 1.0])) if kernel == "rbf" else 1.0
    return SVMProblem(X, names[codes].astype(np.int64), X_test, kernel, draw(st.sampled_from(list(Cs))), gamma)


def sklearn_svc(problem: SVMProblem):
    """scikit-learn's SVC with the problem's kernel, C and gamma, solved to tol 1e-8."""
    from sklearn.svm import SVC

    return SVC(C=problem.C, kernel=problem.kernel, gamma=problem.gamma, tol=1e-8).fit(problem.X, problem.y)


def kkt_violations(alpha: np.ndarray, margins: np.ndarray, C: float) -> np.ndarray:
    """How far each point is from the SVM's optimality conditions, in units of the margin
    y_i f(x_i): alpha = 0 needs margin >= 1, 0 < alpha < C needs margin = 1, alpha = C
    needs margin <= 1. Multipliers within 1e-8 * C of a bound count as at the bound."""
    at_zero = alpha <= 1e-8 * C
    at_c = alpha >= C * (1 - 1e-8)
    free = ~at_zero & ~at_c
    return np.where(at_zero, np.maximum(0.0, 1.0 - margins),
                    np.where(at_c, np.maximum(0.0, margins - 1.0), np.abs(margins - 1.0) * free))


# -- fixed problems: the structural cases every grading tries (explicit examples) -------------


def logistic_problem(seed: int, k: int, n: int, p: int, labels=None, scale: float = 1.5) -> LabelledProblem:
    """Like logistic_problems, from a fixed seed: points with two decimals (off the binary grid,
    printed exactly), labels from a softmax model, every class at least twice; `labels` (k sorted
    integers) renames classes 0..k-1."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(scale=scale, size=(n, p)), 2)  # (n, p)
    W = rng.normal(scale=1.5, size=(k, p))  # (k, p)
    P = softmax(X @ W.T + rng.normal(scale=0.5, size=k))  # (n, k)
    codes = (P.cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1).clip(0, k - 1)
    codes[: 2 * k] = np.repeat(np.arange(k), 2)  # every class at least twice
    codes = rng.permutation(codes)
    names = np.arange(k) if labels is None else np.asarray(labels)
    return LabelledProblem(X, names[codes].astype(np.int64), k)


def svm_problem(seed: int, n: int, p: int, kernel: str = "linear", C: float = 1.0, gamma: float = 1.0,
                separation: float = 3.0, labels=(0, 1)) -> SVMProblem:
    """Like svm_problems, from a fixed seed: two Gaussian blobs `separation` standard deviations
    apart, training rows on a grid of eighths, 300 held-out rows off it."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=p)
    direction /= np.linalg.norm(direction)

    def blobs(m):
        codes = rng.integers(0, 2, m)
        codes[:4] = [0, 1, 0, 1]
        offsets = np.outer(np.where(codes == 1, 0.5, -0.5) * separation, direction)  # (m, p)
        return rng.normal(size=(m, p)) + offsets, codes

    X, codes = blobs(n)
    X_test, _ = blobs(300)
    return SVMProblem(np.round(X * 8) / 8, np.asarray(labels)[codes].astype(np.int64), X_test, kernel, C, gamma)
