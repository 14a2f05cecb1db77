"""Grader for stage1/ridge_lasso: ridge in closed form, the lasso by coordinate descent.

Every expected answer comes from scikit-learn (`Ridge`, `Lasso`, `lasso_path`, converged
far past the checks' 1e-6) or from the definitions. Lasso problems draw alpha as a
fraction of alpha_max = max|Xc.T @ yc| / n, the smallest alpha at which every weight is
zero, so that each problem has some weights at zero and some not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sklearn.linear_model  # noqa: F401 - the oracle's import overlaps the learner process's start-up
from hypothesis import strategies as st

from mldojo.graders.kit import (
    CheckFailed,
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_scalar,
    check,
    example,
    fail,
    given,
)
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.linear_models import (
    centred,
    coordinate_descent,
    lasso_alpha_max,
    ordinary_least_squares,
    penalised_regression,
    ridge_penalising_intercept,
    ridge_uncentred_no_intercept,
    sklearn_lasso,
    sklearn_lasso_path,
    sklearn_ridge,
)
from mldojo.graders.kit.strategies import RegressionProblem, grid_arrays, grid_floats

VERSION = "2"

TOL = 1e-12  # the tol the checks pass to lasso_cd / lasso_path
MAX_ITER = 100_000
MATCH = 1e-6  # rtol and atol against scikit-learn
RIDGE_ALPHAS = [0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0]
LASSO_FRACTIONS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9]  # of alpha_max
SWEEPS = [1, 2, 3, 5]  # max_iter for the checks that stop coordinate descent early
EARLY = 1e-9  # rtol and atol against the trusted sweeps: a few exact sweeps differ by rounding only
HUGE_TOL = 1e6  # a tol no coordinate's move exceeds: coordinate descent must stop after one sweep
DEFAULT_TOL, DEFAULT_MAX_ITER = 1e-8, 10_000  # the stub's defaults: what a learner who ignores them uses


# -- inputs tried on every grading ---------------------------------------------------------


def correlated_problem(seed: int, n: int, p: int, correlation: float = 0.8) -> RegressionProblem:
    """Gaussian features with three decimals (off the binary grid, printed exactly) whose columns
    correlate: coordinate descent needs many sweeps, so stopping early shows."""
    rng = np.random.default_rng(seed)
    mix = np.full((p, p), correlation) + (1 - correlation) * np.eye(p)
    X = np.round(rng.normal(size=(n, p)) @ np.linalg.cholesky(mix).T * 1.5 + rng.normal(size=p), 3)  # (n, p)
    coef = rng.uniform(-3, 3, size=p)
    y = np.round(X @ coef + 1.0 + 0.5 * rng.normal(size=n), 3)
    return RegressionProblem(X, y, coef, 1.0)


CORRELATED = correlated_problem(7, 12, 3)
ONE_FEATURE = correlated_problem(8, 9, 1)
MORE_FEATURES_THAN_ROWS = correlated_problem(9, 4, 6, correlation=0.3)


@dataclass
class StoppingCase:
    """A problem X (n, p), y (n,), the alpha to solve it at, and the stopping settings to pass."""

    X: np.ndarray
    y: np.ndarray
    alpha: float
    tol: float
    max_iter: int

    @property
    def sweeps(self) -> int:
        """How many sweeps the stated rule takes: one when tol is huge, else max_iter (tol is tiny)."""
        return 1 if self.tol >= HUGE_TOL else self.max_iter


def stopping_case(problem: RegressionProblem, fraction: float, max_iter: int | None) -> StoppingCase:
    """max_iter sweeps with a tiny tol, or (max_iter None) a huge tol with a large max_iter."""
    alpha = lasso_alpha_max(problem.X, problem.y) * fraction
    return StoppingCase(problem.X, problem.y, alpha, TOL if max_iter else HUGE_TOL, max_iter or MAX_ITER)


@st.composite
def stopping_cases(draw) -> StoppingCase:
    """A grid problem, alpha a fraction of alpha_max, and either a few sweeps or a huge tol."""
    problem = draw(penalised_regression())
    return stopping_case(problem, draw(st.sampled_from(LASSO_FRACTIONS[:4])), draw(st.sampled_from([None, *SWEEPS])))


# -- helpers -------------------------------------------------------------------------------


def _coef_and_intercept(result, call: str, p: int) -> tuple[np.ndarray, float]:
    """The learner's (coef, intercept) pair, failing clearly on any other shape."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        shape = f" of shape {np.shape(result)}" if isinstance(result, np.ndarray) else ""
        fail(f"{call} must return a pair (coef, intercept); got {type(result).__name__}{shape}: {show(result)}",
             result)
    coef, intercept = result
    if np.shape(coef) == (p + 1,):
        fail(f"coef has shape {(p + 1,)} for p={p} features: return the intercept separately, not inside coef",
             coef)
    coef = as_array(coef, "coef", (p,))
    return coef, assert_scalar(intercept, "intercept")


def _path(result, call: str, p: int, k: int) -> np.ndarray:
    """The learner's path as a (p, k) array."""
    with after_calling(call):
        if np.shape(result) == (k, p) and p != k:
            fail(f"the path has shape {(k, p)}: return one column per alpha, shape (p, k) = {(p, k)} "
                 "(transpose it), the layout scikit-learn's lasso_path uses", result)
        return as_array(result, "coefs", (p, k))


def _ridge_mistakes(X, y, alpha):
    """Wrong ridge coef values: the intercept penalised, alpha rescaled or ignored, no centring."""
    n = len(y)
    return [
        Diagnosis("coef is ridge with the intercept inside the penalty: centre X and y (or leave the column of "
                  "ones out of alpha * I), so that only w is shrunk",
                  lambda: ridge_penalising_intercept(X, y, alpha)[0]),
        Diagnosis(f"coef is ridge with alpha * n (n={n}): the ridge objective here is the plain sum of squares, "
                  "without the 1/n of a mean", lambda: sklearn_ridge(X, y, alpha * n)[0]),
        Diagnosis(f"coef is ridge with alpha * 2n (n={n}): that is the lasso's 1/(2n) scaling; ridge uses the "
                  "plain sum of squares", lambda: sklearn_ridge(X, y, alpha * 2 * n)[0]),
        Diagnosis("coef is ridge with alpha / 2: the penalty is alpha * ||w||**2, so its gradient is "
                  "2 * alpha * w, matching the 2 in the gradient of the squares", lambda: sklearn_ridge(X, y, alpha / 2)[0]),
        Diagnosis("coef is the unpenalised least-squares answer: alpha never reached the solve",
                  lambda: ordinary_least_squares(X, y)[0]),
        Diagnosis(f"ridge ignores alpha: coef is Ridge(alpha=1)'s, not alpha={alpha:g}'s",
                  lambda: sklearn_ridge(X, y, 1.0)[0]),
        Diagnosis("coef is ridge through the origin on uncentred data: subtract the column means of X and the "
                  "mean of y before solving", lambda: ridge_uncentred_no_intercept(X, y, alpha)),
    ]


def _lasso_mistakes(X, y, alpha):
    """Wrong lasso coef values a learner's coordinate descent produces."""
    n = len(y)
    return [
        Diagnosis("coef is what coordinate descent reaches without the soft threshold (plain least squares): "
                  "each update must be soft_threshold(rho, alpha) / (column's squared norm / n)",
                  lambda: coordinate_descent(X, y, alpha, threshold=False)[0]),
        Diagnosis(f"coef is the lasso with alpha / n (n={n}): the threshold here is alpha on rho computed with a "
                  "1/n (the 1/(2n) objective); with sums instead of means it must be n * alpha",
                  lambda: coordinate_descent(X, y, alpha, factor=1.0 / n)[0]),
        Diagnosis("coef is the lasso with alpha / 2: the objective has 1/(2n) in front of the squares, so the "
                  "threshold on rho = X_j @ r / n is alpha itself", lambda: coordinate_descent(X, y, alpha, factor=0.5)[0]),
        Diagnosis("coef is the lasso with 2 * alpha: the objective has 1/(2n), not 1/n, in front of the squares",
                  lambda: coordinate_descent(X, y, alpha, factor=2.0)[0]),
        Diagnosis("coef is where coordinate descent stands after one sweep: keep sweeping until no coefficient "
                  "moves by more than tol (or max_iter sweeps)", lambda: coordinate_descent(X, y, alpha, n_sweeps=1)[0]),
        Diagnosis(f"lasso_cd ignores alpha: coef is the lasso at alpha=1, not alpha={alpha:.6g}",
                  lambda: coordinate_descent(X, y, 1.0)[0]),
    ]


def _intercept_mistakes(X, y):
    return [
        Diagnosis("intercept is mean(y): subtract mean(X, axis=0) @ coef from it", lambda: y.mean()),
        Diagnosis("intercept is 0.0: with centred X and y, intercept = mean(y) - mean(X, axis=0) @ coef",
                  lambda: 0.0),
    ]


def _sweeps(X, y, alpha, n_sweeps, start=None, max_updates=None) -> np.ndarray:
    """[*coef, intercept] after n_sweeps cyclic sweeps from `start` (zeros), on centred data;
    `max_updates` stops after that many single-coordinate updates instead (a wrong reading of max_iter)."""
    Xc, yc, x_mean, y_mean = centred(X, y)
    n, p = Xc.shape
    w = np.zeros(p) if start is None else np.array(start, dtype=np.float64)
    scale = (Xc**2).sum(axis=0) / n  # (p,)
    r = yc - Xc @ w  # (n,)
    updates = 0
    for _ in range(n_sweeps):
        for j in range(p):
            if max_updates is not None and updates == max_updates:
                return np.append(w, y_mean - x_mean @ w)
            rho = Xc[:, j] @ r / n + scale[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - alpha, 0.0) / scale[j]
            r -= Xc[:, j] * (new - w[j])
            w[j] = new
            updates += 1
    return np.append(w, y_mean - x_mean @ w)


def _path_sweeps(X, y, alphas, n_sweeps, warm: bool) -> np.ndarray:
    """(p, k): n_sweeps sweeps per alpha, each from the previous column (warm) or from zero (cold)."""
    columns, start = [], None
    for alpha in alphas:
        start = _sweeps(X, y, alpha, n_sweeps, start if warm else None)[:-1]
        columns.append(start)
    return np.column_stack(columns)


def _alpha_and_fraction(problem, fraction):
    return lasso_alpha_max(problem.X, problem.y) * fraction


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@example(z=np.array([-2.5, -0.5, 0.0, 0.5, 0.25, 3.0]), t=0.5)  # zero and |z| == t: the edges of the threshold
@example(z=-1.75, t=0.5)  # a plain float
@example(z=np.array([1.234, -0.071, -2.718, 0.0]), t=0.0)  # t = 0 changes nothing; off-grid values
@given(z=st.one_of(grid_floats(-4, 4), st.integers(1, 8).flatmap(lambda n: grid_arrays((n,), -4, 4))),
       t=grid_floats(0, 3))
def soft_threshold_matches_its_definition(learner, z, t):
    """soft_threshold(z, t) equals sign(z) * max(|z| - t, 0) elementwise (to 1e-12), for numbers and arrays."""
    expected = np.sign(z) * np.maximum(np.abs(z) - t, 0.0)
    got = learner.soft_threshold(z, t)
    mistakes = [
        Diagnosis("soft_threshold is the hard threshold: it zeroes the small entries but must also shrink the "
                  "others by t", lambda: np.where(np.abs(z) > t, z, 0.0)),
        Diagnosis("soft_threshold loses the sign: multiply max(|z| - t, 0) by sign(z)",
                  lambda: np.maximum(np.abs(z) - t, 0.0)),
        Diagnosis("soft_threshold shrinks by t but does not stop at 0: entries with |z| < t must become 0, "
                  "not cross to the other side", lambda: z - t * np.sign(z)),
        Diagnosis("soft_threshold is max(z - t, 0): that handles positive z only; negative z below -t must "
                  "become z + t", lambda: np.maximum(z - t, 0.0)),
        Diagnosis("soft_threshold returns z unchanged: it ignores t", lambda: np.asarray(z, dtype=np.float64)),
    ]
    assert_close(got, expected, what=f"soft_threshold(z, t={t:g})", rtol=1e-12, atol=1e-12, diagnoses=mistakes)


@check(examples=20)
@example(problem=CORRELATED, alpha=0.1)
@example(problem=ONE_FEATURE, alpha=2.0)
@example(problem=MORE_FEATURES_THAN_ROWS, alpha=0.5)
@given(problem=penalised_regression(), alpha=st.sampled_from(RIDGE_ALPHAS))
def ridge_matches_sklearn_Ridge(learner, problem, alpha):
    """ridge(X, y, alpha) gives scikit-learn Ridge(alpha)'s coef_ and intercept_ (rtol 1e-6, atol 1e-6)."""
    X, y = problem.X, problem.y
    call = f"ridge(X, y, alpha={alpha:g})"
    want_coef, want_intercept = sklearn_ridge(X, y, alpha)
    with after_calling(call):
        coef, intercept = _coef_and_intercept(learner.ridge(X, y, alpha), call, X.shape[1])
        assert_close(coef, want_coef, what="coef", rtol=MATCH, atol=MATCH, diagnoses=_ridge_mistakes(X, y, alpha))
        mistakes = [Diagnosis("intercept is penalised along with w: it must be mean(y) - mean(X, axis=0) @ coef",
                              lambda: ridge_penalising_intercept(X, y, alpha)[1]), *_intercept_mistakes(X, y)]
        assert_close(intercept, want_intercept, what="intercept", rtol=MATCH, atol=MATCH, diagnoses=mistakes)


@check(examples=10)
@example(problem=CORRELATED, picks=[5.0, 0.1, 20.0, 1.0])  # not sorted, either way
@given(problem=penalised_regression(), picks=st.lists(st.sampled_from(RIDGE_ALPHAS), min_size=1, max_size=5, unique=True))
def ridge_path_gives_ridge_for_every_alpha(learner, problem, picks):
    """ridge_path(X, y, alphas) has shape (p, k) and column i is Ridge(alphas[i]).coef_ (rtol 1e-6, atol 1e-6)."""
    X, y = problem.X, problem.y
    alphas = np.array(picks, dtype=np.float64)  # in the drawn order, not sorted
    call = f"ridge_path(X, y, alphas={show(alphas)})"
    coefs = _path(learner.ridge_path(X, y, alphas), call, X.shape[1], len(alphas))
    expected = np.column_stack([sklearn_ridge(X, y, a)[0] for a in alphas])  # (p, k)
    mistakes = [Diagnosis("the columns come in sorted order: column i must belong to alphas[i] as given",
                          lambda: expected[:, np.argsort(alphas)]),
                *_columnwise([_ridge_mistakes(X, y, a) for a in alphas])]
    with after_calling(call):
        assert_close(coefs, expected, what="coefs", rtol=MATCH, atol=MATCH, diagnoses=mistakes)


@check(examples=20)
@example(problem=CORRELATED, fraction=0.05)
@example(problem=ONE_FEATURE, fraction=0.2)
@example(problem=MORE_FEATURES_THAN_ROWS, fraction=0.1)
@given(problem=penalised_regression(), fraction=st.sampled_from(LASSO_FRACTIONS))
def lasso_cd_matches_sklearn_Lasso(learner, problem, fraction):
    """lasso_cd(X, y, alpha, tol=1e-12) gives scikit-learn Lasso(alpha)'s coef_ and intercept_ (rtol 1e-6, atol 1e-6)."""
    X, y = problem.X, problem.y
    alpha = _alpha_and_fraction(problem, fraction)
    call = f"lasso_cd(X, y, alpha={alpha:.6g}, tol={TOL:g}, max_iter={MAX_ITER})  [alpha = {fraction:g} * alpha_max]"
    want_coef, want_intercept = sklearn_lasso(X, y, alpha)
    with after_calling(call):
        coef, intercept = _coef_and_intercept(learner.lasso_cd(X, y, alpha, tol=TOL, max_iter=MAX_ITER), call, X.shape[1])
        assert_close(coef, want_coef, what="coef", rtol=MATCH, atol=MATCH, diagnoses=_lasso_mistakes(X, y, alpha))
        assert_close(intercept, want_intercept, what="intercept", rtol=MATCH, atol=MATCH,
                     diagnoses=_intercept_mistakes(X, y))


@check(examples=10)
@example(problem=CORRELATED, factor=1.0)
@given(problem=penalised_regression(), factor=st.sampled_from([1.0, 1.001, 1.5, 3.0, 100.0]))
def alpha_at_or_above_alpha_max_gives_all_zero_weights(learner, problem, factor):
    """With alpha >= alpha_max = max|Xc.T @ yc| / n, lasso_cd returns coef = 0 (to 1e-12) and intercept = mean(y)."""
    X, y = problem.X, problem.y
    alpha = _alpha_and_fraction(problem, factor)
    call = f"lasso_cd(X, y, alpha={alpha:.6g}, tol={TOL:g}, max_iter={MAX_ITER})  [alpha = {factor:g} * alpha_max]"
    with after_calling(call):
        coef, intercept = _coef_and_intercept(learner.lasso_cd(X, y, alpha, tol=TOL, max_iter=MAX_ITER), call, X.shape[1])
        if np.abs(coef).max() > 1e-12:
            fail(f"coef: got {show(coef)}, expected all zeros: at alpha >= alpha_max the penalty outweighs what any "
                 "weight could gain, so the soft threshold must set every weight to exactly 0", coef,
                 diagnoses=_lasso_mistakes(X, y, alpha), passes=lambda value: bool(np.abs(value).max() <= 1e-12))
        assert_close(intercept, y.mean(), what="intercept", rtol=1e-9, atol=1e-9, diagnoses=[
            Diagnosis("intercept is 0.0: with every weight at zero the best intercept is mean(y)", lambda: 0.0)])


@check(examples=10)
@example(problem=CORRELATED, fractions=[0.7, 0.3, 0.1, 0.05])  # warm starts matter: every column nonzero
@example(problem=MORE_FEATURES_THAN_ROWS, fractions=[1.2, 0.5, 0.1])
@given(problem=penalised_regression(),
       fractions=st.lists(st.sampled_from([1.2, 1.0, *LASSO_FRACTIONS, 0.01]), min_size=1, max_size=5, unique=True))
def lasso_path_matches_sklearn_lasso_path(learner, problem, fractions):
    """lasso_path(X, y, alphas) (decreasing alphas) has shape (p, k) and equals scikit-learn's lasso_path on centred data (1e-6)."""
    X, y = problem.X, problem.y
    alphas = lasso_alpha_max(X, y) * np.array(sorted(fractions, reverse=True))  # (k,) decreasing
    call = f"lasso_path(X, y, alphas={show(alphas)}, tol={TOL:g}, max_iter={MAX_ITER})"
    coefs = _path(learner.lasso_path(X, y, alphas, tol=TOL, max_iter=MAX_ITER), call, X.shape[1], len(alphas))
    expected = sklearn_lasso_path(X, y, alphas)  # (p, k)
    mistakes = [
        Diagnosis("every column is the answer for alphas[0]: solve again for each alpha",
                  lambda: np.repeat(expected[:, :1], len(alphas), axis=1)),
        Diagnosis("the columns are in reverse order: column i belongs to alphas[i]", lambda: expected[:, ::-1]),
        Diagnosis("the path is the lasso without centring (no intercept): centre X and y as lasso_cd does",
                  lambda: _uncentred_path(X, y, alphas)),
        Diagnosis("every column is the answer for the last alpha: the columns are one array updated in place "
                  "(a warm start that is never copied); store w.copy() for each alpha",
                  lambda: np.repeat(expected[:, -1:], len(alphas), axis=1)),
        Diagnosis("each column is what coordinate descent reaches from the previous column with the residual "
                  "of w = 0: after a warm start the residual must be yc - Xc @ w for that starting w",
                  lambda: _stale_residual_path(X, y, alphas)),
        *_columnwise([_lasso_mistakes(X, y, a)[1:4] for a in alphas]),
    ]
    with after_calling(call):
        assert_close(coefs, expected, what="coefs", rtol=MATCH, atol=MATCH, diagnoses=mistakes)


def _columnwise(per_alpha: list[list[Diagnosis]]) -> list[Diagnosis]:
    """The same mistake made for every alpha: its answers stacked as the columns of a path."""
    first = per_alpha[0]
    return [Diagnosis(first[i].message.replace("coef is", "every column is"),
                      lambda i=i: np.column_stack([row[i].wrong_answer() for row in per_alpha]))
            for i in range(len(first))]


def _stale_residual_path(X, y, alphas) -> np.ndarray:
    """(p, k): warm-started coordinate descent whose residual starts as yc (the residual of w = 0)."""
    Xc, yc, _, _ = centred(X, y)
    n, p = Xc.shape
    scale = (Xc**2).sum(axis=0) / n
    w, columns = np.zeros(p), []
    for alpha in alphas:
        r = yc.copy()  # the bug: w is not zero here after the first alpha
        for _ in range(100_000):
            largest = 0.0
            for j in range(p):
                rho = Xc[:, j] @ r / n + scale[j] * w[j]
                new = np.sign(rho) * max(abs(rho) - alpha, 0.0) / scale[j]
                r -= Xc[:, j] * (new - w[j])
                largest, w[j] = max(largest, abs(new - w[j])), new
            if largest < 1e-13:
                break
        columns.append(w.copy())
    return np.column_stack(columns)


def _uncentred_path(X, y, alphas):
    import warnings

    from sklearn.linear_model import lasso_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lasso_path(X, y, alphas=alphas, tol=1e-15, max_iter=1_000_000)[1]


def _stopping_mistakes(learner, case: StoppingCase) -> list[Diagnosis]:
    """Wrong [*coef, intercept] after lasso_cd stopped by case.max_iter or case.tol; a miscount of
    sweeps is confirmed by calling lasso_cd again with max_iter one larger."""
    X, y, alpha, k = case.X, case.y, case.alpha, case.sweeps
    converged = lambda: np.append(*sklearn_lasso(X, y, alpha))  # noqa: E731
    if case.tol >= HUGE_TOL:
        return [
            Diagnosis(f"lasso_cd ignores tol: with tol={case.tol:g} no coefficient moves by more than tol in the "
                      "first sweep, so it must stop after that sweep; yours ran on to the converged answer",
                      converged),
            Diagnosis("lasso_cd made no sweep at all: test tol after each full sweep, not before the first",
                      lambda: _sweeps(X, y, alpha, 0)),
        ]

    def again(wrong_sweeps, **variant):
        """True when lasso_cd with max_iter = k + 1 also lands where this miscount predicts."""
        result = learner.lasso_cd(X, y, alpha, tol=TOL, max_iter=k + 1)
        got = np.append(np.asarray(result[0], dtype=np.float64), float(result[1]))
        want = _sweeps(X, y, alpha, wrong_sweeps, **variant)
        return got.shape == want.shape and bool(np.allclose(got, want, rtol=EARLY, atol=EARLY))

    mistakes = [
        Diagnosis(f"lasso_cd ignores max_iter: it ran on to the converged answer instead of stopping after "
                  f"max_iter={k} sweep(s)", converged),
        Diagnosis(f"lasso_cd ran max_iter + 1 = {k + 1} sweeps: `for _ in range(max_iter)` takes exactly max_iter",
                  lambda: _sweeps(X, y, alpha, k + 1), confirm=lambda: again(k + 2)),
        Diagnosis(f"lasso_cd counts max_iter={k} in single-coordinate updates: one iteration is a full sweep over "
                  "all p coordinates", lambda: _sweeps(X, y, alpha, k, max_updates=k),
                  confirm=lambda: again(k + 1, max_updates=k + 1)),
    ]
    if k > 1:
        mistakes.append(Diagnosis(f"lasso_cd ran max_iter - 1 = {k - 1} sweep(s): `for _ in range(max_iter)` "
                                  "takes exactly max_iter", lambda: _sweeps(X, y, alpha, k - 1),
                                  confirm=lambda: again(k)))
        mistakes.append(Diagnosis("lasso_cd stops after one sweep whatever tol and max_iter say: is the tol test "
                                  "(or a return) inside the sweep loop at the wrong level?",
                                  lambda: _sweeps(X, y, alpha, 1), confirm=lambda: again(1)))
    return mistakes


STOPPING_CASES = [  # tried on every grading: max_iter and tol each decide where lasso_cd stops
    stopping_case(CORRELATED, 0.05, max_iter=2),
    stopping_case(CORRELATED, 0.05, max_iter=None),
    stopping_case(MORE_FEATURES_THAN_ROWS, 0.05, max_iter=3),
]


@check(examples=10)
@example(case=STOPPING_CASES[0])
@example(case=STOPPING_CASES[1])
@example(case=STOPPING_CASES[2])
@given(case=stopping_cases())
def lasso_cd_stops_after_max_iter_sweeps_or_once_within_tol(learner, case):
    """lasso_cd(..., tol, max_iter) stops after max_iter sweeps, or after the first sweep that moves no coefficient by more than tol (1e-9)."""
    p = case.X.shape[1]
    call = f"lasso_cd(X, y, alpha={case.alpha:.6g}, tol={case.tol:g}, max_iter={case.max_iter})"
    expected = _sweeps(case.X, case.y, case.alpha, case.sweeps)  # (p + 1,)
    with after_calling(call):
        coef, intercept = _coef_and_intercept(learner.lasso_cd(case.X, case.y, case.alpha, tol=case.tol,
                                                               max_iter=case.max_iter), call, p)
        why = (f"exactly {case.sweeps} sweep(s) of cyclic coordinate descent from w = 0"
               + (" (no coefficient moves by more than tol in the first)" if case.tol >= HUGE_TOL else ""))
        try:
            assert_close(np.append(coef, intercept), expected, what=f"[*coef, intercept] after {why}", rtol=EARLY,
                         atol=EARLY, diagnoses=_stopping_mistakes(learner, case))
        except CheckFailed as exc:
            _add_note(exc, "(coordinate j = 0, 1, ..., p-1 in turn, each set to its exact minimiser with the others "
                           "fixed; stop after the first full sweep that moves no coefficient by more than tol, or "
                           "after max_iter sweeps)")
            raise


def _add_note(exc: CheckFailed, note: str) -> None:
    exc.message += "\n  " + note
    exc.args = (exc.message,)


PATH_STOPPING = [  # (problem, fractions of alpha_max, setting) tried on every grading
    (CORRELATED, [0.5, 0.2, 0.05], "max_iter"),
    (CORRELATED, [0.7, 0.1], "tol"),
]


@check(examples=5)
@example(problem=PATH_STOPPING[0][0], fractions=PATH_STOPPING[0][1], setting=PATH_STOPPING[0][2])
@example(problem=PATH_STOPPING[1][0], fractions=PATH_STOPPING[1][1], setting=PATH_STOPPING[1][2])
@given(problem=penalised_regression(),
       fractions=st.lists(st.sampled_from(LASSO_FRACTIONS), min_size=2, max_size=4, unique=True),
       setting=st.sampled_from(["max_iter", "tol"]))
def lasso_path_passes_tol_and_max_iter_to_every_alpha(learner, problem, fractions, setting):
    """lasso_path with max_iter=1, or with a huge tol, gives each alpha exactly one sweep (from zero or from the previous column, 1e-9)."""
    X, y = problem.X, problem.y
    alphas = lasso_alpha_max(X, y) * np.array(sorted(fractions, reverse=True))  # (k,) decreasing
    tol, max_iter = (TOL, 1) if setting == "max_iter" else (HUGE_TOL, MAX_ITER)
    call = f"lasso_path(X, y, alphas={show(alphas)}, tol={tol:g}, max_iter={max_iter})"
    coefs = _path(learner.lasso_path(X, y, alphas, tol=tol, max_iter=max_iter), call, X.shape[1], len(alphas))
    warm, cold = _path_sweeps(X, y, alphas, 1, warm=True), _path_sweeps(X, y, alphas, 1, warm=False)

    def passes(value):
        return value.shape == warm.shape and any(
            bool(np.all(np.abs(value - want) <= EARLY + EARLY * np.abs(want))) for want in (warm, cold))

    if passes(coefs):
        return
    mistakes = [Diagnosis(
        f"each column is the converged answer, not one sweep's: {setting} never reaches the solves. Either "
        "lasso_path does not hand tol and max_iter on (lasso_cd(X, y, alpha, tol=tol, max_iter=max_iter)), or "
        f"the solve itself ignores {setting}",
        lambda: sklearn_lasso_path(X, y, alphas))]
    want = warm if np.abs(coefs - warm).max() <= np.abs(coefs - cold).max() else cold
    with after_calling(call):
        try:
            assert_close(coefs, want, what="coefs after one sweep per alpha", rtol=EARLY, atol=EARLY,
                         diagnoses=mistakes)
        except CheckFailed as exc:
            exc.passes = passes  # a warm start and a cold one both follow the rule
            _add_note(exc, f"(one sweep per alpha, each started from the previous column (warm) or from zero "
                           f"(cold); {show(cold if want is warm else warm)} would pass too)")
            raise


@check(examples=8)
@given(problem=penalised_regression())
def lasso_l1_norm_never_grows_as_alpha_grows(learner, problem):
    """Along lasso_path over 16 alphas from alpha_max down to alpha_max / 1000, sum|coef| never shrinks as alpha falls."""
    X, y = problem.X, problem.y
    alphas = lasso_alpha_max(X, y) * np.geomspace(1.0, 1e-3, 16)  # (16,) decreasing
    call = f"lasso_path(X, y, alphas=alpha_max * geomspace(1, 1e-3, 16), tol={TOL:g}, max_iter={MAX_ITER})"
    coefs = _path(learner.lasso_path(X, y, alphas, tol=TOL, max_iter=MAX_ITER), call, X.shape[1], len(alphas))
    norms = np.abs(coefs).sum(axis=0)  # (16,)
    _never_shrinks(norms, alphas, "sum|coef|", call)


@check(examples=8)
@given(problem=penalised_regression())
def ridge_l2_norm_never_grows_as_alpha_grows(learner, problem):
    """Along ridge_path over 16 alphas from 1000 down to 0.001, ||coef|| never shrinks as alpha falls."""
    X, y = problem.X, problem.y
    alphas = np.geomspace(1e3, 1e-3, 16)  # (16,) decreasing
    call = "ridge_path(X, y, alphas=geomspace(1000, 0.001, 16))"
    coefs = _path(learner.ridge_path(X, y, alphas), call, X.shape[1], len(alphas))
    _never_shrinks(np.linalg.norm(coefs, axis=0), alphas, "||coef||", call)


def _never_shrinks(norms, alphas, what, call):
    """Fail when a norm falls from one (larger) alpha to the next (smaller) one, beyond rounding."""
    drops = norms[:-1] - norms[1:]  # (k-1,) positive where the norm shrank as alpha fell
    worst = int(np.argmax(drops))
    if drops[worst] > 1e-9 * (1.0 + norms[worst]):
        fail(f"after {call}:\n{what} went from {show(norms[worst])} at alpha={alphas[worst]:.6g} down to "
             f"{show(norms[worst + 1])} at the smaller alpha={alphas[worst + 1]:.6g}.\n"
             f"A larger penalty can only shrink the weights, so {what} must never fall as alpha falls. "
             "Is each alpha solved to convergence, and does column i belong to alphas[i]?", norms)


@check(examples=10)
@given(problem=penalised_regression())
def tiny_alpha_approaches_least_squares(learner, problem):
    """With alpha = 1e-9, ridge and lasso_cd both give the least-squares coef and intercept (to 1e-6)."""
    X, y = problem.X, problem.y
    want_coef, want_intercept = ordinary_least_squares(X, y)
    for call, result in [
        ("ridge(X, y, alpha=1e-9)", lambda: learner.ridge(X, y, 1e-9)),
        (f"lasso_cd(X, y, alpha=1e-9, tol={TOL:g}, max_iter={MAX_ITER})",
         lambda: learner.lasso_cd(X, y, 1e-9, tol=TOL, max_iter=MAX_ITER)),
    ]:
        with after_calling(call):
            coef, intercept = _coef_and_intercept(result(), call, X.shape[1])
            assert_close(coef, want_coef, what="coef", rtol=MATCH, atol=MATCH)
            assert_close(intercept, want_intercept, what="intercept", rtol=MATCH, atol=MATCH,
                         diagnoses=_intercept_mistakes(X, y))
