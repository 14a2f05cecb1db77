"""Grader for stage1/boosting: squared-error and log-loss gradient boosting of small trees.

The regressor's staged predictions are compared with scikit-learn's
GradientBoostingRegressor on data where every stage's tree has a unique best split at
every node (tree_problems.boosting_problems), so the two build the same trees. The
classifier is held to scikit-learn's held-out accuracy on fixed problems: the test labels
stay here, the learner's code only sees the training data and the test rows.
"""

from __future__ import annotations

import numpy as np
import sklearn.ensemble  # noqa: F401 - imported while the learner process starts, not inside a check
from hypothesis import strategies as st

from mldojo.graders.engine.proxy import same_object
from dataclasses import dataclass, field

from hypothesis import assume

from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, check, example, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.strategies import grid_arrays
from mldojo.graders.kit.tree_problems import (
    LABEL_VALUES,
    BoostingProblem,
    boosting_problems,
    distinct_columns,
    distinct_rows,
    labels,
    sklearn_boosting_regressor,
    tree_is_tie_free,
)

VERSION = "4"
DRIVER = "mldojo.graders.stage1.boosting_driver"
ACCURACY_MARGIN = 0.01  # the classifier's held-out accuracy may trail scikit-learn's by at most this
BENCHMARK = dict(n_estimators=30, learning_rate=0.2, max_depth=2)


# -- inputs --------------------------------------------------------------------------------


@st.composite
def tied_regression_data(draw, max_rows=16):
    """Small integer-grid data with repeated values and targets (ties allowed) and hyperparameters."""
    p = draw(st.integers(1, 3))
    n = draw(st.integers(2, max_rows))
    X = np.array(draw(st.lists(st.lists(st.integers(-3, 3), min_size=p, max_size=p), min_size=n, max_size=n)), dtype=np.float64)
    y = np.array(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n)), dtype=np.float64) / 2
    params = {"n_estimators": draw(st.integers(1, 8)), "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
              "max_depth": draw(st.integers(1, 3))}
    return X, y, params


@st.composite
def binary_problems(draw, max_rows=20):
    """Two-class data on distinct grid values, labelled with two arbitrary integers."""
    p = draw(st.integers(1, 3))
    n = draw(st.integers(4, max_rows))
    X = draw(distinct_columns(n, p))
    y = draw(labels(n, 2, draw(LABEL_VALUES)))
    X_new = draw(distinct_columns(draw(st.integers(1, 6)), p, -48, 48, 0.125))
    params = {"n_estimators": draw(st.integers(1, 6)), "learning_rate": draw(st.sampled_from([0.1, 0.5])),
              "max_depth": draw(st.integers(1, 3))}
    return X, y, X_new, params


def benchmark_problems():
    """Fixed held-out problems: (name, X_train, y_train, X_test, y_test)."""
    from sklearn.datasets import make_classification, make_moons

    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=1)
    yield "make_classification(n_samples=300, n_features=6, random_state=1)", X[:200], y[:200] * 5 - 2, X[200:], y[200:] * 5 - 2
    X, y = make_moons(n_samples=300, noise=0.3, random_state=3)
    yield "make_moons(n_samples=300, noise=0.3, random_state=3)", X[:200], y[:200], X[200:], y[200:]


# -- the classifier against scikit-learn ---------------------------------------------------


@dataclass
class ClassifierProblem:
    """Two-class data X (n, p), y (n,) (two arbitrary labels), new rows X_new (m, p), hyperparameters."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    params: dict
    oracle: object = field(repr=False, default=None)  # scikit-learn's fitted GradientBoostingClassifier


def sklearn_boosting_classifier(X, y, **params):
    """scikit-learn's GradientBoostingClassifier (log-loss, its default) with a fixed random_state."""
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(random_state=0, **params).fit(X, y)


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _log_odds(t):
    p = t.mean()
    return float(np.log(p / (1 - p)))


def classifier_is_tie_free(model, X, y) -> bool:
    """True when every stage's tree took the unique best split at every node, on that stage's
    residuals t - sigmoid(F): any correct implementation then grows the same trees."""
    t = (np.asarray(y) == model.classes_[1]).astype(np.float64)
    F = np.full(len(t), _log_odds(t))
    for stage, F_next in zip(model.estimators_[:, 0], model.staged_decision_function(X)):
        if not tree_is_tie_free(stage, X, t - _sigmoid(F), "squared_error"):
            return False
        F = np.asarray(F_next, dtype=np.float64).ravel()
    return True


@st.composite
def classifier_problems(draw, max_rows=20, max_estimators=5) -> ClassifierProblem:
    """A two-class problem whose boosting trees scikit-learn grows without any tie."""
    p = draw(st.integers(1, 3))
    n = draw(st.integers(4, max_rows))
    X = draw(distinct_columns(n, p))
    y = draw(labels(n, 2, draw(LABEL_VALUES)))
    params = {"n_estimators": draw(st.integers(1, max_estimators)),
              "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
              "max_depth": draw(st.integers(1, 3 if p == 1 else 2))}
    X_new = np.vstack([X[: draw(st.integers(0, 3))], draw(grid_arrays((draw(st.integers(1, 5)), p), -10, 10, 0.125))])
    model = sklearn_boosting_classifier(X, y, **params)
    assume(classifier_is_tie_free(model, X, y))
    return ClassifierProblem(X, y, X_new, params, model)


def _fixed_data(seed, n, p, n_positive=None):
    """Distinct quarter-grid X (n, p); labels 7 (n_positive rows) and -2, or distinct eighth-grid targets; new rows."""
    rng = np.random.default_rng(seed)
    X = np.stack([rng.permutation(np.arange(-40, 41))[:n] for _ in range(p)], axis=1) * 0.25
    if n_positive is None:
        y = rng.permutation(np.arange(-64, 65))[:n] * 0.125
    else:
        y = rng.permutation(np.array([7] * n_positive + [-2] * (n - n_positive)))
    X_new = np.vstack([X[:2], rng.integers(-80, 81, size=(4, p)) * 0.125])
    return X, y, X_new


def fixed_classifier(seed, n, p, n_positive, **params) -> ClassifierProblem:
    """A tie-free classification problem (tests/test_stage1_boosting.py proves it)."""
    X, y, X_new = _fixed_data(seed, n, p, n_positive)
    return ClassifierProblem(X, y, X_new, params, sklearn_boosting_classifier(X, y, **params))


def fixed_regressor(seed, n, p, **params) -> BoostingProblem:
    """A tie-free regression problem (tests/test_stage1_boosting.py proves it)."""
    X, y, X_new = _fixed_data(seed, n, p)
    return BoostingProblem(X, y, X_new, params, sklearn_boosting_regressor(X, y, **params))


# Unbalanced classes (the starting log-odds is not 0), learning_rate != 0.1 and max_depth != 3 (the
# stub's defaults), and trees of depth 3 would differ: every stated hyperparameter shows here.
FIXED_CLASSIFIERS = [
    fixed_classifier(1, 14, 2, 4, n_estimators=3, learning_rate=0.5, max_depth=1),
    fixed_classifier(0, 16, 1, 11, n_estimators=4, learning_rate=1.0, max_depth=2),
]
# Second inputs for confirming a diagnosis: every slip below changes the answer there, and the trees
# grown with the slip are tie-free too (tests/test_stage1_boosting.py), so any code with it agrees.
CLASSIFIER_CONFIRM = fixed_classifier(21, 10, 2, 2, n_estimators=2, learning_rate=0.5, max_depth=2)
FIXED_REGRESSORS = [
    fixed_regressor(76, 12, 2, n_estimators=3, learning_rate=0.5, max_depth=1),
    fixed_regressor(0, 14, 1, n_estimators=4, learning_rate=1.0, max_depth=2),
]
REGRESSOR_CONFIRM = fixed_regressor(31, 10, 2, n_estimators=2, learning_rate=0.5, max_depth=2)


def coarse_grid_regressor(seed=2, n=14, p=2, **params) -> BoostingProblem:
    """Integer features from -3 to 3, so values repeat within a column (a split can only fall
    between distinct values), and new rows lying exactly on the thresholds of scikit-learn's trees
    (x <= threshold goes left); tie-free like the others (tests/test_stage1_boosting.py)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(n, p)).astype(np.float64)  # (n, p)
    y = rng.permutation(np.arange(-64, 65))[:n] * 0.125
    params = params or dict(n_estimators=3, learning_rate=0.5, max_depth=2)
    model = sklearn_boosting_regressor(X, y, **params)
    on = []
    for tree in model.estimators_[:, 0]:
        for feature, threshold in zip(tree.tree_.feature, tree.tree_.threshold):
            if feature >= 0:  # an inner node: a row of X moved onto its threshold
                row = X[0].copy()
                row[feature] = threshold
                on.append(row)
    return BoostingProblem(X, y, np.vstack([X[:3], np.array(on)]), params, model)


FIXED_REGRESSORS.append(coarse_grid_regressor())


def _book_classifier(problem, *, start="log-odds", newton=True, residual="t - p", learning_rate=None, max_depth=None):
    """Log-loss boosting by the book with scikit-learn's trees, one step changed: decision_function(X_new) (m,)."""
    from sklearn.tree import DecisionTreeRegressor

    params = problem.params
    lr = params["learning_rate"] if learning_rate is None else learning_rate
    depth = params["max_depth"] if max_depth is None else max_depth
    t = (problem.y == np.unique(problem.y)[1]).astype(np.float64)
    share = t.mean()
    F0 = {"log-odds": _log_odds(t), "zero": 0.0, "share": share, "other class": -_log_odds(t)}[start]
    F, F_new = np.full(len(t), F0), np.full(len(problem.X_new), F0)
    for _ in range(params["n_estimators"]):
        p = _sigmoid(F)
        r = t - p if residual == "t - p" else t - F
        tree = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(problem.X, r)
        leaf, leaf_new = tree.apply(problem.X.astype(np.float32)), tree.apply(problem.X_new.astype(np.float32))
        values = tree.tree_.value[:, 0, 0].copy()  # leaf means of r
        if newton:
            for node in np.unique(leaf):
                hessian = np.sum(p[leaf == node] * (1 - p[leaf == node]))
                values[node] = np.sum(r[leaf == node]) / hessian if hessian > 1e-150 else 0.0
        F, F_new = F + lr * values[leaf], F_new + lr * values[leaf_new]
    return F_new


CLASSIFIER_SLIPS = [
    ("the model starts from 0 instead of the log-odds log(p / (1 - p)) of the share p of classes_[1]",
     dict(start="zero")),
    ("the model starts from the share p of classes_[1] itself: start from its log-odds log(p / (1 - p))",
     dict(start="share")),
    ("the model starts from the log-odds of classes_[0]: F is the log-odds of classes_[1], log(p / (1 - p)) with p "
     "the share of classes_[1]", dict(start="other class")),
    ("the leaves keep the mean of t - p: replace each leaf's value by the Newton step "
     "sum(t - p) / sum(p * (1 - p)) over its rows", dict(newton=False)),
    ("the trees are fitted to t - F, the log-odds: fit them to t - sigmoid(F)", dict(residual="t - F")),
    ("each tree is added in full: multiply its leaf values by learning_rate", dict(learning_rate=1.0)),
    ("learning_rate is ignored: the trees are shrunk by 0.1, the default, whatever learning_rate is given",
     dict(learning_rate=0.1)),
    ("max_depth is ignored: the trees are 3 deep, the default, whatever max_depth is given", dict(max_depth=3)),
]


def _classifier_mistakes(problem, learner):
    """Diagnoses for decision_function: boosting by the book with one step changed, confirmed on CLASSIFIER_CONFIRM."""
    def confirm(change):
        def second() -> bool:
            other = CLASSIFIER_CONFIRM
            wrong = _book_classifier(other, **change)
            if np.allclose(wrong, other.oracle.decision_function(other.X_new), rtol=1e-6, atol=1e-6):
                return False  # the slip changes nothing there: no evidence
            model = learner.GradientBoostingClassifier(**other.params)
            model.fit(other.X, other.y)
            got = np.asarray(model.decision_function(other.X_new), dtype=np.float64)
            return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-6, atol=1e-6))
        return second

    return [Diagnosis(message, lambda change=change: _book_classifier(problem, **change), confirm(change))
            for message, change in CLASSIFIER_SLIPS]


# -- helpers -------------------------------------------------------------------------------


def _call(name, params, then="") -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{name}({args}).fit(X, y){then}"


def _staged(learner, model, X) -> np.ndarray:
    result = learner._drive(f"{DRIVER}:staged", model, X)
    if isinstance(result, dict):
        fail(result["problem"])
    return as_array(result, "staged_predict(X_new)")


def _simulate(X, y, X_new, params, *, residuals=True, start="mean", learning_rate=None, max_depth=None):
    """Boosting by the book with scikit-learn's trees, a step changed: for diagnoses. (stages, m)."""
    from sklearn.tree import DecisionTreeRegressor

    lr = params["learning_rate"] if learning_rate is None else learning_rate
    depth = params["max_depth"] if max_depth is None else max_depth
    F = np.full(len(y), y.mean() if start == "mean" else 0.0)
    F_new = np.full(len(X_new), F[0])
    out = []
    for _ in range(params["n_estimators"]):
        tree = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X, y - F if residuals else y)
        F, F_new = F + lr * tree.predict(X), F_new + lr * tree.predict(X_new)
        out.append(F_new)
    return np.array(out)


REGRESSOR_SLIPS = [
    ("every tree is fitted to the targets y instead of the residuals y - F: each stage must fit "
     "what the model so far still gets wrong", dict(residuals=False)),
    ("the model starts from 0 instead of mean(y): init_ is the mean target, and the first "
     "residuals are y - mean(y)", dict(start="zero")),
    ("each tree is added in full: multiply its predictions by learning_rate before adding them",
     dict(learning_rate=1.0)),
    ("learning_rate is ignored: the trees are shrunk by 0.1, the default, whatever learning_rate is given",
     dict(learning_rate=0.1)),
    ("max_depth is ignored: the trees are 3 deep, the default, whatever max_depth is given", dict(max_depth=3)),
]
SHIFTED = ("the stages are shifted by one: the first array staged_predict gives must already include "
           "the first tree (init_ alone is not a stage)")


def _shifted(problem, want):
    return np.vstack([np.full((1, len(problem.X_new)), problem.y.mean()), want[:-1]])


def _staged_mistakes(problem, want, learner):
    """Diagnoses for staged_predict: boosting by the book with one step changed, confirmed on REGRESSOR_CONFIRM."""
    def confirm(variant):
        def second() -> bool:
            other = REGRESSOR_CONFIRM
            right = np.array(list(other.oracle.staged_predict(other.X_new)))
            wrong = variant(other, right)
            if wrong.shape == right.shape and np.allclose(wrong, right, rtol=1e-6, atol=1e-6):
                return False  # the slip changes nothing there: no evidence
            model = learner.GradientBoostingRegressor(**other.params)
            model.fit(other.X, other.y)
            got = learner._drive(f"{DRIVER}:staged", model, other.X_new)
            got = np.asarray(got, dtype=np.float64) if not isinstance(got, dict) else None
            return got is not None and got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-6, atol=1e-6))
        return second

    def book(change):
        return lambda pr, right: _simulate(pr.X, pr.y, pr.X_new, pr.params, **change)

    variants = [(message, book(change)) for message, change in REGRESSOR_SLIPS] + [(SHIFTED, _shifted)]
    return [Diagnosis(message, lambda v=v: v(problem, want), confirm(v)) for message, v in variants]


# -- checks --------------------------------------------------------------------------------


@check(examples=6)
@given(problem=boosting_problems(max_rows=10, max_estimators=3, tie_free=False), data=binary_problems(max_rows=10))
def fit_returns_self_and_answers_have_the_right_shapes(learner, problem, data):
    """fit returns self; staged_predict gives n_estimators arrays (m,); predict (m,); predict_proba (m, 2)."""
    m = len(problem.X_new)
    with after_calling(_call("GradientBoostingRegressor", problem.params)):
        model = learner.GradientBoostingRegressor(**problem.params)
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        as_array(_staged(learner, model, problem.X_new), "staged_predict(X_new)", (problem.params["n_estimators"], m))
        as_array(model.predict(problem.X_new), "predict(X_new)", (m,))
    X, y, X_new, params = data
    with after_calling(_call("GradientBoostingClassifier", params)):
        model = learner.GradientBoostingClassifier(**params)
        returned = model.fit(X, y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        as_array(model.predict_proba(X_new), "predict_proba(X_new)", (len(X_new), 2))
        as_array(model.predict(X_new), "predict(X_new)", (len(X_new),))


@check(examples=12)
@example(problem=FIXED_REGRESSORS[0])
@example(problem=FIXED_REGRESSORS[1])
@example(problem=FIXED_REGRESSORS[2])  # repeated feature values, new rows on the thresholds
@given(problem=boosting_problems())
def regressor_stages_match_sklearn(learner, problem):
    """staged_predict(X_new) equals scikit-learn's GradientBoostingRegressor stage by stage, to 1e-6, when no splits tie."""
    want = np.array(list(problem.oracle.staged_predict(problem.X_new)))  # (stages, m)
    with after_calling(_call("GradientBoostingRegressor", problem.params, ", then staged_predict(X_new)")):
        model = learner.GradientBoostingRegressor(**problem.params)
        model.fit(problem.X, problem.y)
        got = _staged(learner, model, problem.X_new)
        assert_close(got, want, what="staged_predict(X_new) (one row per stage)", rtol=1e-6, atol=1e-6,
                     diagnoses=_staged_mistakes(problem, want, learner))


@check(examples=10)
@given(problem=boosting_problems(max_estimators=4))
def predict_is_the_last_stage(learner, problem):
    """predict(X_new) equals the last array of staged_predict(X_new), to 1e-12."""
    with after_calling(_call("GradientBoostingRegressor", problem.params, ", then predict(X_new)")):
        model = learner.GradientBoostingRegressor(**problem.params)
        model.fit(problem.X, problem.y)
        last = _staged(learner, model, problem.X_new)[-1]
        got = model.predict(problem.X_new)
        assert_close(got, last, what="predict(X_new)", rtol=1e-12, atol=1e-12,
                     diagnoses=[Diagnosis("predict leaves out init_", lambda: last - problem.y.mean())])


@check(examples=15)
@given(data=tied_regression_data())
def training_loss_never_rises(learner, data):
    """On the training data, the mean squared error after each stage is never above the one before (nor above mean(y)'s)."""
    X, y, params = data
    with after_calling(_call("GradientBoostingRegressor", params, ", then staged_predict(X)")):
        model = learner.GradientBoostingRegressor(**params)
        model.fit(X, y)
        stages = _staged(learner, model, X)
        as_array(stages, "staged_predict(X)", (params["n_estimators"], len(y)))
        losses = np.concatenate([[np.mean((y - y.mean()) ** 2)], np.mean((stages - y) ** 2, axis=1)])
        rises = np.flatnonzero(losses[1:] > losses[:-1] * (1 + 1e-9) + 1e-12)
        if rises.size:
            s = int(rises[0])
            fail(f"the training MSE rose from {show(losses[s])} {'at the start (mean(y))' if s == 0 else f'after stage {s}'} "
                 f"to {show(losses[s + 1])} after stage {s + 1} (MSE by stage, starting from mean(y): {show(losses)}).\n"
                 "  Each tree fitted to the residuals y - F, shrunk by learning_rate <= 1, can only lower it: is a "
                 "tree fitted to y instead, or subtracted instead of added?", stages)


# Neighbouring doubles, nothing between them: the midpoint of 1+1ulp and 1+2ulp rounds up onto the
# larger (the threshold falls back to the smaller), that of 1+2ulp and 1+3ulp rounds down onto the
# smaller (x <= threshold must keep it left). scikit-learn's trees see float32 and cannot show this.
_A = np.nextafter(1.0, 2.0)
_B = np.nextafter(_A, 2.0)
_C = np.nextafter(_B, 2.0)
NEIGHBOUR_FLOATS = (np.array([[0.5], [_A], [_B], [_C], [2.0]]), np.array([0.0, 1.0, 3.0, 6.0, 10.0]))


@st.composite
def distinct_row_data(draw, max_rows=10):
    """Distinct rows on a small grid and their targets: a deep enough tree can fit them exactly."""
    X = draw(distinct_rows(max_rows))
    y = np.array(draw(st.lists(st.integers(-8, 8), min_size=len(X), max_size=len(X))), dtype=np.float64) / 2
    return X, y


@check(examples=8)
@example(data=NEIGHBOUR_FLOATS)
@given(data=distinct_row_data())
def one_deep_stage_fits_distinct_rows(learner, data):
    """One stage with learning_rate=1 and depth to spare reproduces y on distinct training rows."""
    X, y = data
    params = dict(n_estimators=1, learning_rate=1.0, max_depth=len(y))
    with after_calling(_call("GradientBoostingRegressor", params, ", then predict(X)")):
        model = learner.GradientBoostingRegressor(**params)
        model.fit(X, y)
        got = as_array(model.predict(X), "predict(X)", y.shape)
    wrong = np.flatnonzero(~np.isclose(got, y, rtol=0, atol=1e-9))
    if wrong.size:
        row = int(wrong[0])
        fail(f"predict(X) on the training rows: got {show(got)}\n  expected y = {show(y)}\n  (row {row}, "
             f"X[{row}]={[float(v) for v in X[row]]}, is wrong). The rows are distinct, so a tree of depth {len(y)} splits "
             "them all apart; look at where your tree puts its thresholds (midpoints, the smaller value when "
             "the midpoint rounds onto the larger) and that x <= threshold goes left", got)


@check(examples=10)
@given(data=binary_problems())
def classifier_probabilities_are_consistent(learner, data):
    """classes_ are the sorted labels; predict_proba rows sum to 1 with column 1 = sigmoid(decision_function); predict takes the likelier class."""
    X, y, X_new, params = data
    with after_calling(_call("GradientBoostingClassifier", params, ", then predict_proba(X_new)")):
        model = learner.GradientBoostingClassifier(**params)
        model.fit(X, y)
        classes = as_array(model.classes_, "classes_")
        assert_equal(classes, np.unique(y), what="classes_")
        F = as_array(model.decision_function(X_new), "decision_function(X_new)", (len(X_new),))
        proba = as_array(model.predict_proba(X_new), "predict_proba(X_new)", (len(X_new), 2))
        p1 = np.exp(-np.logaddexp(0.0, -F))  # sigmoid without overflow
        assert_close(proba, np.column_stack([1 - p1, p1]), what="predict_proba(X_new)", rtol=1e-9, atol=1e-9,
                     diagnoses=[Diagnosis("the two columns are swapped: column 1 is the probability of classes_[1] "
                                          "= sigmoid(decision_function)", lambda: np.column_stack([p1, 1 - p1]))])
        clear = np.abs(F) > 1e-9  # a log-odds of exactly 0 may go either way
        want = np.where(F > 0, classes[-1], classes[0])
        got = as_array(model.predict(X_new), "predict(X_new)", (len(X_new),))
        assert_equal(np.where(clear, got, want), want, what="predict(X_new)", diagnoses=[
            Diagnosis("predict returns 0/1 instead of the labels in classes_",
                      lambda: np.where(clear, (F > 0).astype(float), want)),
            Diagnosis("predict compares the log-odds with 0.5, as if they were a probability: pick classes_[1] where "
                      "decision_function > 0 (its probability is then above 1/2)",
                      lambda: np.where(clear, np.where(F > 0.5, classes[-1], classes[0]), want))])


@check(examples=10)
@example(problem=FIXED_CLASSIFIERS[0])
@example(problem=FIXED_CLASSIFIERS[1])
@given(problem=classifier_problems())
def classifier_decision_function_matches_sklearn(learner, problem):
    """decision_function(X_new) equals scikit-learn's GradientBoostingClassifier's (the log-odds of classes_[1]) to 1e-6 when no splits tie."""
    want = problem.oracle.decision_function(problem.X_new)  # (m,)
    with after_calling(_call("GradientBoostingClassifier", problem.params, ", then decision_function(X_new)")):
        model = learner.GradientBoostingClassifier(**problem.params)
        model.fit(problem.X, problem.y)
        assert_close(model.decision_function(problem.X_new), want, what="decision_function(X_new)", rtol=1e-6,
                     atol=1e-6, diagnoses=_classifier_mistakes(problem, learner))


@check()
def classifier_accuracy_is_within_one_point_of_sklearn(learner):
    """On fixed held-out problems, the classifier's accuracy is at most 1 point below scikit-learn's GradientBoostingClassifier."""
    from sklearn.ensemble import GradientBoostingClassifier

    for name, X, y, X_test, y_test in benchmark_problems():
        want = GradientBoostingClassifier(random_state=0, **BENCHMARK).fit(X, y).score(X_test, y_test)
        with after_calling(_call("GradientBoostingClassifier", BENCHMARK, f" on {name}, then predict(X_test)")):
            model = learner.GradientBoostingClassifier(**BENCHMARK)
            model.fit(X, y)
            got = as_array(model.predict(X_test), "predict(X_test)", y_test.shape)
        accuracy = float(np.mean(got == y_test))
        if accuracy < want - ACCURACY_MARGIN:
            majority = max(np.mean(y_test == c) for c in np.unique(y))
            hint = ("it is no better than always predicting one class: does predict return the labels in classes_, "
                    "and do the trees see t - sigmoid(F) rather than t?" if accuracy <= majority + 0.02 else
                    "check the starting log-odds, the residuals t - sigmoid(F), and the Newton step in each leaf")
            fail(f"held-out accuracy on {name}: {accuracy:.3f}, scikit-learn's {want:.3f} "
                 f"(allowed: at most {ACCURACY_MARGIN:.2f} below) — {hint}", accuracy)
