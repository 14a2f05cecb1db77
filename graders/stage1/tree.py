"""Grader for stage1/tree: impurities, the best split of a node, and whole CART trees.

Trees are compared with scikit-learn's only on data where scikit-learn's tree took the
unique best split at every node (tree_problems.tree_problems): there any correct
implementation grows the very same tree, whatever its tie-breaking. Rows to predict sit
on a finer grid than the training values, so some land exactly on a threshold and test
the `<=` that sends them left. Limits and perfect fits are checked as properties on any data.
"""

from __future__ import annotations

import numpy as np
import sklearn.tree  # noqa: F401 - imported while the learner process starts, not inside a check
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, assert_scalar, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.strategies import grid_arrays
from mldojo.graders.kit.tree_problems import (
    LABEL_VALUES,
    candidate_splits,
    distinct_columns,
    distinct_rows,
    impurity,
    labels,
    split_problems,
    tree_limits,
    tree_problems,
)

VERSION = "1"


# -- inputs --------------------------------------------------------------------------------


@st.composite
def label_arrays(draw, max_rows=12):
    """Labels with 1 to 4 distinct values taken from arbitrary integers."""
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(1, min(4, n)))
    return draw(labels(n, k, draw(LABEL_VALUES)))


@st.composite
def any_tree_data(draw, max_rows=20):
    """Data with ties allowed (repeated values, repeated labels), distinct rows, and limits."""
    classification = draw(st.booleans())
    X = draw(distinct_rows(max_rows))
    n, p = X.shape
    if classification:
        y = draw(labels(n, draw(st.integers(1, min(3, n))), draw(LABEL_VALUES)))
    else:
        y = draw(grid_arrays((n,), -3, 3, 0.5))
    return classification, X, y, draw(tree_limits(p))


# -- helpers -------------------------------------------------------------------------------


def _ask(learner, classification, X, y, asks, criterion="gini", **params) -> dict:
    """Fit the learner's tree and get the answers to `asks` in one round trip (tree_driver)."""
    kind = "DecisionTreeClassifier" if classification else "DecisionTreeRegressor"
    if classification:
        params = dict(criterion=criterion, **params)
    answers = learner._drive("mldojo.graders.stage1.tree_driver:fit_and_ask", kind, params, X, y, asks)
    if not answers.get("fit returned self"):
        fail("fit did not return the model: end fit with `return self`, so that "
             f"{kind}().fit(X, y).predict(X) works")
    return answers


def _call(classification, criterion="gini", then="", **params) -> str:
    args = ([f"criterion={criterion!r}"] if classification else []) + [f"{k}={v!r}" for k, v in params.items()]
    name = "DecisionTreeClassifier" if classification else "DecisionTreeRegressor"
    return f"{name}({', '.join(args)}).fit(X, y){then}"


def _impurity_mistakes(y, name):
    """Wrong impurities from known slips: counts for shares, natural log, a lost sign or a lost 1 -."""
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    mistakes = [
        Diagnosis(f"{name} is computed on the class counts instead of their shares: divide the counts by n first",
                  lambda: (1.0 - np.sum(counts**2)) if name == "gini" else -np.sum(counts * np.log2(counts))),
    ]
    if name == "gini":
        mistakes += [
            Diagnosis("gini returns sum(p**2), the chance two random rows agree: gini is 1 minus that",
                      lambda: np.sum(p**2)),
            Diagnosis("gini returns the entropy: gini is 1 - sum(p**2)", lambda: -np.sum(p * np.log2(p))),
        ]
    else:
        mistakes += [
            Diagnosis("entropy uses the natural log: use np.log2 (entropy in bits, like scikit-learn)",
                      lambda: -np.sum(p * np.log(p))),
            Diagnosis("entropy has the wrong sign: it is -sum(p * log2(p)), which is never negative",
                      lambda: np.sum(p * np.log2(p))),
        ]
    return mistakes


def _split_mistakes(problem, want):
    """Wrong thresholds: a training value instead of the midpoint."""
    feature, threshold = want
    values = np.unique(problem.X[:, feature])
    i = int(np.searchsorted(values, threshold))  # values[i - 1] < threshold < values[i]
    return [
        Diagnosis("threshold is the largest value on the left, not the midpoint: take (a + b) / 2 of the two "
                  "consecutive distinct values the split falls between", lambda: values[i - 1]),
        Diagnosis("threshold is the smallest value on the right, not the midpoint: take (a + b) / 2 of the two "
                  "consecutive distinct values the split falls between", lambda: values[i]),
    ]


STRUCTURE = {"get_depth": None, "get_n_leaves": None}


def _structure(answers):
    depth = assert_scalar(answers["get_depth"], "get_depth()")
    leaves = assert_scalar(answers["get_n_leaves"], "get_n_leaves()")
    return int(depth), int(leaves)


def _compare_structure(answers, sk):
    depth, leaves = _structure(answers)
    want_depth, want_leaves = sk.get_depth(), sk.get_n_leaves()
    if leaves != want_leaves:
        more = leaves > want_leaves
        why = ("more leaves: does the tree keep splitting nodes that are already pure, or ignore "
               "max_depth / min_samples_split / min_samples_leaf?" if more else
               "fewer leaves: does the tree stop too early (max_depth off by one, a limit applied "
               "with > instead of >=)?")
        fail(f"get_n_leaves(): got {leaves}, expected {want_leaves} (scikit-learn's tree on the same data)\n  {why}", leaves)
    if depth != want_depth:
        fail(f"get_depth(): got {depth}, expected {want_depth} (scikit-learn's tree on the same data; "
             "a lone leaf has depth 0, one split depth 1)", depth)


# -- checks --------------------------------------------------------------------------------


@check(examples=20)
@given(y=label_arrays())
def gini_matches_its_definition(learner, y):
    """gini(y) equals 1 - sum of squared class shares, to 1e-12."""
    got = assert_scalar(learner.gini(y), "gini(y)")
    assert_close(got, impurity(y, "gini"), what="gini(y)", rtol=1e-12, atol=1e-12, diagnoses=_impurity_mistakes(y, "gini"))


@check(examples=20)
@given(y=label_arrays())
def entropy_matches_its_definition(learner, y):
    """entropy(y) equals -sum of p * log2(p) over the classes present, to 1e-12."""
    got = assert_scalar(learner.entropy(y), "entropy(y)")
    assert_close(got, impurity(y, "entropy"), what="entropy(y)", rtol=1e-12, atol=1e-12,
                 diagnoses=_impurity_mistakes(y, "entropy"))


@check(examples=30)
@given(problem=split_problems())
def best_split_finds_the_purest_midpoint_split(learner, problem):
    """best_split returns the (feature, midpoint threshold) of least weighted child impurity, when it is unique."""
    msl = problem.params["min_samples_leaf"]
    want = min(candidate_splits(problem.X, problem.y, problem.criterion, msl))[1:]  # (feature, threshold)
    call = f"best_split(X, y, criterion={problem.criterion!r}, min_samples_leaf={msl})"
    got = learner.best_split(problem.X, problem.y, problem.criterion, msl)
    if got is None:
        fail(f"{call} returned None, but splits are allowed here; the best is feature {want[0]} at "
             f"threshold {show(want[1])}", got)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{call} must return a pair (feature, threshold); got {show(got)}", got)
    feature = assert_scalar(got[0], f"{call}[0] (the feature)")
    if feature != want[0]:
        score = {(f, t): s for s, f, t in candidate_splits(problem.X, problem.y, problem.criterion, msl)}
        theirs = [s for (f, t), s in score.items() if f == feature]
        detail = (f"; the best split on feature {int(feature)} leaves weighted impurity {show(min(theirs))}, "
                  f"the best overall {show(min(score.values()))}") if theirs else ""
        fail(f"{call}: feature {show(feature)}, expected {want[0]}{detail}.\n  Compare the weighted impurity "
             "(n_left * I(left) + n_right * I(right)) / n of every candidate and keep the smallest", got)
    assert_close(got[1], want[1], what=f"{call} threshold", rtol=1e-12, atol=1e-12,
                 diagnoses=_split_mistakes(problem, want))


@check(examples=15)
@given(data=st.data())
def best_split_is_none_when_no_split_is_allowed(learner, data):
    """best_split returns None when every feature is constant, or when min_samples_leaf leaves no room."""
    n = data.draw(st.integers(1, 8), "n")
    p = data.draw(st.integers(1, 3), "p")
    if data.draw(st.booleans(), "constant features"):
        X = np.tile(data.draw(distinct_columns(1, p), "row"), (n, 1))  # (n, p): one row repeated
        msl = 1
    else:
        X = data.draw(distinct_columns(n, p), "X")
        msl = data.draw(st.integers(n // 2 + 1, n + 1), "min_samples_leaf")  # 2 * msl > n
    y = data.draw(labels(n, min(2, n), [0, 1]), "y")
    got = learner.best_split(X, y, "gini", msl)
    if got is not None:
        fail(f"best_split(X, y, 'gini', min_samples_leaf={msl}) returned {show(got)} for X={show(X)}: no split "
             "is allowed here (a constant feature has no midpoint; both children need min_samples_leaf "
             "rows), so it must return None", got)


@check(examples=12)
@given(problem=tree_problems(classification=True, max_rows=16), all_features=st.booleans())
def classifier_matches_sklearn(learner, problem, all_features):
    """DecisionTreeClassifier's predict_proba (1e-12), predict, depth and leaf count equal scikit-learn's when no splits tie."""
    sk = problem.oracle
    want_proba = sk.predict_proba(problem.X_new.astype(np.float32))
    params = dict(problem.params)
    if all_features:  # max_features = p means every feature at every node: no randomness at all
        params.update(max_features=problem.X.shape[1], random_state=0)
    with after_calling(_call(True, problem.criterion, ", then predict_proba(X_new)", **params)):
        asks = dict(STRUCTURE, classes_=None, predict_proba=problem.X_new, predict=problem.X_new)
        answers = _ask(learner, True, problem.X, problem.y, asks, problem.criterion, **params)
        assert_equal(as_array(answers["classes_"], "classes_"), sk.classes_, what="classes_")
        _compare_structure(answers, sk)
        assert_close(answers["predict_proba"], want_proba, what="predict_proba(X_new)", rtol=1e-12, atol=1e-12,
                     diagnoses=[Diagnosis("rows exactly on a threshold went right: send x <= threshold to the left",
                                          lambda: _strict_proba(sk, problem.X_new))])
        clear = np.sum(want_proba == want_proba.max(axis=1, keepdims=True), axis=1) == 1
        got = as_array(answers["predict"], "predict(X_new)", (len(problem.X_new),))
        want = sk.classes_[np.argmax(want_proba, axis=1)]
        assert_equal(np.where(clear, got, want), want, what="predict(X_new) (rows whose leaf has one majority)")


@check(examples=15)
@given(problem=tree_problems(classification=False, max_rows=20))
def regressor_matches_sklearn(learner, problem):
    """DecisionTreeRegressor's predict (1e-9), depth and leaf count equal scikit-learn's when no splits tie."""
    sk = problem.oracle
    want = sk.predict(problem.X_new.astype(np.float32))
    with after_calling(_call(False, then=", then predict(X_new)", **problem.params)):
        answers = _ask(learner, False, problem.X, problem.y, dict(STRUCTURE, predict=problem.X_new), **problem.params)
        _compare_structure(answers, sk)
        assert_close(answers["predict"], want, what="predict(X_new)", rtol=1e-9, atol=1e-9,
                     diagnoses=[Diagnosis("rows exactly on a threshold went right: send x <= threshold to the left",
                                          lambda: _strict_predict(sk, problem.X_new)),
                                Diagnosis("leaves predict the median of their rows: the squared error is "
                                          "smallest at the mean", lambda: _leaf_medians(sk, problem))])


@check()
def max_features_draws_features_at_random_reproducibly(learner):
    """With max_features=1 the same random_state grows the same tree, and different random_states grow different trees."""
    rng = np.random.default_rng(11)
    X = rng.permutation(np.arange(-60, 60))[:120].reshape(30, 4) * 0.25  # (30, 4), all values distinct
    y = rng.integers(0, 3, size=30)
    X_new = rng.integers(-60, 60, size=(40, 4)) * 0.25
    asks = {"predict_proba": X_new, "get_n_leaves": None}
    seen = []
    for seed in range(6):
        params = dict(max_features=1, random_state=seed)
        with after_calling(_call(True, then=", twice, then predict_proba(X_new)", **params)):
            first = as_array(_ask(learner, True, X, y, asks, **params)["predict_proba"], "predict_proba(X_new)", (40, 3))
            again = as_array(_ask(learner, True, X, y, asks, **params)["predict_proba"], "predict_proba(X_new)", (40, 3))
            if not np.array_equal(first, again):
                fail("two trees with the same random_state predict differently: draw the features with one "
                     "np.random.default_rng(random_state) made in fit, and nothing else random")
        seen.append(first)
    if all(np.array_equal(seen[0], other) for other in seen[1:]):
        fail("DecisionTreeClassifier(max_features=1, random_state=s) grew the same tree for s = 0..5 on 4 "
             "features: with max_features=k each node must draw k features at random and choose its split "
             "among those only (stage1/forest relies on it)")


@check(examples=15)
@given(data=any_tree_data())
def unlimited_trees_fit_distinct_rows_perfectly(learner, data):
    """With no limits, a tree reproduces the training labels/targets of distinct rows exactly."""
    classification, X, y, _ = data
    with after_calling(_call(classification, then=", then predict(X)")):
        answers = _ask(learner, classification, X, y, {"predict": X})
        got = as_array(answers["predict"], "predict(X)", y.shape)
        if not np.array_equal(got, y):
            wrong = int(np.argmax(got != y))
            fail(f"predict(X) on the training rows: got {show(got)}\n  expected y = {show(y)}\n  (row {wrong}, "
                 f"X[{wrong}]={show(X[wrong])}, is wrong). Every row here is distinct, so an unlimited tree can "
                 "keep splitting until each leaf is pure: does it stop too early?", got)


@check(examples=20)
@given(data=any_tree_data())
def limits_are_respected_and_leaves_predict_their_rows(learner, data):
    """depth <= max_depth; every leaf keeps >= min_samples_leaf rows; leaves = get_n_leaves(); a leaf predicts its rows' mean / majority."""
    classification, X, y, params = data
    with after_calling(_call(classification, then=", then apply(X), predict(X)", **params)):
        answers = _ask(learner, classification, X, y, dict(STRUCTURE, apply=X, predict=X), **params)
        depth, n_leaves = _structure(answers)
        if params.get("max_depth") is not None and depth > params["max_depth"]:
            fail(f"get_depth() is {depth} with max_depth={params['max_depth']}: stop splitting at max_depth", depth)
        leaf = as_array(answers["apply"], "apply(X)", y.shape)
        ids, sizes = np.unique(leaf, return_counts=True)
        if len(ids) > 1 and sizes.min() < params["min_samples_leaf"]:  # a lone root leaf may be smaller
            fail(f"a leaf holds only {sizes.min()} training rows with min_samples_leaf={params['min_samples_leaf']}: "
                 f"apply(X) = {show(leaf)}. Skip candidate splits that leave fewer rows on either side", leaf)
        if len(ids) > n_leaves:
            fail(f"apply(X) names {len(ids)} different leaves but get_n_leaves() is {n_leaves}", leaf)
        got = as_array(answers["predict"], "predict(X)", y.shape)
        for i in ids:
            rows = leaf == i
            if classification:
                values, counts = np.unique(y[rows], return_counts=True)
                ok = np.all(np.isin(got[rows], values[counts == counts.max()]))
                want = f"its most common label among {show(values[counts == counts.max()])}"
            else:
                ok = np.allclose(got[rows], y[rows].mean(), rtol=1e-9, atol=1e-9)
                want = f"the mean of its training targets, {show(y[rows].mean())}"
            if not ok:
                fail(f"the leaf apply(X) calls {show(i)} holds training rows {show(np.flatnonzero(rows))} with "
                     f"y = {show(y[rows])} and predicts {show(got[rows])}; it should predict {want}", got)


@check(examples=10)
@given(data=any_tree_data())
def a_pure_node_is_a_leaf(learner, data):
    """When every training label (or target) is the same, the tree is a single leaf: depth 0, 1 leaf."""
    classification, X, y, _ = data
    y = np.full_like(y, y[0])
    with after_calling(_call(classification)):
        depth, leaves = _structure(_ask(learner, classification, X, y, STRUCTURE))
        if (depth, leaves) != (0, 1):
            fail(f"all {len(y)} targets equal {show(y[0])}, yet the tree has depth {depth} and {leaves} leaves: "
                 "a pure node has nothing left to separate, so it must become a leaf", (depth, leaves))


# -- diagnoses that refit scikit-learn's structure with another rule ------------------------


def _strict_values(sk, X):
    """Walk scikit-learn's fitted tree sending x == threshold to the right; leaf values (m, C)."""
    tree = sk.tree_
    out = []
    for x in X:
        node = 0
        while tree.children_left[node] != -1:
            node = tree.children_left[node] if x[tree.feature[node]] < tree.threshold[node] else tree.children_right[node]
        out.append(tree.value[node][0])
    return np.array(out)


def _strict_proba(sk, X):
    values = _strict_values(sk, X)
    return values / values.sum(axis=1, keepdims=True)


def _strict_predict(sk, X):
    return _strict_values(sk, X)[:, 0]


def _leaf_medians(sk, problem):
    train_leaf = sk.apply(problem.X.astype(np.float32))
    new_leaf = sk.apply(problem.X_new.astype(np.float32))
    return np.array([np.median(problem.y[train_leaf == leaf]) for leaf in new_leaf])
