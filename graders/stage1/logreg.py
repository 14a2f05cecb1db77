"""Grader for stage1/logreg: a stable sigmoid and log loss, and logistic regression
(binary and softmax) fitted to scikit-learn's objective.

Stability checks run the learner's call through a driver (logreg_driver.py) that turns
floating-point warnings into errors inside the learner process. Fitted models are compared
with scikit-learn's LogisticRegression (lbfgs, converged far past the checks' tolerances);
the known wrong variants used for diagnoses come from a trusted Newton solver here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sklearn.linear_model  # noqa: F401 - the oracle's import overlaps the learner process's start-up
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import (
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_equal,
    assert_gradient_close,
    assert_scalar,
    check,
    example,
    fail,
    given,
    numerical_gradient,
)
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.linear_models import (
    LabelledProblem,
    binary_log_loss,
    logistic_problem,
    logistic_problems,
    newton_logistic,
    sklearn_logistic,
    sklearn_one_vs_rest,
    softmax,
    stable_sigmoid,
)
from mldojo.graders.kit.strategies import grid_arrays, grid_floats

VERSION = "4"

DRIVER = "mldojo.graders.stage1.logreg_driver:"
FIT = dict(max_iter=100, tol=1e-8)  # what every fit check passes besides C
COEF_TOL = 1e-4
PROBA_TOL = 1e-5
CS = [0.1, 1.0, 10.0]
NOT_CONVERGED = 1e-4  # a fit stopped after one iteration (or at once) is farther than this from the optimum
HUGE_TOL = 1e12  # a tol above every entry of the gradient, wherever the fit starts: it must stop at once
BOUNDARY_LOGITS = [0.3, -2.5, 0.1, -0.3, 0.45, 2.0]  # rows near the boundary (the first alone for one row)
EXTREME_LOGITS = np.array([-1000.0, -745.0, -710.0, -40.0, -1.0, 0.0, 1.0, 40.0, 710.0, 745.0, 1000.0])


# -- inputs --------------------------------------------------------------------------------


@dataclass
class LossPoint:
    """A binary problem X (n, p), y (n,) in {0, 1}, and the point (w (p,), b) to evaluate at."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    b: float


@st.composite
def loss_points(draw) -> LossPoint:
    """A binary problem and a point (w, b), all on grids."""
    n = draw(st.integers(2, 12))
    p = draw(st.integers(1, 4))
    X = draw(grid_arrays((n, p), -2, 2))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.float64)
    w = draw(grid_arrays((p,), -2, 2))
    b = draw(grid_floats(-2, 2))
    return LossPoint(X, y, w, b)


def _label_sets(k):
    """Sorted label sets of size k that are not 0..k-1."""
    return st.sampled_from([[-1, 1], [2, 7], [0, 5]] if k == 2 else [list(range(1, k + 1)), [3 * i - 4 for i in range(k)]])


def _new_rows(problem, m=12):
    """Rows to predict, spread like the training rows (continuous: no ties in argmax)."""
    rng = np.random.default_rng(problem.X.size * 7919 + int(np.abs(problem.X).sum() * 4))
    return rng.normal(scale=1.5, size=(m, problem.X.shape[1]))


@dataclass
class ProbeCase:
    """A problem to fit and how many new rows to probe predict with (1: a single row)."""

    problem: LabelledProblem
    rows: int = 7


BINARY = logistic_problem(101, 2, 14, 2)
BINARY_SIGNED = logistic_problem(102, 2, 12, 1, labels=[-1, 1])  # one feature, labels -1 and +1


def _separable_problem() -> LabelledProblem:
    """16 unscaled rows (features ~ N(0, 10^2)) that a line separates, one of them alone in class 1:
    only the penalty keeps coef_ finite, and many probabilities round to exactly 0 or 1."""
    X = np.round(np.random.default_rng(8).normal(scale=10.0, size=(16, 2)), 2)  # (16, 2)
    return LabelledProblem(X, (X @ np.array([1.0, -0.5]) > 3).astype(np.int64), 2)


SEPARABLE = _separable_problem()
THREE_CLASSES = logistic_problem(103, 3, 18, 2, labels=[1, 2, 3])
FOUR_CLASSES = logistic_problem(104, 4, 20, 3, labels=[-4, -1, 2, 5])
GAUSSIAN_POINT = LossPoint(np.round(np.random.default_rng(105).normal(size=(7, 3)), 3),
                           np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]), np.array([0.731, -1.402, 0.266]), -0.317)


# -- helpers -------------------------------------------------------------------------------


def _strict(learner, name, *args, call: str):
    """The value of module.<name>(*args) run with floating-point warnings as errors."""
    reply = learner._drive(DRIVER + "call_strictly", name, *args)
    if reply["problem"]:
        fail(f"{call} raised {reply['problem']}", diagnosis=_overflow_advice(name))
    return reply["value"]


def _overflow_advice(name: str) -> str:
    if name == "sigmoid":
        return ("exp(-z) overflows for z below about -709. Compute exp(-|z|), which is at most 1, and use "
                "1 / (1 + e) where z >= 0 and e / (1 + e) where z < 0 (np.where picks per entry)")
    return ("log(sigmoid(z)) hits log(0) once sigmoid rounds to 0 or 1. Write the loss on the logit itself: "
            "-[y log p + (1 - y) log(1 - p)] = log(1 + exp(z)) - y * z, and np.logaddexp(0, z) computes "
            "log(1 + exp(z)) without overflow")


def _fit(learner, problem, C):
    """Fit the learner's model with the checks' settings: the model handle."""
    model = learner.LogisticRegression(C=C, **FIT)
    model.fit(problem.X, problem.y)
    return model


def _call(C) -> str:
    return f"LogisticRegression(C={C:g}, max_iter={FIT['max_iter']}, tol={FIT['tol']:g}).fit(X, y)"


def _objective_gradient(problem, coef, intercept, C) -> np.ndarray:
    """Gradient of C * sum(loss) + 0.5 * ||coef||**2 at (coef (1 or k, p), intercept (1 or k,)), flattened."""
    X = problem.X
    _, codes = np.unique(problem.y, return_inverse=True)
    Z = X @ coef.T + intercept  # (n, 1) or (n, k)
    if coef.shape[0] == 1:
        residual = stable_sigmoid(Z) - codes.reshape(-1, 1)  # (n, 1)
    else:
        residual = softmax(Z) - np.eye(coef.shape[0])[codes]  # (n, k)
    return np.concatenate([(C * residual.T @ X + coef).ravel(), C * residual.sum(axis=0)])


def _probe_rows(problem, coef, intercept, rows: int) -> np.ndarray:
    """New rows (rows, p): with two classes, rows whose logit under (coef, intercept) is each of
    BOUNDARY_LOGITS in turn (so a threshold anywhere but 0 shows); otherwise rows like the data."""
    X_new = _new_rows(problem, rows)
    if coef is None or coef.shape[0] != 1 or not np.any(coef):
        return X_new
    c = coef[0]
    targets = np.resize(BOUNDARY_LOGITS, rows)
    return X_new + np.outer(targets - (X_new @ c + intercept[0]), c / (c @ c))  # move each row along c


def _coef_mistakes(problem, C):
    """Wrong coef_ values from a mis-stated objective."""
    X, y = problem.X, problem.y
    n = len(y)
    mistakes = [
        Diagnosis("coef_ is the fit with the intercept inside the penalty: leave intercept_ out of 0.5 * ||coef_||**2",
                  lambda: newton_logistic(X, y, C, penalise_intercept=True)[0]),
        Diagnosis(f"fit ignores C: coef_ is the fit with C=1, not C={C:g}; use self.C in the objective",
                  lambda: newton_logistic(X, y, 1.0)[0]),
        Diagnosis(f"coef_ is the fit with C={1 / C:g}: C multiplies the loss (larger C, weaker penalty); "
                  "it does not multiply the penalty", lambda: newton_logistic(X, y, 1 / C)[0]),
        Diagnosis(f"coef_ is the fit of the mean loss (C / n with n={n}): scikit-learn's objective sums the "
                  "loss over the rows", lambda: newton_logistic(X, y, C / n)[0]),
        Diagnosis("coef_ is the fit without an intercept: add a bias (a column of ones) that is not penalised",
                  lambda: newton_logistic(X, y, C, fit_intercept=False)[0]),
        Diagnosis("coef_ is the fit with the penalty ||coef_||**2 (no 0.5): its gradient is coef_, not 2 * coef_",
                  lambda: newton_logistic(X, y, C / 2)[0]),
    ]
    if problem.n_classes > 2:
        mistakes.append(Diagnosis(
            "coef_ is one-vs-rest: k separate binary fits. With 3+ classes fit one softmax model, all k rows together",
            lambda: sklearn_one_vs_rest(X, y, C)[0]))
    return mistakes


def _check_fitted(learner, problem, C):
    """coef_, intercept_ and predict_proba of the learner's fit against scikit-learn's."""
    k, p = problem.n_classes, problem.X.shape[1]
    rows = 1 if k == 2 else k
    want = sklearn_logistic(problem.X, problem.y, C)
    X_new = _new_rows(problem)
    with after_calling(_call(C)):
        model = _fit(learner, problem, C)
        coef = as_array(model.coef_, "coef_", (rows, p))
        assert_close(coef, want.coef_, what="coef_", rtol=COEF_TOL, atol=COEF_TOL, diagnoses=_coef_mistakes(problem, C))
        intercept = as_array(model.intercept_, "intercept_", (rows,))
        expected = want.intercept_
        if k > 2:  # only differences between the intercepts matter: compare them centred
            intercept, expected = intercept - intercept.mean(), expected - expected.mean()
        assert_close(intercept, expected, what="intercept_" + (" (centred)" if k > 2 else ""), rtol=COEF_TOL,
                     atol=COEF_TOL, diagnoses=[Diagnosis("intercept_ is still 0: fit must learn the bias too",
                                                         lambda: np.zeros_like(expected))])
    with after_calling(_call(C) + ", then predict_proba(X_new)"):
        got = model.predict_proba(X_new)
        assert_close(got, want.predict_proba(X_new), what="predict_proba(X_new)", rtol=0.0, atol=PROBA_TOL,
                     diagnoses=[Diagnosis("the columns of predict_proba are swapped: column j is the probability "
                                          "of classes_[j], so with two classes column 1 is sigmoid(logit)",
                                          lambda: want.predict_proba(X_new)[:, ::-1])])


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@example(z=np.array([-3.217, -0.04, 0.0, 0.513, 7.089]))  # off the grid
@example(z=0.731)  # a plain float
@given(z=st.one_of(grid_floats(-8, 8), st.integers(1, 8).flatmap(lambda n: grid_arrays((n,), -8, 8))))
def sigmoid_matches_its_definition(learner, z):
    """sigmoid(z) equals 1 / (1 + exp(-z)) elementwise (rtol 1e-12), for numbers and arrays."""
    expected = stable_sigmoid(z)
    mistakes = [
        Diagnosis("sigmoid returns 1 / (1 + exp(z)), which is sigmoid(-z): the exponent needs a minus sign",
                  lambda: stable_sigmoid(-np.asarray(z))),
        Diagnosis("sigmoid returns exp(-z) / (1 + exp(-z)), which is 1 - sigmoid(z) = sigmoid(-z)",
                  lambda: stable_sigmoid(-np.asarray(z))),
    ]
    assert_close(learner.sigmoid(z), expected, what="sigmoid(z)", rtol=1e-12, atol=1e-300, diagnoses=mistakes)


@check(examples=5)
@given(extra=st.lists(st.integers(-1000, 1000).map(float), min_size=0, max_size=4))
def sigmoid_is_stable_at_extreme_logits(learner, extra):
    """sigmoid at logits up to ±1000 raises no overflow warning and returns the exact value (atol 1e-15)."""
    z = np.concatenate([EXTREME_LOGITS, extra])
    got = _strict(learner, "sigmoid", z, call=f"sigmoid(z) with z={show(z)}")
    with after_calling(f"sigmoid(z) with z={show(z)}"):
        assert_close(got, stable_sigmoid(z), what="sigmoid(z)", rtol=1e-12, atol=1e-15)


@check(examples=20)
@example(point=GAUSSIAN_POINT)
@given(point=loss_points())
def log_loss_matches_the_cross_entropy(learner, point):
    """log_loss(X, y, w, b) equals the mean of -[y log p + (1 - y) log(1 - p)], p = sigmoid(X @ w + b) (rtol 1e-10)."""
    X, y, w, b = point.X, point.y, point.w, point.b
    p = stable_sigmoid(X @ w + b)
    mistakes = [
        Diagnosis("log_loss is the mean squared error of the probabilities: logistic regression's loss is the "
                  "cross-entropy -[y log p + (1 - y) log(1 - p)]", lambda: np.mean((p - y) ** 2)),
        Diagnosis("log_loss is the sum over the rows: take the mean", lambda: binary_log_loss(X, y, w, b) * len(y)),
        Diagnosis("log_loss has the wrong sign: the cross-entropy is minus the log-likelihood",
                  lambda: -binary_log_loss(X, y, w, b)),
        Diagnosis("log_loss swaps the labels: y = 1 should cost -log(p), where p = sigmoid(X @ w + b)",
                  lambda: binary_log_loss(X, 1 - y, w, b)),
        Diagnosis("log_loss uses log base 2: use the natural log (np.log)", lambda: binary_log_loss(X, y, w, b) / np.log(2)),
        Diagnosis("log_loss ignores b: the logits are X @ w + b", lambda: binary_log_loss(X, y, w, 0.0)),
    ]
    got = assert_scalar(learner.log_loss(X, y, w, b), "log_loss(X, y, w, b)")
    assert_close(got, binary_log_loss(X, y, w, b), what="log_loss(X, y, w, b)", rtol=1e-10, atol=1e-12,
                 diagnoses=mistakes)


@check(examples=5)
@given(labels=st.lists(st.integers(0, 1), min_size=4, max_size=4))
def log_loss_is_exact_at_extreme_logits(learner, labels):
    """log_loss at logits ±1000 raises no warning and is exact: a point at logit -1000 with label 1 costs 1000."""
    X = np.array([[1000.0], [-1000.0], [40.0], [-40.0]])
    y = np.array(labels, dtype=np.float64)
    w, b = np.array([1.0]), 0.0
    call = f"log_loss(X, y, w, b) with logits X @ w + b = [1000, -1000, 40, -40] and y={show(y)}"
    got = _strict(learner, "log_loss", X, y, w, b, call=call)
    expected = binary_log_loss(X, y, w, b)
    clipped = Diagnosis("log_loss clips the probabilities (to about 1e-15): that caps the cost of a confident "
                        "mistake at about 34.5. Compute it from the logit: log(1 + exp(z)) - y * z, with "
                        "np.logaddexp(0, z) for log(1 + exp(z))",
                        lambda: float(np.mean(-(y * np.log(np.clip(stable_sigmoid(X @ w + b), 1e-15, 1 - 1e-15)) + (1 - y) * np.log(np.clip(1 - stable_sigmoid(X @ w + b), 1e-15, 1 - 1e-15))))))
    with after_calling(call):
        assert_close(assert_scalar(got, "log_loss"), expected, what="log_loss", rtol=1e-10, atol=1e-12,
                     diagnoses=[clipped])


@check(examples=20)
@example(point=GAUSSIAN_POINT)
@given(point=loss_points())
def log_loss_grad_matches_finite_differences(learner, point):
    """log_loss_grad(X, y, w, b) matches central differences of the mean cross-entropy (relative error at most 1e-6)."""
    X, y, w, b = point.X, point.y, point.w, point.b
    n = len(y)
    numeric = numerical_gradient(lambda t: binary_log_loss(X, y, t[:-1], t[-1]), np.append(w, b), h=1e-5)  # (p + 1,)
    # Where an entry is near 0 the relative error measures only rounding noise.
    assume(np.all(np.abs(numeric) > 1e-3))
    result = learner.log_loss_grad(X, y, w, b)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"log_loss_grad(X, y, w, b) must return a pair (dw, db); got {type(result).__name__}: {show(result)}",
             result)
    dw, db = result
    p = stable_sigmoid(X @ w + b)  # (n,)

    def mistakes(pick):
        A = np.hstack([X, np.ones((n, 1))])  # (n, p + 1): the last entry is db
        return [
            Diagnosis("this is the gradient of the mean squared error (p - y)**2, not of the cross-entropy: with "
                      "the log loss the sigmoid's derivative cancels and the gradient is X.T @ (p - y) / n",
                      lambda: pick(2 * A.T @ ((p - y) * p * (1 - p)) / n)),
            Diagnosis("the gradient has the wrong sign: it is X.T @ (p - y) / n, with p the predicted probability",
                      lambda: pick(-A.T @ (p - y) / n)),
            Diagnosis(f"the gradient is n={n} times too large: it sums over the rows; the loss is their mean",
                      lambda: pick(A.T @ (p - y))),
            Diagnosis("the gradient uses the logits X @ w + b in place of the probabilities sigmoid(X @ w + b)",
                      lambda: pick(A.T @ (X @ w + b - y) / n)),
            Diagnosis("the gradient ignores b: p = sigmoid(X @ w + b)",
                      lambda: pick(A.T @ (stable_sigmoid(X @ w) - y) / n)),
        ]

    assert_gradient_close(dw, numeric[:-1], what="dw", max_relative_error=1e-6, diagnoses=mistakes(lambda g: g[:-1]))
    db = assert_scalar(db, "db")
    assert_gradient_close(db, numeric[-1], what="db", max_relative_error=1e-6, diagnoses=mistakes(lambda g: g[-1]))


@check(examples=8)
@example(problem=BINARY)
@example(problem=FOUR_CLASSES)
@given(problem=logistic_problems(n_classes=(2, 3, 4), max_rows=16))
def fit_returns_self_with_sklearn_shapes(learner, problem):
    """fit returns self; classes_ is the sorted labels; coef_ is (1, p) or (k, p), intercept_ (1,) or (k,); predict_proba rows sum to 1."""
    k, p = problem.n_classes, problem.X.shape[1]
    rows = 1 if k == 2 else k
    X_new = _new_rows(problem, 5)
    model = learner.LogisticRegression(C=1.0, **FIT)
    with after_calling(_call(1.0)):
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        assert_equal(model.classes_, np.unique(problem.y), what="classes_")
        coef = model.coef_
        if k == 2 and np.shape(coef) == (p,):
            fail(f"coef_ has shape {(p,)}: scikit-learn keeps it 2-d even for two classes, shape (1, p) = {(1, p)}", coef)
        if k == 2 and np.shape(coef) == (2, p):
            fail(f"coef_ has shape {(2, p)} for two classes: the binary model has one row of weights (the sigmoid "
                 f"of one logit), shape (1, p) = {(1, p)}", coef)
        as_array(coef, "coef_", (rows, p))
        as_array(model.intercept_, "intercept_", (rows,))
    with after_calling(_call(1.0) + ", then predict_proba(X_new)"):
        proba = as_array(model.predict_proba(X_new), "predict_proba(X_new)", (len(X_new), k))
        if np.any(proba < 0) or np.any(proba > 1):
            fail(f"predict_proba(X_new) has entries outside [0, 1]: {show(proba)}", proba)
        assert_close(proba.sum(axis=1), np.ones(len(X_new)), what="predict_proba(X_new).sum(axis=1)", rtol=0, atol=1e-12)


@check(examples=10)
@example(problem=BINARY, C=0.1)
@example(problem=BINARY_SIGNED, C=10.0)
@example(problem=SEPARABLE, C=10.0)
@given(problem=logistic_problems(n_classes=(2,)), C=st.sampled_from(CS))
def binary_fit_matches_sklearn(learner, problem, C):
    """Two classes: coef_ and intercept_ equal scikit-learn's LogisticRegression (same C) to 1e-4, predict_proba to 1e-5."""
    _check_fitted(learner, problem, C)


@check(examples=6)
@example(problem=THREE_CLASSES, C=10.0)
@example(problem=FOUR_CLASSES, C=0.1)
@example(problem=logistic_problem(0, 3, 12, 2), C=100.0)  # weak penalty, |coef_| ~ 7.5: a wrong Hessian stalls
@given(problem=logistic_problems(n_classes=(3, 4)), C=st.sampled_from(CS))
def multinomial_fit_matches_sklearn(learner, problem, C):
    """3-4 classes (softmax): coef_ and centred intercept_ equal scikit-learn's to 1e-4, predict_proba to 1e-5."""
    _check_fitted(learner, problem, C)


@check(examples=5)
@example(problem=logistic_problem(106, 2, 12, 2, labels=[2, 7]))
@example(problem=logistic_problem(107, 3, 15, 2, labels=[-4, -1, 2]))
@given(problem=logistic_problems(n_classes=(2, 3), labels=_label_sets))
def predict_returns_the_most_probable_label(learner, problem):
    """With labels that are not 0..k-1, predict(X_new) is classes_[argmax predict_proba(X_new)] and equals scikit-learn's."""
    X_new = _new_rows(problem)
    want = sklearn_logistic(problem.X, problem.y, 1.0)
    margin = np.sort(want.predict_proba(X_new), axis=1)
    assume(np.all(margin[:, -1] - margin[:, -2] > 1e-3))  # no near-ties decided by rounding
    with after_calling(_call(1.0) + ", then predict(X_new)"):
        model = _fit(learner, problem, 1.0)
        got = model.predict(X_new)
        expected = want.predict(X_new)
        classes = np.unique(problem.y)
        assert_equal(got, expected, what="predict(X_new)", diagnoses=[
            Diagnosis(f"predict returns column indices 0..k-1, not the labels: map them through classes_ = {show(classes)}",
                      lambda: np.searchsorted(classes, expected)),
        ])


@check(examples=3)
@given(binary=logistic_problems(n_classes=(2,)), multiclass=logistic_problems(n_classes=(3,)))
def predict_proba_is_stable_far_from_the_data(learner, binary, multiclass):
    """predict_proba on rows 1000 times farther out (logits in the thousands) raises no warning and equals scikit-learn's (1e-5), with two classes and with three."""
    # Both kinds in every example: the sigmoid and the softmax paths can each overflow.
    for problem in (binary, multiclass):
        X_far = 1000.0 * _new_rows(problem, 6)
        call = _call(1.0) + f", then predict_proba(1000 * X_new) with {problem.n_classes} classes"
        reply = learner._drive(DRIVER + "fit_then_predict_proba_strictly", dict(C=1.0, **FIT), problem.X, problem.y, X_far)
        if reply["problem"]:
            advice = ("use a stable sigmoid: exp(-|z|) never overflows" if problem.n_classes == 2 else
                      "subtract each row's largest logit before exp (the probabilities do not change)")
            fail(f"after {call}: predict_proba raised {reply['problem']}",
                 diagnosis=f"exp of a logit in the thousands overflows: {advice}")
        want = sklearn_logistic(problem.X, problem.y, 1.0).predict_proba(X_far)
        with after_calling(call):
            assert_close(reply["value"], want, what="predict_proba(1000 * X_new)", rtol=0.0, atol=PROBA_TOL)


STOPPING_EXAMPLES = [(BINARY, "max_iter"), (BINARY, "tol"), (THREE_CLASSES, "max_iter"), (THREE_CLASSES, "tol")]


@check(examples=4)
@example(problem=STOPPING_EXAMPLES[0][0], setting=STOPPING_EXAMPLES[0][1])
@example(problem=STOPPING_EXAMPLES[1][0], setting=STOPPING_EXAMPLES[1][1])
@example(problem=STOPPING_EXAMPLES[2][0], setting=STOPPING_EXAMPLES[2][1])
@example(problem=STOPPING_EXAMPLES[3][0], setting=STOPPING_EXAMPLES[3][1])
@given(problem=logistic_problems(n_classes=(2, 3)), setting=st.sampled_from(["max_iter", "tol"]))
def fit_stops_after_max_iter_or_as_soon_as_within_tol(learner, problem, setting):
    """With max_iter=1, or a tol above every gradient entry, fit stops short of the optimum (largest gradient entry above 1e-4)."""
    k, p = problem.n_classes, problem.X.shape[1]
    rows = 1 if k == 2 else k
    params = dict(C=1.0, max_iter=1, tol=1e-8) if setting == "max_iter" else dict(C=1.0, max_iter=100, tol=HUGE_TOL)
    call = f"LogisticRegression(C=1, max_iter={params['max_iter']}, tol={params['tol']:g}).fit(X, y)"
    with after_calling(call):
        model = learner.LogisticRegression(**params)
        model.fit(problem.X, problem.y)
        coef = as_array(model.coef_, "coef_", (rows, p))
        intercept = as_array(model.intercept_, "intercept_", (rows,))
        largest = float(np.abs(_objective_gradient(problem, coef, intercept, 1.0)).max())
        if largest > NOT_CONVERGED:
            return
        if setting == "max_iter":
            fail(f"fit reached the optimum (the largest entry of the objective's gradient at your coef_ and "
                 f"intercept_ is {largest:.2e}) although max_iter=1: one iteration from the start cannot get "
                 "there, so fit must stop after max_iter iterations", largest,
                 diagnosis="fit ignores max_iter: loop `for _ in range(self.max_iter)` (and stop early when the "
                 "gradient is within tol)")
        fail(f"fit reached the optimum (the largest entry of the objective's gradient at your coef_ and intercept_ "
             f"is {largest:.2e}) although tol={HUGE_TOL:g}: every gradient entry is below that tol from the start, "
             "so fit must stop at once (or after its first iteration)", largest,
             diagnosis="fit ignores tol: stop as soon as the largest entry of the gradient is at most self.tol")


PROBES = [ProbeCase(BINARY_SIGNED), ProbeCase(BINARY, rows=1), ProbeCase(THREE_CLASSES), ProbeCase(FOUR_CLASSES, rows=1)]


@check(examples=4)
@example(case=PROBES[0])
@example(case=PROBES[1])
@example(case=PROBES[2])
@example(case=PROBES[3])
@given(case=st.builds(ProbeCase, logistic_problems(n_classes=(2, 3), labels=_label_sets), st.sampled_from([1, 7])))
def predict_is_classes_at_the_argmax_of_predict_proba(learner, case):
    """predict(X_new) is classes_[argmax(predict_proba(X_new))] row by row, on rows near the boundary (two classes) and on a single row."""
    problem = case.problem
    k, p = problem.n_classes, problem.X.shape[1]
    with after_calling(_call(1.0)):
        model = _fit(learner, problem, 1.0)
        classes = np.asarray(model.classes_)
        assert_equal(classes, np.unique(problem.y), what="classes_")
        try:
            coef = np.asarray(model.coef_, dtype=np.float64).reshape(-1, p)
            intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            coef = intercept = None
    X_new = _probe_rows(problem, coef, intercept, case.rows)
    with after_calling(_call(1.0) + f", then predict_proba(X_new) and predict(X_new) with X_new={show(X_new)}"):
        proba = as_array(model.predict_proba(X_new), "predict_proba(X_new)", (case.rows, k))
        got = np.asarray(model.predict(X_new))
        top = np.sort(proba, axis=1)
        clear = top[:, -1] - top[:, -2] > 1e-9  # rows whose most probable class is not a tie
        if got.shape != (case.rows,):
            fail(f"predict(X_new): expected shape {(case.rows,)}, got shape {got.shape}", got)
        expected = classes[np.argmax(proba, axis=1)]
        mistakes = [Diagnosis(f"predict returns column indices 0..k-1, not the labels: map them through "
                              f"classes_ = {show(classes)}", lambda: np.argmax(proba, axis=1)[clear])]
        if k == 2 and coef is not None and coef.shape == (1, p):
            logit = X_new @ coef[0] + intercept[0]  # (rows,)
            mistakes += [
                Diagnosis("predict compares the logit X @ coef_ + intercept_ with 0.5: 0.5 is the threshold for "
                          "the probability; for the logit it is 0", lambda: classes[(logit > 0.5).astype(int)][clear]),
                Diagnosis("predict gives classes_[1] where the probability of classes_[0] is above 0.5: column 1 "
                          "of predict_proba is the probability of classes_[1]",
                          lambda: classes[(proba[:, 0] > 0.5).astype(int)][clear]),
            ]
        assert_equal(got[clear], expected[clear], what="predict(X_new) (rows without a tie)", diagnoses=mistakes)
