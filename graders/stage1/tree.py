"""Grader for stage1/tree: impurities, the best split of a node, and whole CART trees.

Trees are compared with scikit-learn's only on data where scikit-learn's tree took the
unique best split at every node (tree_problems.tree_problems): there any correct
implementation grows the very same tree, whatever its tie-breaking. Rows to predict sit
on a finer grid than the training values, so some land exactly on a threshold and test
the `<=` that sends them left. Limits and perfect fits are checked as properties on any data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sklearn.tree  # noqa: F401 - imported while the learner process starts, not inside a check
from hypothesis import strategies as st

from mldojo.graders.kit import (
    CheckFailed,
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_equal,
    assert_scalar,
    check,
    example,
    fail,
    given,
)
from mldojo.graders.kit.asserts import name_mistakes
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.strategies import grid_arrays
from mldojo.graders.kit.tree_problems import (
    LABEL_VALUES,
    TreeProblem,
    candidate_splits,
    distinct_columns,
    distinct_rows,
    impurity,
    labels,
    sklearn_tree,
    split_problems,
    tree_limits,
    tree_problems,
    unique_best_split,
)

VERSION = "3"
DRIVER = "mldojo.graders.stage1.tree_driver"


# -- fixed inputs: every rule the stub states, shown on every grading ----------------------


def _fixed_data(seed, n, p, classification, n_classes=2, target_scale=1.0):
    """X (n, p) with distinct quarter-grid values per feature, labels from (-1, 3, 8) or distinct
    eighth-grid targets (times target_scale), and new rows: two training rows and four off-grid rows."""
    rng = np.random.default_rng(seed)
    X = np.stack([rng.permutation(np.arange(-40, 41))[:n] for _ in range(p)], axis=1) * 0.25
    if classification:
        classes = np.array([-1, 3, 8][:n_classes])
        y = rng.permutation(np.concatenate([classes, rng.choice(classes, n - n_classes)]))
    else:
        y = rng.permutation(np.arange(-64, 65))[:n] * 0.125 * target_scale
    X_new = np.vstack([X[:2], rng.integers(-80, 81, size=(4, p)) * 0.125])
    return X, y, X_new


def fixed_tree(seed, n, p, classification=True, criterion="gini", n_classes=2, target_scale=1.0,
               **params) -> TreeProblem:
    """A tie-free tree problem (tests/test_stage1_tree.py proves it), with one new row on each
    threshold of scikit-learn's tree (x <= threshold goes left)."""
    X, y, X_new = _fixed_data(seed, n, p, classification, n_classes, target_scale)
    criterion = criterion if classification else "squared_error"
    model = sklearn_tree(classification, X, y, criterion, **params)
    inner = model.tree_.children_left != -1
    on = np.repeat(X[:1], inner.sum(), axis=0)
    on[np.arange(inner.sum()), model.tree_.feature[inner]] = model.tree_.threshold[inner]
    return TreeProblem(X, y, np.vstack([X_new, on]), params, criterion, classification, model)


# Each differs from the tree grown with that one rule changed (criterion, or a limit at its default).
LIMITS = dict(max_depth=3, min_samples_split=2, min_samples_leaf=1)  # the fixed examples' limits, but for one
FIXED_CLASSIFIERS = {
    "entropy, not gini": fixed_tree(25, 16, 2, criterion="entropy", n_classes=3, **LIMITS),
    "gini, not entropy": fixed_tree(25, 16, 2, criterion="gini", n_classes=3, **LIMITS),
    "min_samples_split=6": fixed_tree(57, 14, 2, **dict(LIMITS, min_samples_split=6)),
    "min_samples_leaf=3": fixed_tree(37, 14, 2, **dict(LIMITS, min_samples_leaf=3)),
    "max_depth=1": fixed_tree(10, 12, 1, criterion="entropy", **dict(LIMITS, max_depth=1)),
}
FIXED_REGRESSORS = {
    "min_samples_split=6": fixed_tree(3, 14, 2, False, **dict(LIMITS, min_samples_split=6)),
    "min_samples_leaf=3": fixed_tree(3, 14, 2, False, **dict(LIMITS, min_samples_leaf=3)),
    "max_depth=2": fixed_tree(0, 10, 1, False, **dict(LIMITS, max_depth=2)),
    # Prices, not grid values: weighted impurities near 1e12 (targets times 2**17, exact in binary).
    "targets in the 100,000s": fixed_tree(5, 40, 2, False, target_scale=2.0**17, max_depth=4),
}


def fixed_split(seed, n, criterion, n_classes=2, min_samples_leaf=1) -> TreeProblem:
    """One node's data for best_split (unique best split: tests/test_stage1_tree.py)."""
    X, y, _ = _fixed_data(seed, n, 2, True, n_classes)
    return TreeProblem(X, y, X[:0], {"min_samples_leaf": min_samples_leaf}, criterion, True)


FIXED_SPLITS = {  # the best split changes with the criterion / with min_samples_leaf
    "entropy, not gini": fixed_split(1, 10, "entropy", n_classes=3),
    "gini, not entropy": fixed_split(1, 10, "gini", n_classes=3),
    "min_samples_leaf=3": fixed_split(4, 10, "gini", min_samples_leaf=3),
}


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


def _split_mistakes(problem, want, learner=None):
    """Wrong (feature, threshold) pairs: a training value instead of the midpoint (threshold only), a
    stated argument ignored (min_samples_leaf, criterion), each confirmed on FIXED_SPLITS."""
    feature, threshold = want
    values = np.unique(problem.X[:, feature])
    i = int(np.searchsorted(values, threshold))  # values[i - 1] < threshold < values[i]
    msl, criterion = problem.params["min_samples_leaf"], problem.criterion
    out = [
        Diagnosis("threshold is the largest value on the left, not the midpoint: take (a + b) / 2 of the two "
                  "consecutive distinct values the split falls between", lambda: np.array([feature, values[i - 1]])),
        Diagnosis("threshold is the smallest value on the right, not the midpoint: take (a + b) / 2 of the two "
                  "consecutive distinct values the split falls between", lambda: np.array([feature, values[i]])),
    ]
    if learner is None:
        return out
    if msl > 1:
        out.append(Diagnosis(f"min_samples_leaf={msl} is ignored: skip every candidate that leaves fewer rows than "
                             "that on either side", _best_split_of(problem, criterion, 1),
                             _split_confirm(learner, FIXED_SPLITS["min_samples_leaf=3"], None, 1)))
    if criterion != "gini":
        out.append(Diagnosis(f"the split is scored by gini although criterion={criterion!r}: compute the impurity "
                             "the criterion names", _best_split_of(problem, "gini", msl),
                             _split_confirm(learner, FIXED_SPLITS["entropy, not gini"], "gini", None)))
    return out


def _best_split_of(problem, criterion, msl):
    """wrong_answer: the unique best split (feature, threshold) with another criterion or min_samples_leaf."""
    def answer():
        found = unique_best_split(problem.X, problem.y, criterion, msl)
        if found is None:
            raise ValueError("no unique best split there")  # the diagnosis is skipped
        return np.array(found, dtype=np.float64)
    return answer


def _split_confirm(learner, fixed, criterion, msl):
    """confirm(): on a fixed node, best_split with the node's own arguments returns the split that
    `criterion` / `msl` (None: the node's own) give, and that split is not the right one."""
    def confirm() -> bool:
        own_msl = fixed.params["min_samples_leaf"]
        wrong = unique_best_split(fixed.X, fixed.y, criterion or fixed.criterion, own_msl if msl is None else msl)
        right = unique_best_split(fixed.X, fixed.y, fixed.criterion, own_msl)
        if wrong is None or wrong == right:
            return False
        got = learner.best_split(fixed.X, fixed.y, fixed.criterion, own_msl)
        return got is not None and len(got) == 2 and bool(np.allclose(np.asarray(got, dtype=float), wrong))
    return confirm


STRUCTURE = {"get_depth": None, "get_n_leaves": None}


def _structure(answers):
    depth = assert_scalar(answers["get_depth"], "get_depth()")
    leaves = assert_scalar(answers["get_n_leaves"], "get_n_leaves()")
    return int(depth), int(leaves)


def _answer_vector(depth, leaves, predictions) -> np.ndarray:
    """A tree's whole answer as one vector: depth, leaf count, then its predictions on X_new."""
    return np.concatenate([[float(depth), float(leaves)], np.asarray(predictions, dtype=np.float64).ravel()])


def _sk_answer(model, problem) -> np.ndarray:
    """scikit-learn's tree's answer vector on problem.X_new (predict_proba, or predict for a regressor)."""
    rows = problem.X_new.astype(np.float32)
    predictions = model.predict_proba(rows) if problem.classification else model.predict(rows)
    return _answer_vector(model.get_depth(), model.get_n_leaves(), predictions)


def _learner_answer(learner, problem) -> np.ndarray:
    """The learner's answer vector on a problem, with the problem's own params."""
    what = "predict_proba" if problem.classification else "predict"
    answers = _ask(learner, problem.classification, problem.X, problem.y, dict(STRUCTURE, **{what: problem.X_new}),
                   problem.criterion, **problem.params)
    return _answer_vector(answers["get_depth"], answers["get_n_leaves"], answers[what])


def _rule_changes(problem):
    """(message, criterion, params, fixed example to confirm on): trees grown with one stated rule changed."""
    params = _limits(problem.params)
    fixed = FIXED_CLASSIFIERS if problem.classification else FIXED_REGRESSORS
    changes = []
    if problem.classification:
        other = "gini" if problem.criterion == "entropy" else "entropy"
        changes.append((f"the tree splits by {other} although criterion={problem.criterion!r}: pass the criterion "
                        "on to best_split", other, params, fixed["entropy, not gini"]))
    depth = params["max_depth"]
    if depth is not None:
        changes.append((f"max_depth={depth} is ignored: a node at depth max_depth must become a leaf", problem.criterion,
                        dict(params, max_depth=None), _fixed_for(fixed, "max_depth")))
        changes.append((f"the tree grows one level past max_depth={depth}: stop when depth >= max_depth, not "
                        "depth > max_depth", problem.criterion, dict(params, max_depth=depth + 1),
                        _fixed_for(fixed, "max_depth")))
    if params["min_samples_split"] > 2:
        changes.append((f"min_samples_split={params['min_samples_split']} is ignored: a node with fewer rows than "
                        "that must become a leaf", problem.criterion, dict(params, min_samples_split=2),
                        fixed["min_samples_split=6"]))
    changes.append(("a node with exactly min_samples_split rows is not split: split when len(y) >= "
                    "min_samples_split (stop only below it)", problem.criterion,
                    dict(params, min_samples_split=params["min_samples_split"] + 1), fixed["min_samples_split=6"]))
    if params["min_samples_leaf"] > 1:
        changes.append((f"min_samples_leaf={params['min_samples_leaf']} is ignored: skip every split that leaves "
                        "fewer rows than that on either side", problem.criterion, dict(params, min_samples_leaf=1),
                        fixed["min_samples_leaf=3"]))
    return changes


def _fixed_for(fixed, prefix):
    return next(problem for name, problem in fixed.items() if name.startswith(prefix))


DEFAULT_LIMITS = dict(max_depth=None, min_samples_split=2, min_samples_leaf=1)  # the stub's defaults


def _limits(params) -> dict:
    """The three limits of a params dict, at the stub's defaults where it leaves them out."""
    return {key: {**DEFAULT_LIMITS, **params}[key] for key in DEFAULT_LIMITS}


def _confirmed_on_fixed(learner, fixed, criterion, params) -> bool:
    """True when, on a fixed example, the tree grown with `criterion` and `params` differs from the
    right one and the learner's tree (given the example's own params) is that tree."""
    wrong_there = _sk_answer(sklearn_tree(fixed.classification, fixed.X, fixed.y, criterion, **params), fixed)
    right_there = _sk_answer(fixed.oracle, fixed)
    if wrong_there.shape == right_there.shape and np.allclose(wrong_there, right_there):
        return False  # the rule changes nothing there: no evidence
    got = _learner_answer(learner, fixed)
    return got.shape == wrong_there.shape and bool(np.allclose(got, wrong_there, rtol=1e-9, atol=1e-9))


def _rule_mistakes(problem, learner):
    """Diagnoses for a tree that differs from scikit-learn's: the tree grown with one stated rule
    changed, confirmed on the fixed example that shows that rule."""
    out = []
    for message, criterion, params, fixed in _rule_changes(problem):
        def wrong(criterion=criterion, params=params):
            model = sklearn_tree(problem.classification, problem.X, problem.y, criterion, **_limits(params))
            return _sk_answer(model, problem)

        def confirm(criterion=criterion, params=params, fixed=fixed) -> bool:
            swapped = "gini" if fixed.criterion == "entropy" else "entropy"
            fixed_criterion = fixed.criterion if criterion == problem.criterion else swapped
            changed = {key: _shifted(fixed.params, problem.params, params, key) for key in DEFAULT_LIMITS}
            return _confirmed_on_fixed(learner, fixed, fixed_criterion, changed)

        out.append(Diagnosis(message, wrong, confirm))
    return out


def _shifted(fixed_params, problem_params, changed_params, key):
    """The fixed example's value of a limit, changed the way `changed_params` changes the problem's
    (set to its default, to None, or moved by the same step)."""
    base, was, now = _limits(fixed_params)[key], _limits(problem_params)[key], _limits(changed_params)[key]
    if now == was:
        return base
    if now is None:
        return None
    if key == "min_samples_split" and now == 2:
        return 2
    if key == "min_samples_leaf" and now == 1:
        return 1
    return base + (now - was)  # one past the limit, there as here


def _splits_pure_nodes(learner, problem) -> bool:
    """True when the learner's tree, given these rows with every label (target) equal, still splits."""
    y = np.full_like(problem.y, problem.y[0])
    depth, leaves = _structure(_ask(learner, problem.classification, problem.X, y, STRUCTURE, problem.criterion,
                                    **problem.params))
    return leaves > 1


def _compare_structure(answers, sk, problem=None, learner=None):
    depth, leaves = _structure(answers)
    want_depth, want_leaves = sk.get_depth(), sk.get_n_leaves()
    if (depth, leaves) == (want_depth, want_leaves):
        return
    diagnoses, got, passes = (), None, None
    if problem is not None:
        what = "predict_proba" if problem.classification else "predict"
        try:
            got = _answer_vector(depth, leaves, answers[what])
        except (TypeError, ValueError):
            got = None
        want = _sk_answer(sk, problem)
        diagnoses = _rule_mistakes(problem, learner)
        passes = lambda value: value.shape == want.shape and bool(np.allclose(value, want, rtol=1e-9, atol=1e-9))  # noqa: E731
    if leaves > want_leaves and problem is not None and _splits_pure_nodes(learner, problem):
        fail(f"get_n_leaves(): got {leaves}, expected {want_leaves} (scikit-learn's tree on the same data)", got,
             diagnosis=PURE_NODE_SPLIT)
    if leaves != want_leaves:
        more = leaves > want_leaves
        why = ("more leaves: does the tree keep splitting nodes that are already pure, or ignore "
               "max_depth / min_samples_split / min_samples_leaf?" if more else
               "fewer leaves: does the tree stop too early (max_depth off by one, a limit applied "
               "with > instead of >=)?")
        fail(f"get_n_leaves(): got {leaves}, expected {want_leaves} (scikit-learn's tree on the same data)\n  {why}",
             got, diagnoses, passes=passes)
    fail(f"get_depth(): got {depth}, expected {want_depth} (scikit-learn's tree on the same data; "
         "a lone leaf has depth 0, one split depth 1)", got, diagnoses, passes=passes)


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
@example(problem=FIXED_SPLITS["entropy, not gini"])
@example(problem=FIXED_SPLITS["gini, not entropy"])
@example(problem=FIXED_SPLITS["min_samples_leaf=3"])
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
    threshold = assert_scalar(got[1], f"{call}[1] (the threshold)")
    mistakes = _split_mistakes(problem, want, learner)
    right = np.array(want, dtype=np.float64)
    passes = lambda value: value.shape == (2,) and bool(np.allclose(value, right, rtol=1e-12, atol=1e-12))  # noqa: E731
    if feature != want[0]:
        score = {(f, t): s for s, f, t in candidate_splits(problem.X, problem.y, problem.criterion, msl)}
        theirs = [s for (f, t), s in score.items() if f == feature]
        detail = (f"; the best split on feature {int(feature)} leaves weighted impurity {show(min(theirs))}, "
                  f"the best overall {show(min(score.values()))}") if theirs else ""
        fail(f"{call}: feature {show(feature)}, expected {want[0]}{detail}.\n  Compare the weighted impurity "
             "(n_left * I(left) + n_right * I(right)) / n of every candidate and keep the smallest",
             np.array([feature, threshold]), mistakes, passes=passes)
    try:
        assert_close(threshold, want[1], what=f"{call} threshold", rtol=1e-12, atol=1e-12)
    except CheckFailed as exc:
        fail(exc.message, np.array([feature, threshold]), mistakes, passes=passes)


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
@example(problem=FIXED_CLASSIFIERS["entropy, not gini"], all_features=False)
@example(problem=FIXED_CLASSIFIERS["gini, not entropy"], all_features=True)
@example(problem=FIXED_CLASSIFIERS["min_samples_split=6"], all_features=False)
@example(problem=FIXED_CLASSIFIERS["min_samples_leaf=3"], all_features=True)
@example(problem=FIXED_CLASSIFIERS["max_depth=1"], all_features=False)
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
        _compare_structure(answers, sk, replace(problem, params=params), learner)
        assert_close(answers["predict_proba"], want_proba, what="predict_proba(X_new)", rtol=1e-12, atol=1e-12,
                     diagnoses=_threshold_mistakes(learner, sk, replace(problem, params=params)))
        clear = np.sum(want_proba == want_proba.max(axis=1, keepdims=True), axis=1) == 1
        got = as_array(answers["predict"], "predict(X_new)", (len(problem.X_new),))
        want = sk.classes_[np.argmax(want_proba, axis=1)]
        assert_equal(np.where(clear, got, want), want, what="predict(X_new) (rows whose leaf has one majority)")


@check(examples=15)
@example(problem=FIXED_REGRESSORS["min_samples_split=6"])
@example(problem=FIXED_REGRESSORS["min_samples_leaf=3"])
@example(problem=FIXED_REGRESSORS["max_depth=2"])
@example(problem=FIXED_REGRESSORS["targets in the 100,000s"])
@given(problem=tree_problems(classification=False, max_rows=20))
def regressor_matches_sklearn(learner, problem):
    """DecisionTreeRegressor's predict (1e-9), depth and leaf count equal scikit-learn's when no splits tie."""
    sk = problem.oracle
    want = sk.predict(problem.X_new.astype(np.float32))
    with after_calling(_call(False, then=", then predict(X_new)", **problem.params)):
        answers = _ask(learner, False, problem.X, problem.y, dict(STRUCTURE, predict=problem.X_new), **problem.params)
        _compare_structure(answers, sk, problem, learner)
        assert_close(answers["predict"], want, what="predict(X_new)", rtol=1e-9, atol=1e-9,
                     diagnoses=[*_threshold_mistakes(learner, sk, problem),
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
        with after_calling(_call(True, then=", then predict_proba(X_new)")):
            every = _ask(learner, True, X, y, asks)
        grown = every["get_n_leaves"] is not None and float(every["get_n_leaves"]) > 1  # not a broken lone leaf
        every = as_array(every["predict_proba"], "predict_proba(X_new)", (40, 3))
        fail("DecisionTreeClassifier(max_features=1, random_state=s) grew the same tree for s = 0..5 on 4 "
             "features: with max_features=k each node must draw k features at random and choose its split "
             "among those only (stage1/forest relies on it)",
             diagnosis=None if not grown else MAX_FEATURES_IGNORED if np.array_equal(every, seen[0]) else
             "the features drawn do not depend on random_state: make the generator with "
             "np.random.default_rng(self.random_state) in fit")


# -- max_features = k: which feature the root takes, over many random_states ----------------


def ranked_features(seed=0, n=20, p=4):
    """Two classes and p features whose best splits are strictly ranked (feature 0 best) and cut
    the rows in p different ways: a depth-1 tree on a random subset S of the features splits on
    min(S), recognisable from the rows it sends left (tests/test_stage1_tree.py proves it)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([-1, 4], n // 2)
    X = np.empty((n, p))
    for j in range(p):
        noise = rng.permutation(np.arange(n)) * (0.6 + 0.5 * j)  # more overlap of the classes for later features
        X[:, j] = np.round((np.where(y == 4, n / 2, 0) + noise) * 4) / 4
    return X, y


RANKED_X, RANKED_Y = ranked_features()
MAX_FEATURES_IGNORED = ("max_features is ignored: the trees are the tree with every feature (max_features=None); "
                        "each node must draw max_features features and split on the best of those only")
RANKED_TREES = 150  # depth-1 trees per value of k, random_state 0..149
MAX_FEATURES_P = 1e-6  # a correct tree fails the chi-square test with this probability
NAME_P = 1e-3  # a wrong rule is named when the roots fit it at this level


def _best_cut_per_feature(X, y):
    """For each feature, the set of training rows its best split sends left (a frozenset)."""
    found = candidate_splits(X, y, "gini")
    cuts = []
    for j in range(X.shape[1]):
        _, _, threshold = min(f for f in found if f[1] == j)
        cuts.append(frozenset(np.flatnonzero(X[:, j] <= threshold).tolist()))
    return cuts


def _root_feature(leaves, cuts, n):
    """Which feature's best cut a depth-1 tree's leaves (apply(X), (n,)) make, or None."""
    ids = np.unique(leaves)
    if len(ids) != 2:
        return None
    left = frozenset(np.flatnonzero(leaves == ids[0]).tolist())
    right = frozenset(range(n)) - left
    for j, cut in enumerate(cuts):
        if cut in (left, right):
            return j
    return None


def root_law(p, k, rule="uniform"):
    """P(the root splits on feature j), j = 0..p-1, when each node draws k of the p features and
    feature 0 is the best: the smallest index drawn. rule: "uniform" (k distinct features, the
    stub's rule), "replace" (k draws with replacement), "one" (a single feature), "all" (every feature)."""
    from math import comb

    j = np.arange(p)
    if rule == "uniform":
        return np.array([comb(p - 1 - i, k - 1) for i in j]) / comb(p, k)
    if rule == "replace":
        return ((p - j) / p) ** k - ((p - j - 1) / p) ** k
    if rule == "one":
        return np.full(p, 1.0 / p)
    return (j == 0).astype(float)


def _chi_square(counts, law):
    """Pearson's statistic of counts against law * total, and its degrees of freedom (inf when
    a feature the law rules out was chosen)."""
    expected = law * counts.sum()
    if np.any((expected == 0) & (counts > 0)):
        return np.inf, 1
    keep = expected > 0
    return float((((counts - expected) ** 2)[keep] / expected[keep]).sum()), max(int(keep.sum()) - 1, 1)


@dataclass
class RankedRows:
    """Rows X (n, p) whose features' best splits are ranked (feature 0 best), and labels y (n,)."""

    X: np.ndarray
    y: np.ndarray


@check(examples=1)
@given(data=st.builds(lambda: RankedRows(RANKED_X, RANKED_Y)))
def max_features_draws_k_distinct_features(learner, data):
    """With max_features=k (2 and 3 of 4 features), each node picks the best of k distinct features drawn at random: over 150 random_states the root's feature follows that law (chi-square, p < 1e-6 fails)."""
    from scipy.stats import chi2

    X, y = data.X, data.y
    n, p = X.shape
    cuts = _best_cut_per_feature(X, y)
    for k in (2, 3):
        params = [dict(max_depth=1, max_features=k, random_state=seed) for seed in range(RANKED_TREES)]
        call = f"DecisionTreeClassifier(max_depth=1, max_features={k}, random_state=s).fit(X, y) for s = 0..{RANKED_TREES - 1}"
        with after_calling(call + ", then apply(X)"):
            leaves = learner._drive(f"{DRIVER}:leaves_of_many", params, X, y)
            roots = [_root_feature(as_array(leaf, "apply(X)", (n,)), cuts, n) for leaf in leaves]
            if None in roots:
                s = roots.index(None)
                got = np.asarray(leaves[s])
                if len(np.unique(got)) != 2:
                    fail(f"with random_state={s}, apply(X) = {show(got)} names {len(np.unique(got))} leaves: a tree "
                         "with max_depth=1 makes one split, so exactly 2 leaves", leaves[s])
                fail(f"with random_state={s}, the root's split (apply(X) = {show(got)}) is not the best split of "
                     "any one feature: each node must take the best split among the features it drew", leaves[s])
            counts = np.bincount(roots, minlength=p)
            stat, dof = _chi_square(counts, root_law(p, k))
            limit = float(chi2.isf(MAX_FEATURES_P, dof))
            if stat <= limit:
                continue
            fitting = []
            for rule, message in (
                ("all", MAX_FEATURES_IGNORED),
                ("one", f"each node draws a single feature, whatever max_features is: draw k={k} of them"),
                ("replace", f"the k={k} features are drawn with replacement, so a node may get the same feature "
                            "twice: draw them without replacement (rng.choice(p, size=k, replace=False))"),
            ):
                alt_stat, alt_dof = _chi_square(counts, root_law(p, k, rule))
                if alt_stat <= chi2.isf(NAME_P, alt_dof):
                    fitting.append(message)
            named = name_mistakes(fitting)  # several rules that fit equally are all named
            law = root_law(p, k) * RANKED_TREES
            fail(f"the root split on features {list(range(p))} this many times: {counts.tolist()}; drawing k={k} "
                 f"distinct features at random, of which the node takes the best (feature 0 beats 1 beats 2 beats 3 "
                 f"here), expects about {np.round(law, 1).tolist()} (Pearson's chi-square {stat:.1f} with {dof} "
                 f"degrees of freedom, above {limit:.1f})", counts, diagnosis=named)


# Two neighbouring doubles, 1 + 1 ulp and 1 + 2 ulp, nothing between them: their midpoint
# rounds up to the larger one, so the threshold must fall back to the smaller value.
_A = np.nextafter(1.0, 2.0)
_B = np.nextafter(_A, 2.0)
NEIGHBOUR_FLOATS = (True, np.array([[0.5], [_A], [_B], [2.0]]), np.array([0, 0, 1, 1]), {})
# Integer targets whose deviations from their mean are all even: a node is pure only when they are equal.
EVEN_DEVIATIONS = (False, np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 2.0, 10.0]), {})


@check(examples=15)
@example(data=NEIGHBOUR_FLOATS)
@example(data=EVEN_DEVIATIONS)
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
            fail(f"get_depth() is {depth} with max_depth={params['max_depth']}: stop splitting at max_depth", depth,
                 _depth_mistakes(learner, classification, X, y, params), passes=lambda v: float(v) <= params["max_depth"])
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


PURE_NODE_SPLIT = ("the tree splits a node whose labels (targets) are all equal: check for a pure node before "
                   "looking for a split, and make it a leaf")


def _depth_mistakes(learner, classification, X, y, params):
    """A tree deeper than max_depth: max_depth ignored, or one level too many, each confirmed on
    the fixed example whose tree shows the difference."""
    fixed = FIXED_CLASSIFIERS["max_depth=1"] if classification else FIXED_REGRESSORS["max_depth=2"]
    limit = params["max_depth"]

    def unlimited_depth():
        return _structure(_ask(learner, classification, X, y, STRUCTURE, **dict(params, max_depth=None)))[0]

    def confirm(max_depth):
        return lambda: _confirmed_on_fixed(learner, fixed, fixed.criterion, dict(_limits(fixed.params), max_depth=max_depth))

    there = fixed.params["max_depth"]
    return [
        Diagnosis(f"max_depth={limit} is ignored: a node at depth max_depth must become a leaf", unlimited_depth,
                  confirm(None)),
        Diagnosis(f"the tree grows one level past max_depth={limit}: stop when depth >= max_depth, not "
                  "depth > max_depth", lambda: limit + 1, confirm(there + 1)),
    ]


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
                 "a pure node has nothing left to separate, so it must become a leaf", (depth, leaves),
                 diagnosis=None if leaves == 1 else PURE_NODE_SPLIT)


# -- diagnoses that walk scikit-learn's structure with another rule ------------------------


def _left_values(sk, X):
    """For every split node, the largest training value of its feature among the rows that reach
    it (the last value on the left of its midpoint threshold): {node: value}."""
    tree = sk.tree_
    Xf = X.astype(np.float32)
    reaching, out = {0: np.ones(len(X), dtype=bool)}, {}
    for node in range(tree.node_count):  # parents come before their children
        if tree.children_left[node] == -1:
            continue
        column, here = X[:, tree.feature[node]], reaching[node]
        left = Xf[:, tree.feature[node]] <= tree.threshold[node]
        out[node] = float(column[here & left].max())
        reaching[tree.children_left[node]], reaching[tree.children_right[node]] = here & left, here & ~left
    return out


def _walk(sk, X, rule="strict", left_values=None):
    """Leaf values (m, C) (a regressor: (m, 1)) of scikit-learn's fitted tree walked with a wrong rule:
    "strict" sends x == threshold right; "left value" puts each threshold on the last training value
    on its left (x <= that value goes left)."""
    tree = sk.tree_
    out = []
    for x in X:
        node = 0
        while tree.children_left[node] != -1:
            value, t = x[tree.feature[node]], tree.threshold[node]
            goes_left = value < t if rule == "strict" else value <= left_values[node]
            node = tree.children_left[node] if goes_left else tree.children_right[node]
        out.append(tree.value[node][0])
    return np.array(out)


def _as_answer(sk, values, classification):
    return values / values.sum(axis=1, keepdims=True) if classification else values[:, 0]


def near_thresholds(sk, problem):
    """New rows strictly between each split's last left value and its threshold: "x == threshold goes
    right" gets them right, "threshold on the left value" gets them wrong (m, p)."""
    tree, lefts = sk.tree_, _left_values(sk, problem.X)
    rows = np.repeat(problem.X[:1], len(lefts), axis=0)
    for i, (node, value) in enumerate(lefts.items()):
        rows[i, tree.feature[node]] = (value + tree.threshold[node]) / 2.0
    return rows


def _threshold_mistakes(learner, sk, problem):
    """Rows on a threshold that went right: x < threshold instead of <=, or a threshold put on the last
    training value on its left; told apart on rows just left of each threshold."""
    classification = problem.classification
    lefts = _left_values(sk, problem.X)
    near = near_thresholds(sk, problem)
    what = "predict_proba" if classification else "predict"

    def learner_near():
        answers = _ask(learner, classification, problem.X, problem.y, {what: near}, problem.criterion, **problem.params)
        return np.asarray(answers[what], dtype=np.float64)

    def confirm(rule):
        def check_near() -> bool:
            wrong = _as_answer(sk, _walk(sk, near, rule, lefts), classification)
            right = _as_answer(sk, _walk(sk, near, "strict", lefts), classification)  # = scikit-learn's there
            if rule != "strict" and np.allclose(wrong, right):
                return False
            got = learner_near()
            return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-9, atol=1e-9))
        return check_near

    return [
        Diagnosis("rows exactly on a threshold went right: send x <= threshold to the left",
                  lambda: _as_answer(sk, _walk(sk, problem.X_new, "strict"), classification), confirm("strict")),
        Diagnosis("the thresholds sit on the last training value on their left, not midway to the next: take "
                  "(a + b) / 2 of the two consecutive distinct values a split falls between",
                  lambda: _as_answer(sk, _walk(sk, problem.X_new, "left value", lefts), classification),
                  confirm("left value")),
    ]


def _leaf_medians(sk, problem):
    train_leaf = sk.apply(problem.X.astype(np.float32))
    new_leaf = sk.apply(problem.X_new.astype(np.float32))
    return np.array([np.median(problem.y[train_leaf == leaf]) for leaf in new_leaf])
