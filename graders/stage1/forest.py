"""Grader for stage1/forest: a random forest grown from the learner's own stage1/tree.

The learner's forest imports DecisionTreeClassifier from stage1/tree.py in the same
workspace. Checks read the fitted trees through a driver (forest_driver.describe), run
the forest on fixed benchmark problems whose test labels stay here, and compare its
accuracy and its variance across random_state with scikit-learn's and with one tree's.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sklearn.ensemble  # noqa: F401 - imported while the learner process starts, not inside a check
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised, NotImplementedYet
from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, check, example, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.tree_problems import LABEL_VALUES, distinct_columns, labels

VERSION = "3"
DRIVER = "mldojo.graders.stage1.forest_driver"
ACCURACY_MARGIN = 0.02  # held-out accuracy may trail scikit-learn's forest by at most this
ACCURACY_SEEDS = (0, 1)  # the learner's forest is scored as the mean over these random_states
SKLEARN_SEEDS = (0, 1, 2)
VARIANCE_SEEDS = range(6)
VARIANCE_RATIO = 0.6  # a 10-tree forest's spread across seeds must be below this share of one tree's


# -- inputs --------------------------------------------------------------------------------


@st.composite
def forest_problems(draw, max_rows=30):
    """Labelled rows (distinct values per feature, 2 or 3 arbitrary labels) and new rows."""
    p = draw(st.integers(1, 5))
    n = draw(st.integers(6, max_rows))
    X = draw(distinct_columns(n, p))
    y = draw(labels(n, draw(st.integers(2, 3)), draw(LABEL_VALUES)))
    X_new = draw(distinct_columns(draw(st.integers(1, 6)), p, -48, 48, 0.125))
    return X, y, X_new


def benchmark_problems():
    """Fixed held-out problems: (name, X_train, y_train, X_test, y_test)."""
    from sklearn.datasets import make_classification, make_moons

    # 560 test rows each: the accuracy of a 20-tree forest then varies by well under a point with its seed.
    X, y = make_moons(n_samples=800, noise=0.3, random_state=0)
    yield "make_moons(n_samples=800, noise=0.3, random_state=0)", X[:240], y[:240], X[240:], y[240:]
    X, y = make_classification(n_samples=800, n_features=10, n_informative=5, random_state=0)
    yield "make_classification(n_samples=800, n_features=10, n_informative=5, random_state=0)", X[:240], y[:240], X[240:], y[240:]


# -- helpers -------------------------------------------------------------------------------


@contextmanager
def tree_first():
    """Say "stage1/tree first" when what is unwritten is the learner's tree, not the forest."""
    try:
        yield
    except NotImplementedYet as exc:
        trace = str(exc.info.get("traceback") or "")
        last_file = trace.strip().splitlines()[-2] if trace.strip().count("\n") >= 1 else trace
        if "stage1/tree.py" in last_file or "stage1\\tree.py" in last_file:
            info = dict(exc.info)
            info["qualname"] = f"stage1/tree first (the forest grows your own trees): {exc.function} in your stage1/tree.py"
            raise NotImplementedYet(info) from None
        raise


def _call(params, then="") -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"RandomForestClassifier({args}).fit(X, y){then}"


def _fitted(learner, X, y, **params):
    model = learner.RandomForestClassifier(**params)
    returned = model.fit(X, y)
    if not same_object(returned, model):
        fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
    return model


DEFAULT_N_ESTIMATORS = 10  # the stub's default


def _describe(learner, model, n_estimators):
    facts = learner._drive(f"{DRIVER}:describe", model)
    if facts["n_trees"] != n_estimators:
        ignored = facts["n_trees"] == DEFAULT_N_ESTIMATORS != n_estimators
        fail(f"estimators_ holds {facts['n_trees']} trees with n_estimators={n_estimators}",
             diagnosis="n_estimators is ignored: the forest grows 10 trees, the default, whatever it is given; loop "
             "self.n_estimators times" if ignored else None)
    return facts


def _expected_k(max_features, p, how=int) -> int:
    """The number of features per node for max_features and p features, rounding down as the stub
    says (`how` rounds another way, for diagnoses)."""
    if max_features is None:
        return p
    if max_features == "sqrt":
        return max(1, how(np.sqrt(p)))
    if max_features == "log2":
        return max(1, how(np.log2(p)))
    if isinstance(max_features, float):
        return max(1, how(max_features * p))
    return int(max_features)


CONFIRM_PS = (*range(2, 13), 16, 24, 40)  # int(sqrt(p)) and int(log2(p)) differ only at p = 8 and p >= 36


def _k_slips(max_features, n_rows):
    """(message, k(p)) for the slips a learner makes turning max_features into a count."""
    slips = []
    if isinstance(max_features, (str, float)):
        rounded = ("the count is rounded to the nearest whole number or up: round it down with int(...), as "
                   "scikit-learn does")
        slips.append((rounded, lambda p: _expected_k(max_features, p, lambda v: int(round(v)))))
        slips.append((rounded, lambda p: _expected_k(max_features, p, lambda v: int(np.ceil(v)))))
    if max_features in ("sqrt", "log2"):
        other = "log2" if max_features == "sqrt" else "sqrt"
        slips.append((f"max_features={max_features!r} is worked out as {other!r}", lambda p: _expected_k(other, p)))
        slips.append((f"max_features={max_features!r} was worked out from the number of rows ({n_rows}), not the "
                      "number of features", lambda p: min(_expected_k(max_features, n_rows), p)))
    return slips


def _k_mistakes(learner, max_features, p, n_rows):
    """Diagnoses for a tree's max_features: each slip's count, confirmed on another number of
    features where that slip gives a count of its own."""
    def confirm(slip, message):
        def on_other_p() -> bool:
            # Another p where this slip gives a wrong count, one that no slip of another kind gives if possible.
            others = [other for text, other in _k_slips(max_features, n_rows) if text != message]
            wrong = [q for q in CONFIRM_PS if q != p and slip(q) != _expected_k(max_features, q)]
            if not wrong:
                return False
            q = next((q for q in wrong if all(other(q) != slip(q) for other in others)), wrong[0])
            got = _tree_max_features(learner, max_features, q)
            return bool(got) and all(value == slip(q) for value in got)
        return on_other_p

    return [Diagnosis(message, lambda slip=slip: slip(p), confirm(slip, message))
            for message, slip in _k_slips(max_features, n_rows)]


def _tree_max_features(learner, max_features, p):
    """The max_features of the trees of a small forest fitted on p features."""
    X, y = _k_data(p)
    model = learner.RandomForestClassifier(n_estimators=2, max_features=max_features, random_state=3, max_depth=1)
    model.fit(X, y)
    return learner._drive(f"{DRIVER}:describe", model)["max_features"]


def _k_data(p):
    rng = np.random.default_rng(p)
    X = rng.normal(size=(40, p))
    return X, (X[:, 0] > 0).astype(np.int64)


# -- checks --------------------------------------------------------------------------------


@check(examples=6)
@given(problem=forest_problems())
def fit_returns_self_and_answers_have_the_right_shapes(learner, problem):
    """fit returns self; classes_ are the sorted labels; predict_proba is (m, n_classes) with rows summing to 1; predict (m,)."""
    X, y, X_new = problem
    params = dict(n_estimators=3, random_state=0)
    with tree_first(), after_calling(_call(params, ", then predict_proba(X_new)")):
        model = _fitted(learner, X, y, **params)
        classes = np.unique(y)
        assert_equal(as_array(model.classes_, "classes_"), classes, what="classes_")
        proba = as_array(_predict_proba(learner, model, X_new, classes), "predict_proba(X_new)", (len(X_new), len(classes)))
        if not np.allclose(proba.sum(axis=1), 1.0, rtol=1e-9, atol=1e-9):
            trees = learner._drive(f"{DRIVER}:trees_in_detail", model, X_new)
            assert_close(proba, _aligned(trees, classes).mean(axis=0),
                         what="predict_proba(X_new) (its rows should sum to 1), against the mean of the trees' own",
                         rtol=1e-9, atol=1e-9, diagnoses=_averaging_mistakes(trees, classes))
            assert_close(proba.sum(axis=1), np.ones(len(X_new)), what="predict_proba(X_new).sum(axis=1)", rtol=1e-9, atol=1e-9)
        got = as_array(model.predict(X_new), "predict(X_new)", (len(X_new),))
        best = proba == proba.max(axis=1, keepdims=True)  # (m, C): every class tied for the lead
        for row, label in enumerate(got):
            if label not in np.unique(y)[best[row]]:
                fail(f"predict(X_new)[{row}] = {show(label)}, but predict_proba gives {show(proba[row])} for "
                     f"classes_ {show(np.unique(y))}: predict must pick the class of largest average probability", got)


@check(examples=5)
@given(problem=forest_problems(), seed=st.integers(0, 1000))
def the_same_random_state_grows_the_same_forest(learner, problem, seed):
    """Two fits with the same random_state give the same bootstrap rows and predictions; another random_state other rows."""
    X, y, X_new = problem
    params = dict(n_estimators=4, random_state=seed)
    with tree_first(), after_calling(_call(params, " twice")):
        first, second = _fitted(learner, X, y, **params), _fitted(learner, X, y, **params)
        rows_1 = _describe(learner, first, 4)["samples"]
        rows_2 = _describe(learner, second, 4)["samples"]
        if len(rows_1) != 4 or any(not np.array_equal(a, b) for a, b in zip(rows_1, rows_2)):
            fail(f"estimators_samples_ differ between two fits with random_state={seed}",
                 diagnosis="random_state is not used to seed the draws (np.random.default_rng() or the global "
                 "np.random without a seed?): draw every random number from one "
                 "np.random.default_rng(self.random_state) made in fit")
        assert_close(second.predict_proba(X_new), as_array(first.predict_proba(X_new), "predict_proba(X_new)"),
                     what="predict_proba(X_new) of the second fit", rtol=0, atol=1e-12)
        other = _describe(learner, _fitted(learner, X, y, n_estimators=4, random_state=seed + 1), 4)["samples"]
        if all(np.array_equal(a, b) for a, b in zip(rows_1, other)):
            fail(f"random_state={seed} and random_state={seed + 1} drew the same bootstrap rows for every tree: "
                 "does fit use self.random_state?")


@check()
def bootstrap_samples_are_n_rows_drawn_with_replacement(learner):
    """Each tree gets n row indices drawn with replacement (about 63% distinct); with bootstrap=False, every row once."""
    rng = np.random.default_rng(7)
    n, p = 150, 4
    X = rng.normal(size=(n, p))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
    params = dict(n_estimators=20, random_state=0, max_depth=2)
    with tree_first(), after_calling(_call(params)):
        facts = _describe(learner, _fitted(learner, X, y, **params), 20)
        samples = facts["samples"]
        if len(samples) != 20:
            fail(f"estimators_samples_ holds {len(samples)} arrays; expected one per tree (20)")
        for i, rows in enumerate(samples):
            rows = as_array(rows, f"estimators_samples_[{i}]", (n,))
            if np.any(rows < 0) or np.any(rows >= n) or np.any(rows != np.round(rows)):
                fail(f"estimators_samples_[{i}] holds {show(rows)}: row indices must be integers in 0..{n - 1}")
        # A given row is in none of 20 samples with probability (1 - 1/n)^(20 n) = 2e-9: 3e-7 for any of 150.
        never = np.setdiff1d(np.arange(n), np.concatenate([np.asarray(rows) for rows in samples]))
        if never.size:
            fail(f"row {int(never[0])} is in none of the 20 trees' bootstrap samples (rows never drawn: "
                 f"{show(never)}); drawing n indices uniformly from 0..{n - 1} misses a given row in all 20 trees "
                 "with probability 2e-9. Draw from the whole range: rng.integers(0, n, size=n)", never)
        distinct = np.mean([len(np.unique(rows)) / n for rows in samples])
        # Expected 1 - (1 - 1/n)^n = 0.634; the mean over 20 trees has a standard deviation near 0.004.
        if not 0.60 <= distinct <= 0.67:
            known = ("the bootstrap rows are drawn without replacement (a permutation, or rng.choice with "
                     "replace=False): every tree sees every row once; draw rng.integers(0, n, size=n)"
                     if distinct > 0.99 else None)
            fail(f"on average {distinct:.1%} of the rows in a tree's bootstrap sample are distinct; drawing n rows "
                 "with replacement gives about 63.4%: draw n indices with rng.integers(0, n, size=n)",
                 distinct, diagnosis=known)
    params = dict(n_estimators=3, random_state=0, bootstrap=False, max_depth=2)
    with tree_first(), after_calling(_call(params)):
        for i, rows in enumerate(_describe(learner, _fitted(learner, X, y, **params), 3)["samples"]):
            if not np.array_equal(np.sort(as_array(rows, f"estimators_samples_[{i}]", (n,))), np.arange(n)):
                fail(f"with bootstrap=False, estimators_samples_[{i}] should hold every row exactly once")


# (max_features, p) where rounding down, rounding up or to the nearest, and sqrt / log2 give different counts.
# "at least 1" shows at ("log2", 1) and (0.1, 5), where the formula gives 0, and ("log2", 3), where it gives 1 (not 2).
MAX_FEATURES_CASES = [("sqrt", 3), ("sqrt", 8), ("log2", 8), ("log2", 7), (0.5, 7), (0.3, 9), (3, 6), (None, 4),
                      ("log2", 1), ("log2", 3), (0.1, 5)]


def _max_features_cases(function):
    for max_features, p in reversed(MAX_FEATURES_CASES):
        function = example(max_features=max_features, p=p)(function)
    return function


@check(examples=4)
@_max_features_cases
@given(max_features=st.sampled_from(["sqrt", "log2", None, 2, 3, 0.5, 0.3, 0.1]), p=st.integers(1, 9))
def every_tree_is_your_own_and_gets_the_right_max_features(learner, max_features, p):
    """Every tree is a stage1.tree.DecisionTreeClassifier with max_features = the right count, and its own random_state."""
    assume(not isinstance(max_features, int) or max_features <= p)  # scikit-learn refuses more than p
    X, y = _k_data(p)
    # 20 trees: seeds drawn from a few dozen values would collide; from 2**32 values, with probability 4e-8.
    params = dict(n_estimators=20, max_features=max_features, random_state=3, max_depth=2)
    k = _expected_k(max_features, p)
    with tree_first(), after_calling(_call(params)):
        facts = _describe(learner, _fitted(learner, X, y, **params), 20)
        for kind in facts["tree_types"]:
            if kind != "stage1.tree.DecisionTreeClassifier":
                fail(f"estimators_ holds a {kind}: the forest must grow the DecisionTreeClassifier imported from "
                     "your stage1/tree.py (from stage1.tree import DecisionTreeClassifier)")
        for i, got in enumerate(facts["max_features"]):
            if got != k:
                message = (f"estimators_[{i}].max_features is {got!r}; with max_features={max_features!r} and p={p} "
                           f"features each tree should get max_features={k} (an int)")
                if got == max_features and not isinstance(got, int):
                    fail(message, diagnosis="the forest passes max_features on unresolved: turn it into a count first")
                if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
                    fail(message)
                fail(message, got, _k_mistakes(learner, max_features, p, len(X)), passes=lambda value: value == k)
        states = facts["random_states"]
        if len(set(states)) < len(states) or "None" in states:
            known = ("every tree gets the same random_state, so every tree draws the same features at every node: "
                     "give tree i its own seed, e.g. int(rng.integers(2**32)) from the forest's generator"
                     if len(set(states)) == 1 and states[0] != "None" else
                     "the trees get random_state=None, so the forest cannot be reproduced: pass each a seed drawn "
                     "from the forest's generator" if "None" in states else None)
            repeated = next((state for state in states if states.count(state) > 1), None)
            shared = f" (trees {[i for i, state in enumerate(states) if state == repeated]} share {repeated})" if repeated else ""
            fail(f"the trees' random_state values are {states}{shared}: give each tree its own seed, drawn from the "
                 "forest's generator over a wide range (e.g. rng.integers(2**32)), so the trees differ and the forest "
                 "is reproducible", diagnosis=known)


@dataclass
class Rows:
    """Training rows X (n, p), labels y (n,), and new rows X_new (m, p) (none when a check needs none)."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray


def _limit_data() -> Rows:
    """60 noisy two-moons rows (make_moons(n_samples=60, noise=0.35, random_state=2)): a tree grown
    without limits on a bootstrap of them is deep and has small leaves."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=60, noise=0.35, random_state=2)
    return Rows(X, y, X[:0])


@check(examples=1)
@given(data=st.builds(_limit_data))
def every_tree_gets_max_depth_and_min_samples_leaf(learner, data):
    """With max_depth=2 every tree is at most 2 deep; with min_samples_leaf=5 every leaf holds at least 5 of its tree's rows."""
    X, y = data.X, data.y
    for params, limit in ((dict(n_estimators=4, random_state=1, max_depth=2), "max_depth"),
                          (dict(n_estimators=4, random_state=1, min_samples_leaf=5), "min_samples_leaf")):
        with tree_first(), after_calling(_call(params, ", then each tree's get_depth() and apply()")):
            model = _fitted(learner, X, y, **params)
            _describe(learner, model, params["n_estimators"])
            trees = learner._drive(f"{DRIVER}:trees_in_detail", model, X[:1])
            sizes = learner._drive(f"{DRIVER}:leaf_sizes", model, X) if limit == "min_samples_leaf" else None
        for i, tree in enumerate(trees):
            value = params[limit]
            broken = tree["depth"] > value if limit == "max_depth" else len(sizes[i]) > 1 and min(sizes[i]) < value
            if not broken:
                continue
            seen = (f"get_depth() is {tree['depth']}" if limit == "max_depth" else
                    f"its smallest leaf holds {min(sizes[i])} of the rows it was fitted on")
            passed_on = tree[limit] == repr(value)
            fail(f"estimators_[{i}] was grown by RandomForestClassifier({limit}={value}), yet {seen}",
                 diagnosis=(f"the trees get {limit}={value} but do not keep to it: your stage1/tree does not respect "
                            f"{limit} (grade stage1/tree)" if passed_on else
                            f"the forest does not pass {limit} on to its trees (they have {limit}={tree[limit]}): "
                            f"DecisionTreeClassifier({limit}=self.{limit}, ...)"))


def _proba_data() -> Rows:
    """30 rows of three classes, one of which has a single row: many bootstrap samples miss it."""
    rng = np.random.default_rng(4)
    X = rng.permutation(np.arange(-45, 45))[:60].reshape(30, 2) * 0.25  # distinct values
    y = np.array([-2] * 15 + [1] * 14 + [6])
    X_new = rng.integers(-90, 90, size=(8, 2)) * 0.125
    return Rows(X, y, X_new)


def _aligned(trees, classes, key="predict_proba"):
    """Each tree's probabilities placed in the forest's classes_ columns: (trees, m, C)."""
    out = []
    for tree in trees:
        full = np.zeros((len(tree[key]), len(classes)))
        full[:, np.searchsorted(classes, np.asarray(tree["classes_"]))] = np.asarray(tree[key], dtype=np.float64)
        out.append(full)
    return np.array(out)


UNALIGNED = ("a tree whose bootstrap sample missed a class has fewer predict_proba columns than the forest: add "
             "each tree's columns where its classes belong, at np.searchsorted(self.classes_, tree.classes_)")


def _predict_proba(learner, model, X_new, classes):
    """model.predict_proba(X_new); an error from adding a narrower tree's columns is explained."""
    try:
        return model.predict_proba(X_new)
    except LearnerRaised as exc:
        trees = learner._drive(f"{DRIVER}:trees_in_detail", model, X_new)
        narrower = [i for i, tree in enumerate(trees) if len(tree["classes_"]) < len(classes)]
        if narrower and "broadcast" in str(exc.info.get("message")):
            fail(f"predict_proba(X_new) raised {exc.describe()}\n  (estimators_{narrower} know only some of the "
                 f"{len(classes)} classes)", diagnosis=UNALIGNED)
        raise


def _unaligned(trees, classes):
    """The forest's answer when each tree's columns are added as they come: a one-class tree's single
    column is broadcast over all of them (more columns than one would not fit)."""
    total = np.zeros((len(trees[0]["predict_proba"]), len(classes)))
    for tree in trees:
        total = total + np.asarray(tree["predict_proba"], dtype=np.float64)
    return total / len(trees)


def _averaging_mistakes(trees, classes):
    aligned = _aligned(trees, classes)  # (T, m, C)
    votes = np.array([(np.asarray(t["predict"])[:, None] == classes[None, :]).astype(float) for t in trees])
    unaligned = [Diagnosis(UNALIGNED, lambda: _unaligned(trees, classes))] if any(
        len(t["classes_"]) == 1 for t in trees) and all(len(t["classes_"]) in (1, len(classes)) for t in trees) else []
    return [*unaligned,
        Diagnosis("predict_proba keeps only the last tree's probabilities (is the sum overwritten instead of "
                  "added to?): average all of the trees", lambda: aligned[-1]),
        Diagnosis("predict_proba adds up the trees' probabilities without dividing by the number of trees",
                  lambda: aligned.sum(axis=0)),
        Diagnosis("predict_proba is the share of trees whose predict picks each class (a hard vote): average the "
                  "trees' predict_proba instead", lambda: votes.mean(axis=0)),
    ]


@check(examples=1)
@given(data=st.builds(_proba_data))
def predict_proba_is_the_mean_of_the_trees_probabilities(learner, data):
    """predict_proba(X_new) is the mean of the trees' own predict_proba (1e-12), each in the forest's classes_ columns, also when a tree's bootstrap sample missed a class."""
    X, y, X_new = data.X, data.y, data.X_new
    classes = np.unique(y)
    missed = False
    for seed in range(10):  # until some tree has missed the rare class (each forest has ~40% odds)
        params = dict(n_estimators=5, random_state=seed, max_depth=2)  # leaves with mixed classes
        with tree_first(), after_calling(_call(params, ", then predict_proba(X_new) and each tree's predict_proba(X_new)")):
            model = _fitted(learner, X, y, **params)
            _describe(learner, model, 5)
            trees = learner._drive(f"{DRIVER}:trees_in_detail", model, X_new)
            want = _aligned(trees, classes).mean(axis=0)  # (m, C)
            small = [i for i, tree in enumerate(trees) if len(tree["classes_"]) < len(classes)]
            assert_close(_predict_proba(learner, model, X_new, classes), want, what="predict_proba(X_new)" + (
                f" (estimators_{small} know only some of the classes)" if small else ""),
                rtol=1e-12, atol=1e-12, diagnoses=_averaging_mistakes(trees, classes))
            got = as_array(model.predict(X_new), "predict(X_new)", (len(X_new),))
            clear = np.sum(want == want.max(axis=1, keepdims=True), axis=1) == 1
            assert_equal(np.where(clear, got, classes[np.argmax(want, axis=1)]), classes[np.argmax(want, axis=1)],
                         what="predict(X_new) (rows whose largest probability is unique)")
        missed = missed or bool(small)
        if missed:
            return


@check()
def held_out_accuracy_is_within_two_points_of_sklearn(learner):
    """On fixed held-out problems, mean accuracy over two random_states is at most 2 points below scikit-learn's forest."""
    from sklearn.ensemble import RandomForestClassifier

    for name, X, y, X_test, y_test in benchmark_problems():
        scores = []
        for seed in ACCURACY_SEEDS:
            params = dict(n_estimators=20, random_state=seed)
            with tree_first(), after_calling(_call(params, f" on {name}, then predict(X_test)")):
                got = as_array(_fitted(learner, X, y, **params).predict(X_test), "predict(X_test)", y_test.shape)
            scores.append(float(np.mean(got == y_test)))
        want = np.mean([RandomForestClassifier(n_estimators=20, random_state=s).fit(X, y).score(X_test, y_test)
                        for s in SKLEARN_SEEDS])
        if np.mean(scores) < want - ACCURACY_MARGIN:
            fail(f"held-out accuracy on {name}: {np.mean(scores):.3f} (mean over random_state {ACCURACY_SEEDS}), "
                 f"scikit-learn's forest {want:.3f} (allowed: at most {ACCURACY_MARGIN:.2f} below). Is every tree "
                 "grown to full depth on its bootstrap sample, with max_features features tried at each node, "
                 "and are the trees' probabilities averaged?", np.mean(scores))


@check()
def a_forest_varies_less_than_one_tree(learner):
    """Across random_states, a 10-tree forest's predicted probabilities spread much less than a single bootstrapped tree's."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=300, noise=0.3, random_state=5)
    X, y, X_test = X[:200], y[:200], X[200:]

    def spread(n_estimators):
        probas = []
        for seed in VARIANCE_SEEDS:
            params = dict(n_estimators=n_estimators, random_state=seed)
            with tree_first(), after_calling(_call(params, ", then predict_proba(X_test)")):
                model = _fitted(learner, X, y, **params)
                _describe(learner, model, n_estimators)
                proba = as_array(model.predict_proba(X_test), "predict_proba(X_test)", (100, 2))
            probas.append(proba[:, 1])
        return float(np.mean(np.var(np.array(probas), axis=0)))  # mean over rows of the variance over seeds

    one, many = spread(1), spread(10)
    if one == 0:
        fail("a one-tree forest gives the same probabilities for every random_state: are the bootstrap rows "
             "and the trees' feature draws random?")
    if many >= VARIANCE_RATIO * one:
        fail(f"predict_proba varies across random_states by {many:.4f} (mean variance per row) for 10 trees and "
             f"{one:.4f} for one tree; averaging 10 trees should cut it below {VARIANCE_RATIO:.0%} of one tree's. "
             "Does predict_proba average all trees?", many)
