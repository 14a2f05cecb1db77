"""Grader for stage1/ridge_lasso: ridge in closed form, the lasso by coordinate descent.

Every expected answer comes from scikit-learn (`Ridge`, `Lasso`, `lasso_path`, converged
far past the checks' 1e-6) or from the definitions. Lasso problems draw alpha as a
fraction of alpha_max = max|Xc.T @ yc| / n, the smallest alpha at which every weight is
zero, so that each problem has some weights at zero and some not.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_scalar, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.linear_models import (
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
from mldojo.graders.kit.strategies import grid_arrays, grid_floats

VERSION = "1"

TOL = 1e-12  # the tol the checks pass to lasso_cd / lasso_path
MAX_ITER = 100_000
MATCH = 1e-6  # rtol and atol against scikit-learn
RIDGE_ALPHAS = [0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0]
LASSO_FRACTIONS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9]  # of alpha_max


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
    ]


def _intercept_mistakes(X, y):
    return [
        Diagnosis("intercept is mean(y): subtract mean(X, axis=0) @ coef from it", lambda: y.mean()),
        Diagnosis("intercept is 0.0: with centred X and y, intercept = mean(y) - mean(X, axis=0) @ coef",
                  lambda: 0.0),
    ]


def _alpha_and_fraction(problem, fraction):
    return lasso_alpha_max(problem.X, problem.y) * fraction


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
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
    ]
    assert_close(got, expected, what=f"soft_threshold(z, t={t:g})", rtol=1e-12, atol=1e-12, diagnoses=mistakes)


@check(examples=20)
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
@given(problem=penalised_regression(), picks=st.lists(st.sampled_from(RIDGE_ALPHAS), min_size=1, max_size=5, unique=True))
def ridge_path_gives_ridge_for_every_alpha(learner, problem, picks):
    """ridge_path(X, y, alphas) has shape (p, k) and column i is Ridge(alphas[i]).coef_ (rtol 1e-6, atol 1e-6)."""
    X, y = problem.X, problem.y
    alphas = np.array(picks, dtype=np.float64)  # in the drawn order, not sorted
    call = f"ridge_path(X, y, alphas={show(alphas)})"
    coefs = _path(learner.ridge_path(X, y, alphas), call, X.shape[1], len(alphas))
    expected = np.column_stack([sklearn_ridge(X, y, a)[0] for a in alphas])  # (p, k)
    mistakes = [Diagnosis("the columns come in sorted order: column i must belong to alphas[i] as given",
                          lambda: expected[:, np.argsort(alphas)])]
    with after_calling(call):
        assert_close(coefs, expected, what="coefs", rtol=MATCH, atol=MATCH, diagnoses=mistakes)


@check(examples=20)
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
                 diagnoses=_lasso_mistakes(X, y, alpha))
        assert_close(intercept, y.mean(), what="intercept", rtol=1e-9, atol=1e-9, diagnoses=[
            Diagnosis("intercept is 0.0: with every weight at zero the best intercept is mean(y)", lambda: 0.0)])


@check(examples=10)
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
    ]
    with after_calling(call):
        assert_close(coefs, expected, what="coefs", rtol=MATCH, atol=MATCH, diagnoses=mistakes)


def _uncentred_path(X, y, alphas):
    import warnings

    from sklearn.linear_model import lasso_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lasso_path(X, y, alphas=alphas, tol=1e-15, max_iter=1_000_000)[1]


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
