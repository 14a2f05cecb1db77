"""Grader for stage1/linreg: least squares by the normal equation and by gradient descent.

The learner's `mse`, `mse_grad` and `LinearRegression` run in the learner process; every
expected answer is computed here, from the definition, from central differences, or by
scikit-learn. Gradient-descent checks choose a step size and a number of steps from the
data, so that a correct solution converges with a wide margin whichever of the two usual
gradient conventions (mean, or mean / 2) it follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sklearn.linear_model  # noqa: F401 - the oracle's import overlaps the learner process's start-up
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import (
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_gradient_close,
    assert_scalar,
    check,
    example,
    fail,
    given,
    numerical_gradient,
)
from mldojo.graders.kit.asserts import CheckFailed
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.oracles import sklearn_linear_regression
from mldojo.graders.kit.strategies import (
    RegressionProblem,
    condition_number,
    grid_arrays,
    grid_floats,
    rank_deficient_regression,
    regression_problems,
    well_conditioned_regression,
)

VERSION = "2"
DRIVER = "mldojo.graders.stage1.linreg_driver:"

GD_TOLERANCE = 1e-4  # how close gradient descent must get to scikit-learn's answer
GD_MARGIN = 1e-4  # n_iter takes even a half-speed learner to GD_TOLERANCE * GD_MARGIN
STEPS_RTOL, STEPS_ATOL = 1e-9, 1e-11  # a few exact steps differ from ours by rounding only
STEP_COUNTS = [1, 2, 3, 5, 8]  # n_iter for the checks that stop gradient descent early
EXACT_GRADIENT = 1e-10  # relative error allowed against the exact gradient on Gaussian data
SINGLE_PRECISION = ("{name} has the precision of float32 (about 7 digits): exact on the grader's grid values, off on "
                    "Gaussian data. Keep every array in float64 (np.asarray(..., dtype=np.float64))")
DEFAULT_LR, DEFAULT_N_ITER = 0.01, 1000  # the stub's defaults: what a learner who ignores them uses


# -- inputs --------------------------------------------------------------------------------


@dataclass
class Predictions:
    """Targets y (n,) and predictions y_pred (n,)."""

    y: np.ndarray
    y_pred: np.ndarray


@dataclass
class GradientPoint:
    """A problem X (n, p), y (n,) and the point (w (p,), b) where the gradient is taken."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    b: float


@dataclass
class PredictCase:
    """Training data X (n, p), y (n,) and new rows X_new (m, p) to predict."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    fit_intercept: bool


@dataclass
class StepsCase:
    """A problem X (n, p), y (n,) and the gradient-descent settings the check fits it with."""

    X: np.ndarray
    y: np.ndarray
    fit_intercept: bool
    lr: float
    n_iter: int


def gaussian_problem(seed: int, n: int, p: int, shift: float = 0.0, noise: float = 0.3) -> RegressionProblem:
    """A problem with Gaussian features (off any grid: rounding shows) whose columns have mean near `shift`."""
    rng = np.random.default_rng(seed)
    # Three decimals: printed exactly in a failure message, yet off the binary grid (0.001 is no power of 2).
    X = np.round(rng.normal(scale=1.5, size=(n, p)) + shift, 3)  # (n, p)
    coef = rng.uniform(-2, 2, size=p)
    intercept = float(rng.uniform(-2, 2))
    y = np.round(X @ coef + intercept + noise * rng.normal(size=n), 3)
    return RegressionProblem(X, y, coef, intercept)


@st.composite
def gaussian_regression(draw, max_rows=12, max_features=3) -> RegressionProblem:
    """Gaussian features, uncentred, full column rank (n > p)."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(p + 2, max(max_rows, p + 2)))
    problem = gaussian_problem(draw(st.integers(0, 2**32 - 1)), n, p, shift=draw(st.sampled_from([0.0, 1.5, -3.0])))
    assume(condition_number(problem.X) <= 1e3)
    return problem


def _safe_lr(X, fit_intercept) -> float:
    """A power of two at most 0.5 / the largest eigenvalue of the MSE's Hessian: every step contracts."""
    A = _with_ones(X) if fit_intercept else X
    largest = float(np.linalg.eigvalsh(2.0 / len(X) * A.T @ A)[-1])
    return 2.0 ** math.floor(math.log2(0.5 / largest))


def steps_case(problem: RegressionProblem, fit_intercept: bool, n_iter: int, lr_scale: float = 1.0) -> StepsCase:
    """The problem fitted with a safe lr (times lr_scale) for n_iter steps."""
    return StepsCase(problem.X, problem.y, fit_intercept, _safe_lr(problem.X, fit_intercept) * lr_scale, n_iter)


@st.composite
def steps_cases(draw) -> StepsCase:
    """A grid or Gaussian problem, either fit_intercept, a step count from STEP_COUNTS and a safe lr."""
    problem = draw(st.one_of(regression_problems(max_rows=12, max_features=3), gaussian_regression()))
    fit_intercept, n_iter = draw(st.booleans()), draw(st.sampled_from(STEP_COUNTS))
    return steps_case(problem, fit_intercept, n_iter, lr_scale=draw(st.sampled_from([1.0, 0.5])))


@st.composite
def predictions(draw, max_rows=12) -> Predictions:
    """Targets and predictions of the same length, on a grid of quarters."""
    n = draw(st.integers(1, max_rows))
    y = draw(grid_arrays((n,)))
    y_pred = draw(grid_arrays((n,)))
    return Predictions(y, y_pred)


@st.composite
def gradient_points(draw) -> GradientPoint:
    """A regression problem (n >= 3, so 'twice' and 'n times' differ) and a point (w, b)."""
    problem = draw(regression_problems(min_rows=3, max_rows=15, max_features=4))
    w = draw(grid_arrays((problem.X.shape[1],), -3, 3))
    b = draw(grid_floats(-3, 3))
    return GradientPoint(problem.X, problem.y, w, b)


@st.composite
def predict_cases(draw) -> PredictCase:
    """A problem to fit and new rows, as many as or fewer or more than the training rows."""
    problem = draw(regression_problems(max_rows=12, max_features=4))
    m = draw(st.integers(1, 12))
    X_new = draw(grid_arrays((m, problem.X.shape[1]), -3, 3))
    return PredictCase(problem.X, problem.y, X_new, draw(st.booleans()))


@st.composite
def affinely_dependent_regression(draw, max_rows=15, max_features=3):
    """A problem with a column equal to a combination of the others plus a nonzero constant:
    a constant column, or dummy columns that sum to one. Here the minimum-norm answer of the
    centred problem differs from the minimum-norm answer of [X, 1] @ theta = y."""
    base = draw(regression_problems(min_rows=5, max_rows=max_rows, max_features=max_features))
    p = base.X.shape[1]
    weights = draw(grid_arrays((p,), -2, 2, 0.5))
    constant = draw(grid_floats(-2, 2, 0.5).filter(lambda c: c != 0))
    extra = base.X @ weights + constant  # (n,): depends on the others and on the column of ones
    X = np.insert(base.X, draw(st.integers(0, p)), extra, axis=1)  # (n, p + 1)
    return RegressionProblem(X, base.y, None, base.intercept)


@st.composite
def uncentred_regression(draw):
    """A well-conditioned problem whose feature columns are shifted off zero mean."""
    problem = draw(well_conditioned_regression(max_rows=40, max_features=4))
    shift = draw(grid_arrays((problem.X.shape[1],), -1, 1, 0.5))
    assume(np.any(shift != 0))
    problem.X = problem.X + shift  # (n, p)
    return problem


# -- helpers -------------------------------------------------------------------------------


def _fitted(learner, X, y, **params):
    """Fit the learner's LinearRegression(**params) on X, y: (coef_, intercept_) as sent back
    (one request to the learner process: linreg_driver.py)."""
    coef, intercept = learner._drive(DRIVER + "fit_and_read", params, X, y,
                                     shown_as="LinearRegression.fit or reading its coef_ and intercept_")
    return coef, intercept


def _call_text(**params) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"LinearRegression({args}).fit(X, y)"


def _with_ones(X, first=False):
    ones = np.ones((X.shape[0], 1))
    return np.hstack([ones, X] if first else [X, ones])


def _lstsq(A, y):
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _gradient_descent(X, y, fit_intercept, lr, n_iter, b_after_w=False):
    """Gradient descent as the spec states it (and, for diagnoses, with lr or n_iter changed;
    `b_after_w`: b's step taken from the residual after w has already moved)."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iter):
        r = X @ w + b - y  # (n,)
        w = w - lr * 2.0 * (X.T @ r) / len(y)
        if b_after_w:
            r = X @ w + b - y
        if fit_intercept:
            b = b - lr * 2.0 * float(np.mean(r))
    return w, b


def _trajectory(X, y, fit_intercept, lr, n_iter, **variant) -> list[np.ndarray]:
    """[*coef, intercept] after n_iter steps, with the gradient of the MSE and of MSE / 2 (half steps)."""
    return [np.append(*_gradient_descent(X, y, fit_intercept, step, n_iter, **variant)) for step in (lr, lr / 2)]


def _steps_mistakes(case: StepsCase) -> list[Diagnosis]:
    """Wrong [*coef_, intercept_] after case.n_iter steps: a setting ignored, a step too many or too few."""
    X, y, fit, lr, n = case.X, case.y, case.fit_intercept, case.lr, case.n_iter
    found = [
        (f"fit ignores n_iter: this is where gradient descent stands after {DEFAULT_N_ITER} steps (the default), "
         f"not after n_iter={n}; loop `for _ in range(self.n_iter)`",
         lambda: _trajectory(X, y, fit, lr, DEFAULT_N_ITER)),
        (f"coef_ and intercept_ are the exact least-squares answer, not where n_iter={n} steps of gradient descent "
         "stand: with method='gd', fit must take exactly self.n_iter steps (no closed-form solve, no running until "
         "convergence)", lambda: [np.append(*sklearn_linear_regression(X, y, fit_intercept=fit))] * 2),
        (f"fit ignores lr: these are {n} steps of size {DEFAULT_LR:g} (the default), not of size lr={lr:g}; use self.lr",
         lambda: _trajectory(X, y, fit, DEFAULT_LR, n)),
        (f"gradient descent took n_iter + 1 = {n + 1} steps: `range(self.n_iter)` takes exactly n_iter",
         lambda: _trajectory(X, y, fit, lr, n + 1)),
        (f"gradient descent took n_iter - 1 = {n - 1} steps: `range(self.n_iter)` takes exactly n_iter",
         lambda: _trajectory(X, y, fit, lr, n - 1)),
        (f"each step is n={len(y)} times too long: the gradient sums over the rows instead of averaging them",
         lambda: _trajectory(X, y, fit, lr * len(y), n)),
        ("intercept_ is learned although fit_intercept=False: b must stay 0" if not fit else
         "b never moves although fit_intercept=True: update b with db as well as w with dw",
         lambda: _trajectory(X, y, not fit, lr, n)),
    ]
    if fit:
        found.append(("b's step is taken after w has moved: compute dw and db from the same w and b, then update both",
                      lambda: _trajectory(X, y, fit, lr, n, b_after_w=True)))
    return [Diagnosis(message, lambda wrong=wrong, k=k: wrong()[k]) for message, wrong in found for k in (0, 1)]


def _gd_schedule(X, fit_intercept, start_error):
    """A step size (a power of two, at most 0.5 / the largest eigenvalue of the MSE's Hessian)
    and enough steps for a learner whose gradient is half ours (the 1/(2n) convention)."""
    A = _with_ones(X) if fit_intercept else X
    eigenvalues = np.linalg.eigvalsh(2.0 / len(X) * A.T @ A)  # ascending
    lr = 2.0 ** math.floor(math.log2(0.5 / eigenvalues[-1]))
    slowest = 1.0 - lr * eigenvalues[0] / 2.0  # error shrinks at least this much per step
    steps = math.log(GD_TOLERANCE * GD_MARGIN / max(start_error, 1.0)) / math.log(slowest)
    return lr, 50 * math.ceil(steps / 50)


def _finite_or_diverged(value, what: str, lr: float):
    """Fail with the divergence diagnosis when gradient descent returned NaN, inf or huge numbers."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if array.size and (not np.all(np.isfinite(array)) or np.abs(array).max() > 1e8):
        fail(
            f"{what}: got {show(array)} — gradient descent diverged",
            value,
            diagnosis=f"with lr={lr:g} the gradient of the mean squared error converges on this data; a "
            "gradient summed over the n samples instead of averaged is n times too large and "
            "overshoots, and a step along +gradient climbs instead of descending",
        )


def _refuse_huge(coef, expected) -> None:
    """Fail when coef_ is enormous: the mark of solving a singular X.T @ X."""
    if np.abs(coef).max() > 1e4 * (1.0 + np.abs(expected).max()):
        fail(
            f"coef_: got {show(coef)}\n"
            f"       expected {show(expected)} (scikit-learn's minimum-norm answer)",
            coef,
            diagnosis="coef_ is enormous: X.T @ X is singular here, and solve() or inv() divided by a "
            "rounding error. Use a pseudo-inverse or lstsq with a cutoff for tiny singular "
            "values (the minimum-norm answer), or raise numpy.linalg.LinAlgError",
        )


def _nearly(coef, exact) -> Diagnosis:
    """Matches when coef_ is within 0.1% of the exact answer: a small bias, not a wrong formula."""

    def wrong():
        got = np.asarray(coef, dtype=np.float64)
        return got if np.allclose(got, exact, rtol=0.0, atol=1e-3 * (1.0 + np.abs(exact).max())) else None

    return Diagnosis(
        "coef_ is within 0.1% of the exact answer but not equal to it: is something added to "
        "X.T @ X (a small ridge term), or an iterative solver stopped early? Solved exactly, "
        "the normal equation recovers w and b up to rounding",
        wrong,
    )


def _unless_explained(specific: list[Diagnosis], got, message: str) -> Diagnosis:
    """A catch-all naming what the evidence shows (`got` itself), given only when no specific mistake explains it."""

    def wrong():
        answer = np.asarray(got, dtype=np.float64)
        for diagnosis in specific:
            try:
                other = np.asarray(diagnosis.wrong_answer(), dtype=np.float64)
            except Exception:  # noqa: BLE001 - a mistake that cannot be computed explains nothing
                continue
            if other.shape == answer.shape and np.allclose(answer, other, rtol=1e-6, atol=1e-9):
                return None
        return answer

    return Diagnosis(message, wrong)


def _coef_mistakes(X, y):
    """Wrong coef_ a learner gets by mishandling the intercept."""
    split = (
        "coef_ holds the intercept in place of a weight: after solving with a column of "
        "ones, the entry that multiplies the ones is intercept_ and the others are coef_"
    )
    return [
        Diagnosis(
            "coef_ is the fit without an intercept: with fit_intercept=True, add a column of "
            "ones to X (or centre X and y) before solving",
            lambda: sklearn_linear_regression(X, y, fit_intercept=False)[0],
        ),
        Diagnosis(split, lambda: _lstsq(_with_ones(X), y)[1:]),
        Diagnosis(split, lambda: _lstsq(_with_ones(X, first=True), y)[:-1]),
    ]


def _intercept_mistakes(X, y, coef):
    """Wrong intercept_ values, given the right coef_."""
    return [
        Diagnosis("intercept_ is 0.0 although fit_intercept=True", lambda: 0.0),
        Diagnosis(
            "intercept_ is mean(y): subtract mean(X, axis=0) @ coef_ from it",
            lambda: y.mean(),
        ),
        Diagnosis(
            "intercept_ is mean(y) + mean(X, axis=0) @ coef_: the sign of the second term is wrong",
            lambda: y.mean() + X.mean(axis=0) @ coef,
        ),
    ]


def _gradient_mistakes(name: str, right, wrong_without_b, n: int, single_precision):
    """Wrong gradients: a factor 2 lost or doubled, a sum for a mean, a sign, b forgotten, float32."""
    return [
        Diagnosis(SINGLE_PRECISION.format(name=name), lambda: single_precision),
        Diagnosis(f"{name} is half the expected gradient: the derivative of (…)**2 brings down a factor 2",
                  lambda: right / 2),
        Diagnosis(f"{name} is twice the expected gradient: an extra factor of 2?", lambda: right * 2),
        Diagnosis(f"{name} is n={n} times too large: it sums over the samples instead of averaging them",
                  lambda: right * n),
        Diagnosis(f"{name} is n/2={n / 2:g} times too large: it sums over the samples (divide by n) and "
                  "lacks the factor 2", lambda: right * n / 2),
        Diagnosis(f"{name} has the wrong sign: the residual is X @ w + b - y, not y - (X @ w + b)",
                  lambda: -right),
        Diagnosis(f"{name} ignores b: the residual is X @ w + b - y", lambda: wrong_without_b),
    ]


def _mse_mistakes(y, y_pred):
    d = y_pred - y  # (n,)
    return [
        Diagnosis("mse returns the sum of squared errors: divide by n to get the mean", lambda: np.sum(d**2)),
        Diagnosis("mse returns the root mean squared error: leave out the square root", lambda: np.sqrt(np.mean(d**2))),
        Diagnosis("mse is half the mean squared error: the 1/2 some textbooks put in front belongs to "
                  "the loss they differentiate, not to the MSE", lambda: np.mean(d**2) / 2),
        Diagnosis("mse returns the mean absolute error: square the differences instead",
                  lambda: np.mean(np.abs(d))),
        Diagnosis("mse squares the mean difference: square each difference first, then average",
                  lambda: np.mean(d) ** 2),
        Diagnosis(SINGLE_PRECISION.format(name="mse"),
                  lambda: np.mean((y_pred.astype(np.float32) - y.astype(np.float32)) ** 2)),
    ]


# -- inputs tried on every grading ---------------------------------------------------------


def _well_conditioned_fixed(seed: int, n: int, p: int, shift: float) -> RegressionProblem:
    """Like kit's well_conditioned_regression, from a fixed seed, with columns shifted by `shift`."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, p))
    Q, _ = np.linalg.qr(Z - Z.mean(axis=0))  # orthonormal, centred columns
    R, _ = np.linalg.qr(rng.standard_normal((p, p)))
    X = np.sqrt(n) * (Q * rng.uniform(1.0, 1.5, size=p)) @ R.T + shift  # (n, p)
    coef, intercept = rng.uniform(-3, 3, size=p), float(rng.uniform(-3, 3))
    return RegressionProblem(X, X @ coef + intercept + 0.1 * rng.standard_normal(n), coef, intercept)


def _dependent_fixed(seed: int, n: int, p: int) -> RegressionProblem:
    """Gaussian features with three decimals, plus a column x_0 - 2 x_1 + 1 (dependent up to rounding)."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(scale=1.5, size=(n, p)), 3)
    X = np.column_stack([X, np.round(X[:, 0] - 2 * X[:, 1] + 1.0, 3)])  # (n, p + 1)
    return RegressionProblem(X, np.round(X[:, :p] @ rng.uniform(-2, 2, size=p) + rng.normal(size=n), 3), None, 0.0)


_GAUSS = gaussian_problem(21, 9, 3, shift=2.0)
GAUSSIAN_PREDICTIONS = Predictions(_GAUSS.y, _GAUSS.X[:, 0])  # off the grid: rounding shows
GAUSSIAN_POINT = GradientPoint(_GAUSS.X, _GAUSS.y, np.array([0.3, -1.7, 0.45]), -0.8)
ONE_FEATURE = gaussian_problem(22, 7, 1, shift=-1.5)
MORE_FEATURES_THAN_ROWS = RegressionProblem(gaussian_problem(23, 3, 5, shift=1.0).X, np.array([1.0, -2.5, 0.7]))
PREDICT_ONE_NEW_ROW = PredictCase(_GAUSS.X, _GAUSS.y, np.array([[0.7, -1.2, 3.1]]), True)
PREDICT_NEW_ROWS_NO_INTERCEPT = PredictCase(ONE_FEATURE.X, ONE_FEATURE.y, np.array([[1.0], [-2.0], [0.25], [4.0]]),
                                            fit_intercept=False)
UNCENTRED = _well_conditioned_fixed(31, 20, 3, shift=1.5)


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@example(case=GAUSSIAN_PREDICTIONS)
@example(case=Predictions(np.array([1.5]), np.array([-0.25])))
@given(case=predictions())
def mse_is_the_mean_of_squared_errors(learner, case):
    """mse(y, y_pred) equals mean((y_pred - y)**2) to 1e-12."""
    got = learner.mse(case.y, case.y_pred)
    if np.shape(got) == case.y.shape and case.y.size > 1:
        fail(
            f"mse(y, y_pred) returned an array of shape {np.shape(got)}, the squared errors "
            "themselves: return their mean, one float",
            got,
        )
    got = assert_scalar(got, "mse(y, y_pred)")
    expected = float(np.mean((case.y_pred - case.y) ** 2))
    mistakes = _mse_mistakes(case.y, case.y_pred)
    assert_close(got, expected, what="mse(y, y_pred)", rtol=1e-12, atol=1e-12, diagnoses=mistakes)


def _on_grid(*arrays) -> bool:
    """Whether every value is a multiple of 1/4 (where float32 and float64 sums agree exactly)."""
    return all(np.all(np.asarray(a) * 4 == np.round(np.asarray(a) * 4)) for a in arrays)


@check(examples=30)
@example(point=GAUSSIAN_POINT)
@given(point=gradient_points())
def mse_grad_matches_finite_differences(learner, point):
    """mse_grad(X, y, w, b) matches central differences of the MSE (relative error at most 1e-7; 1e-10 on Gaussian data)."""
    X, y, w, b = point.X, point.y, point.w, point.b
    n = len(y)
    residual = X @ w + b - y  # (n,)

    def sum_of_squares(theta):  # theta = (w..., b)
        return float(np.sum((X @ theta[:-1] + theta[-1] - y) ** 2))

    # The loss is quadratic, so central differences are exact for any step; a step of 0.5 on
    # these grid inputs keeps every sum exact, and dividing by n afterwards is one rounding.
    numeric = numerical_gradient(sum_of_squares, np.append(w, b), h=0.5) / n  # (p + 1,)
    # Where an entry is exactly 0 the relative error only measures rounding noise.
    assume(np.all(numeric != 0) or not np.any(residual))

    result = learner.mse_grad(X, y, w, b)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        shape = f" of shape {np.shape(result)}" if isinstance(result, np.ndarray) else ""
        fail(f"mse_grad(X, y, w, b) must return a pair (dw, db); got {type(result).__name__}{shape}: "
             f"{show(result)}", result)
    dw, db = result
    without_b = 2.0 * np.append(X.T @ (residual - b), np.sum(residual - b)) / n
    single = _single_precision_gradient(X, y, w, b)  # (p + 1,)
    dw_mistakes = _gradient_mistakes("dw", numeric[:-1], without_b[:-1], n, single[:-1])
    assert_gradient_close(dw, numeric[:-1], what="dw", max_relative_error=1e-7, diagnoses=dw_mistakes)
    db = assert_scalar(db, "db")
    db_mistakes = _gradient_mistakes("db", numeric[-1], without_b[-1], n, single[-1])
    assert_gradient_close(db, numeric[-1], what="db", max_relative_error=1e-7, diagnoses=db_mistakes)
    if not _on_grid(X, y, w, b):
        # Off the grid, rounding shows: float64 arithmetic lands within 1e-10 of the exact gradient.
        exact = _exact_gradient(X, y, w, b)  # (p + 1,)
        for what, got, k in (("dw", dw, slice(0, -1)), ("db", db, -1)):
            assert_gradient_close(got, exact[k], what=f"{what} (Gaussian data, float64 precision expected)",
                                  max_relative_error=EXACT_GRADIENT,
                                  diagnoses=[Diagnosis(SINGLE_PRECISION.format(name=what), lambda k=k: single[k])])


def _exact_gradient(X, y, w, b) -> np.ndarray:
    """[*dw, db] of the MSE with every sum taken exactly (math.fsum): (p + 1,)."""
    r = np.array([math.fsum([*(X[i] * w), b, -y[i]]) for i in range(len(y))])  # (n,)
    A = _with_ones(X)  # (n, p + 1)
    return np.array([2.0 * math.fsum(A[:, j] * r) / len(y) for j in range(A.shape[1])])


def _single_precision_gradient(X, y, w, b) -> np.ndarray:
    """[*dw, db] computed in float32, as a learner who casts X down gets it: (p + 1,)."""
    X32, f = X.astype(np.float32), np.float32
    r = X32 @ w.astype(f) + f(b) - y.astype(f)
    return np.append(f(2) * (X32.T @ r) / f(len(y)), f(2) * np.mean(r)).astype(np.float64)


@check(examples=10)
@example(problem=ONE_FEATURE, method="gd", fit_intercept=False)
@example(problem=_GAUSS, method="normal", fit_intercept=True)
@given(
    problem=regression_problems(max_rows=10, max_features=4),
    method=st.sampled_from(["normal", "gd"]),
    fit_intercept=st.booleans(),
)
def fit_returns_self_with_the_right_shapes(learner, problem, method, fit_intercept):
    """fit returns self; coef_ has shape (p,), intercept_ is a float (0.0 without intercept), predict(X) is (n,)."""
    n, p = problem.X.shape
    params = dict(fit_intercept=fit_intercept, method=method, lr=0.01, n_iter=20)
    model = learner.LinearRegression(**params)
    with after_calling(_call_text(**params)):
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(
                f"fit returned {show(returned)} instead of the model: end fit with `return self`, "
                "so that LinearRegression().fit(X, y).predict(X) works",
                returned,
            )
        coef = model.coef_
        if np.shape(coef) == (p + 1,):
            fail(f"coef_ has shape {(p + 1,)} for p={p} features: the intercept belongs in intercept_, "
                 "not in coef_", coef)
        as_array(coef, "coef_", (p,))
        intercept = model.intercept_
        if np.ndim(intercept) != 0:
            fail(f"intercept_ should be one float, got shape {np.shape(intercept)}: use float(...)", intercept)
        intercept = assert_scalar(intercept, "intercept_")
        if not fit_intercept and intercept != 0.0:
            fail(f"intercept_ is {show(intercept)} with fit_intercept=False: it must be 0.0", intercept)
        as_array(model.predict(problem.X), "predict(X)", (n,))


@check(examples=30)
@example(problem=_GAUSS)
@example(problem=ONE_FEATURE)
@given(problem=regression_problems(max_rows=20, max_features=5))
def normal_equation_matches_sklearn(learner, problem):
    """fit(X, y) with method='normal' gives scikit-learn's coef_ and intercept_ to 1e-6."""
    X, y = problem.X, problem.y
    with after_calling(_call_text(method="normal")):
        coef, intercept = _fitted(learner, X, y, method="normal")
        want_coef, want_intercept = sklearn_linear_regression(X, y)
        assert_close(coef, want_coef, what="coef_", rtol=1e-6, atol=1e-8,
                     diagnoses=[*_coef_mistakes(X, y), _nearly(coef, want_coef)])
        intercept = assert_scalar(intercept, "intercept_")
        mistakes = _intercept_mistakes(X, y, want_coef)
        assert_close(intercept, want_intercept, what="intercept_", rtol=1e-6, atol=1e-8, diagnoses=mistakes)


@check(examples=20)
@example(problem=_GAUSS)
@given(problem=regression_problems(max_rows=20, max_features=5))
def fit_without_intercept_matches_sklearn(learner, problem):
    """With fit_intercept=False, method='normal' gives scikit-learn's coef_ to 1e-6 and intercept_ is 0.0."""
    X, y = problem.X, problem.y
    with after_calling(_call_text(fit_intercept=False, method="normal")):
        coef, intercept = _fitted(learner, X, y, fit_intercept=False, method="normal")
        want_coef, _ = sklearn_linear_regression(X, y, fit_intercept=False)
        with_intercept = Diagnosis(
            "coef_ is the fit with an intercept: with fit_intercept=False the line goes through "
            "the origin (no column of ones, no centring)",
            lambda: sklearn_linear_regression(X, y)[0],
        )
        assert_close(coef, want_coef, what="coef_", rtol=1e-6, atol=1e-8, diagnoses=[with_intercept])
        intercept = assert_scalar(intercept, "intercept_")
        if intercept != 0.0:
            fail(
                f"intercept_: got {show(intercept)}, expected 0.0: with fit_intercept=False, fit "
                "must not compute an intercept at all",
                intercept,
            )


@check(examples=20)
@given(problem=regression_problems(max_rows=20, max_features=5, noise=False))
def noiseless_data_is_recovered_exactly(learner, problem):
    """When y = X @ w + b exactly, method='normal' returns that w and b (to 1e-8)."""
    X, y = problem.X, problem.y
    with after_calling(_call_text(method="normal")):
        coef, intercept = _fitted(learner, X, y, method="normal")
        mistakes = [*_coef_mistakes(X, y), _nearly(coef, problem.coef)]
        assert_close(coef, problem.coef, what="coef_", rtol=1e-8, atol=1e-8, diagnoses=mistakes)
        intercept = assert_scalar(intercept, "intercept_")
        mistakes = _intercept_mistakes(X, y, problem.coef)
        assert_close(intercept, problem.intercept, what="intercept_", rtol=1e-8, atol=1e-8, diagnoses=mistakes)


@check(examples=20)
@example(case=PREDICT_ONE_NEW_ROW)
@example(case=PREDICT_NEW_ROWS_NO_INTERCEPT)
@given(case=predict_cases())
def predict_is_X_times_coef_plus_intercept(learner, case):
    """predict(X_new) equals X_new @ coef_ + intercept_ of the fitted model, to 1e-10."""
    p = case.X.shape[1]
    model = learner.LinearRegression(fit_intercept=case.fit_intercept)
    model.fit(case.X, case.y)
    coef = as_array(model.coef_, "coef_", (p,))
    intercept = assert_scalar(model.intercept_, "intercept_")
    expected = case.X_new @ coef + intercept  # (m,)
    mistakes = [
        Diagnosis("predict leaves out intercept_", lambda: case.X_new @ coef),
        Diagnosis("predict subtracts intercept_ instead of adding it", lambda: case.X_new @ coef - intercept),
        Diagnosis("predict returns the predictions for the training X, not for its argument",
                  lambda: case.X @ coef + intercept),
        Diagnosis("predict centres X_new by its own column means (and adds mean(y)): the centring belongs to "
                  "fit, with the training means; predict is X_new @ coef_ + intercept_",
                  lambda: (case.X_new - case.X_new.mean(axis=0)) @ coef + intercept + case.X.mean(axis=0) @ coef),
    ]
    with after_calling(_call_text(fit_intercept=case.fit_intercept) + ", then predict(X_new)"):
        got = model.predict(case.X_new)
        assert_close(got, expected, what="predict(X_new)", rtol=1e-10, atol=1e-10, diagnoses=mistakes)


def _check_gradient_descent(learner, X, y, fit_intercept):
    """Fit with method='gd' and a safe schedule; compare with scikit-learn within GD_TOLERANCE."""
    want_coef, want_intercept = sklearn_linear_regression(X, y, fit_intercept=fit_intercept)
    lr, n_iter = _gd_schedule(X, fit_intercept, float(np.linalg.norm(np.append(want_coef, want_intercept))))
    params = dict(fit_intercept=fit_intercept, method="gd", lr=lr, n_iter=n_iter)
    with after_calling(_call_text(**params)):
        coef, intercept = _fitted(learner, X, y, **params)
        _finite_or_diverged(coef, "coef_", lr)
        _finite_or_diverged(intercept, "intercept_", lr)
        coef_mistakes = [
            Diagnosis("coef_ is still all zeros: does the loop update w?", lambda: np.zeros_like(want_coef)),
            Diagnosis(
                f"coef_ is what gradient descent reaches with lr=0.01, the default, instead of lr={lr:g}: "
                "fit must use self.lr",
                lambda: _gradient_descent(X, y, fit_intercept, 0.01, n_iter)[0],
            ),
            Diagnosis(
                "coef_ is where gradient descent stands after a single step: is a `return` inside the loop?",
                lambda: _gradient_descent(X, y, fit_intercept, lr, 1)[0],
            ),
            *[Diagnosis(f"fit ignores n_iter: coef_ is where {DEFAULT_N_ITER} steps (the default) lead, not "
                        f"n_iter={n_iter}; loop `for _ in range(self.n_iter)`",
                        lambda step=step: _gradient_descent(X, y, fit_intercept, step, DEFAULT_N_ITER)[0])
              for step in (lr, lr / 2) if n_iter != DEFAULT_N_ITER],
        ]
        if fit_intercept:
            coef_mistakes.append(Diagnosis(
                "coef_ is what gradient descent reaches without an intercept: with fit_intercept=True, "
                "b must be learned too",
                lambda: _gradient_descent(X, y, False, lr, n_iter)[0],
            ))
        else:
            coef_mistakes.append(Diagnosis(
                "coef_ is what gradient descent reaches with an intercept: with fit_intercept=False, b must stay 0",
                lambda: _gradient_descent(X, y, True, lr, n_iter)[0],
            ))
        assert_close(coef, want_coef, what="coef_", rtol=0.0, atol=GD_TOLERANCE, diagnoses=coef_mistakes)
        intercept = assert_scalar(intercept, "intercept_")
        intercept_mistakes = [
            Diagnosis("intercept_ is still 0.0: gradient descent must update b with db as well as w with dw",
                      lambda: 0.0),
            Diagnosis(
                "intercept_ is mean(y): with uncentred features it is mean(y) - mean(X, axis=0) @ coef_",
                lambda: y.mean(),
            ),
        ]
        assert_close(intercept, want_intercept, what="intercept_", rtol=0.0, atol=GD_TOLERANCE,
                     diagnoses=intercept_mistakes)


@check(examples=10)
@given(problem=well_conditioned_regression())
def gradient_descent_converges_to_sklearn(learner, problem):
    """method='gd' with the check's lr and n_iter (safe for the data) gets within 1e-4 of scikit-learn's answer."""
    _check_gradient_descent(learner, problem.X, problem.y, fit_intercept=True)


@check(examples=8)
@example(problem=UNCENTRED, fit_intercept=False)
@example(problem=UNCENTRED, fit_intercept=True)
@given(problem=uncentred_regression(), fit_intercept=st.booleans())
def gradient_descent_handles_uncentred_features(learner, problem, fit_intercept):
    """method='gd' also gets within 1e-4 of scikit-learn when features are not centred, with or without intercept."""
    _check_gradient_descent(learner, problem.X, problem.y, fit_intercept=fit_intercept)


STEPS_CASES = [  # tried on every grading: both fit_intercept, one feature, more features than rows
    steps_case(gaussian_problem(11, 6, 2, shift=1.5), fit_intercept=True, n_iter=3),
    steps_case(gaussian_problem(12, 5, 1, shift=-2.0), fit_intercept=False, n_iter=1),
    steps_case(gaussian_problem(13, 3, 4, shift=0.5), fit_intercept=True, n_iter=5),
]


@check(examples=10)
@example(case=STEPS_CASES[0])
@example(case=STEPS_CASES[1])
@example(case=STEPS_CASES[2])
@given(case=steps_cases())
def gradient_descent_takes_n_iter_steps_of_size_lr(learner, case):
    """method='gd' stands, after exactly n_iter steps of size lr from w = 0 and b = 0, where those steps lead (to 1e-9)."""
    p = case.X.shape[1]
    params = dict(fit_intercept=case.fit_intercept, method="gd", lr=case.lr, n_iter=case.n_iter)
    with after_calling(_call_text(**params)):
        coef, intercept = _fitted(learner, case.X, case.y, **params)
        _finite_or_diverged(coef, "coef_", case.lr)
        got = np.append(as_array(coef, "coef_", (p,)), assert_scalar(intercept, "intercept_"))  # (p + 1,)
        full, half = _trajectory(case.X, case.y, case.fit_intercept, case.lr, case.n_iter)

        def passes(value):
            return value.shape == full.shape and any(
                bool(np.all(np.abs(value - want) <= STEPS_ATOL + STEPS_RTOL * np.abs(want))) for want in (full, half))

        if passes(got):
            return
        want = full if np.abs(got - full).max() <= np.abs(got - half).max() else half
        try:
            assert_close(got, want, what="[*coef_, intercept_]", rtol=STEPS_RTOL, atol=STEPS_ATOL,
                         diagnoses=_steps_mistakes(case))
        except CheckFailed as exc:
            exc.passes = passes  # either gradient convention passes, so neither proves a mistake
            other = half if want is full else full
            b_rule = "b -= lr * db" if case.fit_intercept else "b = 0 throughout"
            exc.message += (f"\n  (n_iter steps w -= lr * dw, {b_rule}, from w = 0 and b = 0; with the gradient of "
                            f"MSE / 2 in place of the MSE's, {show(other)} would pass too)")
            exc.args = (exc.message,)
            raise


@check(examples=20)
@example(problem=MORE_FEATURES_THAN_ROWS)
@example(problem=_dependent_fixed(41, 9, 2))
@given(problem=st.one_of(rank_deficient_regression(max_rows=15), affinely_dependent_regression()))
def rank_deficient_X_gives_the_minimum_norm_answer_or_a_clear_error(learner, problem):
    """With dependent columns in X, fit gives scikit-learn's minimum-norm coef_ (1e-6) or raises LinAlgError."""
    X, y = problem.X, problem.y
    with after_calling(_call_text(method="normal")):
        try:
            coef, intercept = _fitted(learner, X, y, method="normal")
        except LearnerRaised as exc:
            if exc.type_name != "LinAlgError":
                raise
            if not str(exc.info.get("message") or "").strip():
                fail("fit raised LinAlgError without a message: say what is wrong, e.g. "
                     "'the columns of X are linearly dependent'")
            return
        want_coef, want_intercept = sklearn_linear_regression(X, y)
        coef = as_array(coef, "coef_", want_coef.shape)
        intercept = assert_scalar(intercept, "intercept_")
        _refuse_huge(coef, want_coef)
        fitted = X @ coef + intercept  # (n,)
        intercept_mean_y = Diagnosis("intercept_ is mean(y): subtract mean(X, axis=0) @ coef_ from it",
                                     lambda: X @ coef + y.mean())
        not_least_squares = _unless_explained(
            [intercept_mean_y], fitted,
            "coef_ and intercept_ do not fit the data as well as they could. If the full-rank "
            "checks pass, the likely cause is that X.T @ X is singular here and solve() or inv() "
            "returned rounding noise: use lstsq or pinv with a cutoff for tiny singular values "
            "(the minimum-norm answer), or raise numpy.linalg.LinAlgError",
        )
        assert_close(
            fitted, X @ want_coef + want_intercept, what="fitted values X @ coef_ + intercept_",
            rtol=1e-6, atol=1e-6, diagnoses=[intercept_mean_y, not_least_squares],
        )
        specific = [
            Diagnosis(
                "coef_ is the minimum-norm solution of [X, 1] @ theta = y, where the intercept counts "
                "in the norm: centre X and y first and solve for coef_ alone, then "
                "intercept_ = mean(y) - mean(X, axis=0) @ coef_",
                lambda: _lstsq(_with_ones(X), y)[:-1],
            ),
            Diagnosis(
                "coef_ is the minimum-norm fit without an intercept: with fit_intercept=True, centre X and y "
                "before solving",
                lambda: sklearn_linear_regression(X, y, fit_intercept=False)[0],
            ),
        ]
        another_solution = _unless_explained(
            specific, coef,
            "coef_ fits the data as well as scikit-learn's (the fitted values agree) but is not "
            "the minimum-norm solution. With dependent columns many coef_ fit equally well (solve() or "
            "inv() of a singular X.T @ X picks one by the luck of rounding). Take the one of least norm "
            "(lstsq or pinv with a cutoff, on centred X and y), or raise numpy.linalg.LinAlgError",
        )
        assert_close(coef, want_coef, what="coef_", rtol=1e-6, atol=1e-6, diagnoses=[*specific, another_solution])
        assert_close(intercept, want_intercept, what="intercept_", rtol=1e-6, atol=1e-6)
