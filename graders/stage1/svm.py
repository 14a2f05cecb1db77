"""Grader for stage1/svm: linear and RBF kernels, and a kernel SVM trained by SMO.

Kernels are compared with sklearn.metrics.pairwise. The trained model is judged on what
the dual promises, computed here from the learner's own alpha_ and intercept_: the box
0 <= alpha <= C, the balance sum(alpha * y) = 0, the KKT conditions; and on its
predictions: the sign of the decision function agrees with scikit-learn's SVC on new
points. Problems are two blobs a few standard deviations apart, trained on a grid.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, assert_scalar, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.linear_models import kkt_violations, sklearn_svc, svm_problems
from mldojo.graders.kit.strategies import grid_arrays

VERSION = "1"

FIT_TOL = 1e-4  # the tol every fit check passes
KKT_TOL = 1e-3  # how far from the KKT conditions a fitted point may be
AGREEMENT = 0.99  # share of held-out points whose predicted side must match scikit-learn's
GAMMAS = [0.1, 0.5, 1.0, 2.0]


# -- inputs --------------------------------------------------------------------------------


@st.composite
def row_pairs(draw):
    """Two sets of rows X (n, p) and Y (m, p) on a grid of quarters."""
    p = draw(st.integers(1, 4))
    X = draw(grid_arrays((draw(st.integers(1, 6)), p), -3, 3))
    Y = draw(grid_arrays((draw(st.integers(1, 6)), p), -3, 3))
    return X, Y


# -- helpers -------------------------------------------------------------------------------


def _call(problem) -> str:
    gamma = f", gamma={problem.gamma:g}" if problem.kernel == "rbf" else ""
    return f"SVC(C={problem.C:g}, kernel={problem.kernel!r}{gamma}, tol={FIT_TOL:g}).fit(X, y)"


def _fit(learner, problem):
    """The learner's model fitted on the problem: (model, alpha (n,), intercept)."""
    model = learner.SVC(C=problem.C, kernel=problem.kernel, gamma=problem.gamma, tol=FIT_TOL)
    model.fit(problem.X, problem.y)
    alpha = as_array(model.alpha_, "alpha_", (len(problem.y),))
    intercept = assert_scalar(model.intercept_, "intercept_")
    return model, alpha, intercept


def _signs(problem) -> np.ndarray:
    """Labels as signs: +1 for classes_[1], the larger label."""
    return np.where(problem.y == np.unique(problem.y)[1], 1.0, -1.0)


def _gram(problem, A, B) -> np.ndarray:
    from sklearn.metrics.pairwise import linear_kernel, rbf_kernel

    return linear_kernel(A, B) if problem.kernel == "linear" else rbf_kernel(A, B, gamma=problem.gamma)


def _expansion(problem, alpha, intercept, rows) -> np.ndarray:
    """f(x) = sum_i alpha_i y_i K(x_i, x) + b for the given rows: (m,)."""
    return _gram(problem, rows, problem.X) @ (alpha * _signs(problem)) + intercept


def _kernel_mistakes(X, Y, gamma, squared):
    return [
        Diagnosis("the distances are not squared: use exp(-gamma * ||x - y||**2)",
                  lambda: np.exp(-gamma * np.sqrt(squared))),
        Diagnosis("the exponent has no minus sign: exp(-gamma * d**2) falls from 1 as points move apart",
                  lambda: np.exp(gamma * squared)),
        Diagnosis("gamma divides the squared distance instead of multiplying it",
                  lambda: np.exp(-squared / gamma)),
        Diagnosis("the kernel compares X with itself: K[i, j] pairs X[i] with Y[j]",
                  lambda: np.exp(-gamma * ((X[:, None] - X[None]) ** 2).sum(axis=2))),
    ]


# -- checks --------------------------------------------------------------------------------


@check(examples=15)
@given(rows=row_pairs())
def linear_kernel_matches_sklearn(learner, rows):
    """linear_kernel(X, Y) equals sklearn.metrics.pairwise.linear_kernel(X, Y) (n, m) to 1e-12."""
    from sklearn.metrics.pairwise import linear_kernel

    X, Y = rows
    mistakes = [Diagnosis("the kernel compares X with itself: K[i, j] = X[i] @ Y[j]", lambda: X @ X.T)]
    assert_close(learner.linear_kernel(X, Y), linear_kernel(X, Y), what="linear_kernel(X, Y)", rtol=1e-12,
                 atol=1e-12, diagnoses=mistakes)


@check(examples=15)
@given(rows=row_pairs(), gamma=st.sampled_from(GAMMAS))
def rbf_kernel_matches_sklearn(learner, rows, gamma):
    """rbf_kernel(X, Y, gamma) equals sklearn.metrics.pairwise.rbf_kernel (n, m) to rtol 1e-9, atol 1e-12."""
    from sklearn.metrics.pairwise import rbf_kernel

    X, Y = rows
    squared = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2)  # (n, m)
    assert_close(learner.rbf_kernel(X, Y, gamma), rbf_kernel(X, Y, gamma=gamma), what=f"rbf_kernel(X, Y, gamma={gamma:g})",
                 rtol=1e-9, atol=1e-12, diagnoses=_kernel_mistakes(X, Y, gamma, squared))


@check(examples=5)
@given(problem=svm_problems(max_rows=16))
def fit_returns_self_with_the_documented_attributes(learner, problem):
    """fit returns self; classes_ is the two sorted labels, alpha_ is (n,), intercept_ a float; predict gives labels."""
    model = learner.SVC(C=problem.C, kernel=problem.kernel, gamma=problem.gamma, tol=FIT_TOL)
    with after_calling(_call(problem)):
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        assert_equal(model.classes_, np.unique(problem.y), what="classes_")
        as_array(model.alpha_, "alpha_", (len(problem.y),))
        if np.ndim(model.intercept_) != 0:
            fail(f"intercept_ should be one float, got shape {np.shape(model.intercept_)}", model.intercept_)
    X_new = problem.X_test[:5]
    with after_calling(_call(problem) + ", then decision_function(X_new) and predict(X_new)"):
        as_array(model.decision_function(X_new), "decision_function(X_new)", (5,))
        predicted = np.asarray(model.predict(X_new))
        if predicted.shape != (5,) or not np.isin(predicted, problem.y).all():
            fail(f"predict(X_new) returned {show(predicted)}: expected 5 labels from classes_ = "
                 f"{show(np.unique(problem.y))}", predicted)


@check(examples=10)
@given(problem=svm_problems(Cs=(0.05, 0.1, 1.0), separation=(0.5, 2.5)))
def dual_variables_stay_in_the_box_and_balance(learner, problem):
    """After fit, every alpha_i is in [0, C] (to 1e-9 C) and sum(alpha_i * y_i) = 0 (to 1e-8 C n), on overlapping classes."""
    C, n = problem.C, len(problem.y)
    with after_calling(_call(problem)):
        _, alpha, _ = _fit(learner, problem)
        worst = int(np.argmax(np.maximum(alpha - C, -alpha)))
        if alpha[worst] > C * (1 + 1e-9) or alpha[worst] < -1e-9 * C:
            side = f"above C={C:g}" if alpha[worst] > C else "below 0"
            fail(f"alpha_[{worst}] = {show(alpha[worst])} is {side}: every multiplier must stay in [0, C].\n"
                 f"alpha_ = {show(alpha)}", alpha, diagnosis=(
                     "after the unconstrained step along the pair, clip alpha_j to [L, H]: with y_i != y_j, "
                     "L = max(0, alpha_j - alpha_i) and H = min(C, C + alpha_j - alpha_i); with y_i == y_j, "
                     "L = max(0, alpha_i + alpha_j - C) and H = min(C, alpha_i + alpha_j). Then move alpha_i "
                     "by the opposite amount, times y_i * y_j"))
        balance = float(alpha @ _signs(problem))
        if abs(balance) > 1e-8 * C * n:
            fail(f"sum(alpha_ * y) = {show(balance)}, not 0 (y as signs, +1 for classes_[1]): the two multipliers "
                 "of each step must move together so that alpha_i y_i + alpha_j y_j stays the same", balance,
                 diagnosis="after changing alpha_j by d, change alpha_i by -y_i * y_j * d. Clipping alpha after the "
                 "loop (or clipping one multiplier of a pair without moving the other) breaks the balance: clip "
                 "each step instead, to the range [L, H] that keeps both inside [0, C]")


@check(examples=10)
@given(problem=svm_problems())
def kkt_conditions_hold_after_fit(learner, problem):
    """With tol=1e-4, every training point meets the KKT conditions of alpha_ and intercept_ within 1e-3 (margin units)."""
    with after_calling(_call(problem)):
        _, alpha, intercept = _fit(learner, problem)
        margins = _signs(problem) * _expansion(problem, alpha, intercept, problem.X)  # (n,)
        violation = kkt_violations(np.clip(alpha, 0, problem.C), margins, problem.C)
        worst = int(np.argmax(violation))
        if violation[worst] > KKT_TOL:
            a = alpha[worst]
            if a <= 1e-8 * problem.C:
                state = "alpha = 0, so it needs margin >= 1"
            elif a >= problem.C * (1 - 1e-8):
                state = "alpha = C, so it needs margin <= 1"
            else:
                state = "0 < alpha < C, so it needs margin = 1"
            fail(f"training row {worst}: alpha_ = {show(a)} and margin y f(x) = {show(margins[worst])}; {state} "
                 f"(off by {show(float(violation[worst]))}, allowed {KKT_TOL:g}).\n"
                 "(f(x) = sum_i alpha_i y_i K(x_i, x) + intercept_, computed from your alpha_ and intercept_)",
                 margins, diagnosis=_kkt_diagnosis(problem, alpha, intercept))


def _kkt_diagnosis(problem, alpha, intercept) -> str | None:
    """Name the mistake when a simple change to intercept_ would satisfy the KKT conditions."""
    alpha = np.clip(alpha, 0, problem.C)
    flipped = _signs(problem) * _expansion(problem, alpha, -intercept, problem.X)
    if kkt_violations(alpha, flipped, problem.C).max() <= KKT_TOL:
        return ("intercept_ has the wrong sign: negated, every point meets the KKT conditions. For a free support "
                "vector k (0 < alpha_k < C), b = y_k - sum_i alpha_i y_i K(x_i, x_k)")
    without_b = _signs(problem) * _expansion(problem, alpha, 0.0, problem.X)  # margins with b = 0
    if kkt_violations(alpha, without_b, problem.C).max() <= KKT_TOL:
        return "the KKT conditions hold with intercept_ = 0: did fit forget to store b?"
    return ("the multipliers are not optimal yet: does the loop stop before every point is within tol of its "
            "condition (a pass limit, or max_iter too small)? Pick the pair that violates the conditions the most "
            "and keep going until none does by more than tol")


@check(examples=8)
@given(problem=svm_problems(max_rows=20))
def decision_function_is_the_kernel_expansion(learner, problem):
    """decision_function(X_new) equals sum_i alpha_i y_i K(x_i, x) + intercept_ from the model's own alpha_ and intercept_ (1e-8)."""
    X_new = problem.X_test[:12]
    with after_calling(_call(problem) + ", then decision_function(X_new)"):
        model, alpha, intercept = _fit(learner, problem)
        expected = _expansion(problem, alpha, intercept, X_new)
        K = _gram(problem, X_new, problem.X)
        mistakes = [
            Diagnosis("decision_function leaves out the labels: each term is alpha_i * y_i * K(x_i, x), y_i = +-1",
                      lambda: K @ alpha + intercept),
            Diagnosis("decision_function leaves out intercept_", lambda: expected - intercept),
            Diagnosis("decision_function subtracts intercept_: f(x) = sum_i alpha_i y_i K(x_i, x) + b",
                      lambda: expected - 2 * intercept),
            Diagnosis("decision_function uses the labels as given (e.g. 0 and 1), not as signs -1 and +1",
                      lambda: K @ (alpha * problem.y) + intercept),
        ]
        assert_close(model.decision_function(X_new), expected, what="decision_function(X_new)", rtol=1e-8, atol=1e-8,
                     diagnoses=mistakes)
    with after_calling(_call(problem) + ", then predict(X_new)"):
        classes = np.unique(problem.y)
        want = np.where(expected > 0, classes[1], classes[0])
        assume(np.all(np.abs(expected) > 1e-6))
        assert_equal(model.predict(X_new), want, what="predict(X_new)", diagnoses=[
            Diagnosis(f"predict returns the signs -1/+1, not the labels classes_ = {show(classes)}",
                      lambda: np.where(expected > 0, 1, -1)),
            Diagnosis("predict swaps the classes: positive decision values belong to classes_[1]",
                      lambda: np.where(expected > 0, classes[0], classes[1])),
        ])


def _agrees_with_sklearn(learner, problem):
    """The share of held-out points on the same side as scikit-learn's SVC is at least 99%."""
    reference = sklearn_svc(problem)
    C = problem.C
    free = np.abs(reference.dual_coef_[0])
    # With no free support vector, b is only known to lie in an interval: any b there is optimal.
    assume(np.any((free > 1e-6 * C) & (free < C * (1 - 1e-6))))
    want = reference.decision_function(problem.X_test)  # (m,)
    with after_calling(_call(problem) + ", then decision_function(X_test)"):
        model, alpha, intercept = _fit(learner, problem)
        got = as_array(model.decision_function(problem.X_test), "decision_function(X_test)", want.shape)
        agree = np.sign(got) == np.sign(want)
        if agree.mean() < AGREEMENT:
            worst = int(np.argmax(np.where(agree, -np.inf, np.abs(want))))
            fail(f"the sign of decision_function agrees with scikit-learn's SVC on {agree.mean():.1%} of "
                 f"{len(want)} new points (at least {AGREEMENT:.0%} needed).\n"
                 f"  e.g. x = {show(problem.X_test[worst])}: yours {show(got[worst])}, scikit-learn's {show(want[worst])}\n"
                 f"  scikit-learn: {int(len(reference.support_))} support vectors, intercept {show(float(reference.intercept_[0]))}; "
                 f"yours: {int(np.sum(alpha > 1e-8 * C))} with alpha > 0, intercept_ {show(intercept)}",
                 got, diagnoses=[Diagnosis("the decision values are scikit-learn's with the sign flipped: is +1 "
                                           "given to classes_[0] instead of classes_[1]?", lambda: -want)])


@check(examples=10)
@given(problem=svm_problems(kernels=("linear",)))
def linear_svm_agrees_with_sklearn(learner, problem):
    """kernel='linear': the sign of decision_function agrees with scikit-learn's SVC on >= 99% of 300 new points."""
    _agrees_with_sklearn(learner, problem)


@check(examples=10)
@given(problem=svm_problems(kernels=("rbf",)))
def rbf_svm_agrees_with_sklearn(learner, problem):
    """kernel='rbf': the sign of decision_function agrees with scikit-learn's SVC on >= 99% of 300 new points."""
    _agrees_with_sklearn(learner, problem)
