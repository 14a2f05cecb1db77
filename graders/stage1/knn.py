"""Grader for stage1/knn: brute-force k-nearest neighbours for classes and for numbers.

The expected answers come from brute force written here in NumPy: on these inputs they
are exactly scikit-learn's brute-force NearestNeighbors / KNeighborsClassifier /
KNeighborsRegressor answers (tests/test_stage1_knn.py compares them on every kind of
problem the grader draws), at a fraction of scikit-learn's per-call cost. Equality is
checked on data where every query row has all its distances
to the training rows distinct (tree_problems.neighbour_problems), so the neighbour set
never depends on tie-breaking. Ties in distances and in votes are checked as properties:
any k rows at the k smallest distances, any of the most common labels.

Grid data (multiples of 1/8) keeps every distance exact, whichever way it is computed; a
separate check runs on Gaussian data whose query rows include copies of training rows,
where a distance computed as ||a||^2 + ||b||^2 - 2 a.b rounds to a tiny negative number
unless it is clipped at 0. Fixed examples (FIXED...) are tried on every grading: k = 1,
k = n, a single query row, three classes with arbitrary labels, and 400 training rows with
k = 300 (numpy's argpartition happens to sort small arrays; beyond 256 values it does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import (
    CheckFailed,
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_equal,
    check,
    example,
    fail,
    given,
)
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.tree_problems import (
    NeighbourProblem,
    distances,
    distinct_distances,
    neighbour_problems,
    tied_neighbour_problems,
)

VERSION = "2"


# -- oracles: the brute-force definitions, equal to scikit-learn's on tie-free data ------------


def brute_force_kneighbors(X, X_new, k):
    """Distances (m, k) and indices (m, k) of the k nearest rows, nearest first: scikit-learn's
    brute-force NearestNeighbors gives exactly these on tie-free data (tests/test_stage1_knn.py)."""
    d = distances(X_new, X)  # (m, n)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, idx, axis=1), idx


def brute_force_vote(X, y, X_new, k):
    """(classes, proba (m, C), predict (m,)) by the definition: scikit-learn's brute-force
    KNeighborsClassifier gives the same on tie-free data (tests/test_stage1_knn.py), ~50x faster."""
    idx = np.argsort(distances(X_new, X), axis=1, kind="stable")[:, :k]  # (m, k)
    classes = np.unique(y)
    proba = np.stack([np.mean(y[idx] == c, axis=1) for c in classes], axis=1)  # (m, C)
    return classes, proba, classes[np.argmax(proba, axis=1)]


def brute_force_mean(X, y, X_new, k):
    """Mean target (m,) of the k nearest rows: scikit-learn's brute-force KNeighborsRegressor on tie-free data."""
    idx = np.argsort(distances(X_new, X), axis=1, kind="stable")[:, :k]
    return y[idx].mean(axis=1)


# -- fixed inputs: the structural cases every grading tries --------------------------------


@dataclass
class FloatNeighbourProblem(NeighbourProblem):
    """A NeighbourProblem on Gaussian data whose first query rows are copies of training rows."""

    X_new_starts_with_rows_of_X: list = field(default_factory=list)  # X_new[i] is X[this[i]]


def _labels_for(rng, n, classes):
    """n labels drawn from `classes`, every one present."""
    y = np.concatenate([classes, rng.choice(classes, size=n - len(classes))])
    return rng.permutation(y).astype(np.int64)


def fixed_problem(seed, n, p, m, k, classes=(-2, 5), copies=0, gaussian=False, offset=0.0,
                  train_distinct=True) -> NeighbourProblem:
    """A tie-free problem from a seeded generator: grid values (multiples of 1/64) or Gaussian
    ones around `offset`; the first `copies` query rows are training rows."""
    rng = np.random.default_rng(seed)
    while True:
        if gaussian:
            X = rng.normal(size=(n, p)) + offset
            fresh = rng.normal(size=(m - copies, p)) + offset
        else:
            X = rng.integers(-256, 257, size=(n, p)) / 64.0  # exact squares and sums: no rounding anywhere
            fresh = rng.integers(-256, 257, size=(m - copies, p)) / 64.0
        rows = np.arange(n) if copies == n else rng.choice(n, size=copies, replace=False)
        X_new = np.vstack([X[rows], fresh])
        if distinct_distances(X_new, X) and (not train_distinct or distinct_distances(X, X)):
            break
    y = _labels_for(rng, n, np.array(classes, dtype=np.int64))
    if gaussian:
        return FloatNeighbourProblem(X, y, X_new, k, True, [int(r) for r in rows])
    return NeighbourProblem(X, y, X_new, k, True)


FIXED = {
    "k=1, one query row": fixed_problem(1, n=7, p=3, m=1, k=1),
    "k=n": fixed_problem(2, n=6, p=2, m=3, k=6),
    "30 rows, k=9": fixed_problem(3, n=30, p=2, m=4, k=9),
    "3 classes, k=4": fixed_problem(4, n=12, p=2, m=6, k=4, classes=(-3, 2, 7)),
}
# Gaussian data around 50, queried with itself: ||a||^2 + ||b||^2 - 2 a.b of a row with itself
# rounds below 0 for 7 to 10 of these 30 rows, whichever way the sums and products are written
# (tests/test_stage1_knn.py tries five).
FLOAT_FIXED = fixed_problem(78, n=30, p=4, m=30, k=7, copies=30, gaussian=True, offset=50.0)
# numpy's argpartition sorts what it keeps when its SIMD code handles the array (up to 256
# values), not beyond: with 400 rows and k = 300 the order is lost on every machine.
FLOAT_LARGE = fixed_problem(8, n=400, p=2, m=3, k=300, copies=1, gaussian=True, train_distinct=False)
# Second inputs for confirming a diagnosis: every known mistake gives a wrong answer here.
CONFIRM = fixed_problem(6, n=12, p=2, m=4, k=4, classes=(1, 4, 6))
GRID_COPIES = fixed_problem(7, n=12, p=3, m=4, k=3, copies=3)


@st.composite
def float_neighbour_problems(draw, max_rows=20, max_features=4, max_new=6) -> FloatNeighbourProblem:
    """Gaussian rows (p >= 2, where the sums round), queries starting with copies of training rows, tie-free."""
    p = draw(st.integers(2, max_features))
    n = draw(st.integers(2, max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset = draw(st.sampled_from([0.0, 20.0]))
    copies = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, max_new), unique=True))
    X = rng.normal(size=(n, p)) + offset
    X_new = np.vstack([X[copies], rng.normal(size=(draw(st.integers(0, 2)), p)) + offset])
    assume(distinct_distances(X_new, X) and distinct_distances(X, X))
    classes = np.array(sorted(set(draw(st.lists(st.integers(-3, 9), min_size=2, max_size=3)))), dtype=np.int64)
    assume(len(classes) >= 2 and n >= len(classes))
    y = _labels_for(rng, n, classes)
    return FloatNeighbourProblem(X, y, X_new, draw(st.integers(1, n)), True, copies)


# -- helpers -------------------------------------------------------------------------------


def _fitted(learner, problem, k=None):
    """The learner's model of the right kind, fitted on the problem."""
    make = learner.KNNClassifier if problem.classification else learner.KNNRegressor
    model = make(k=problem.k if k is None else k)
    model.fit(problem.X, problem.y)
    return model


def _call(problem, k=None, then="") -> str:
    name = "KNNClassifier" if problem.classification else "KNNRegressor"
    return f"{name}(k={problem.k if k is None else k}).fit(X, y){then}"


def _order(X_new, X):
    """Training-row indices sorted by distance for each query row (m, n), and the distances."""
    d = distances(X_new, X)  # (m, n)
    return np.argsort(d, axis=1, kind="stable"), d


def _pair(result, what="kneighbors(X_new)"):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{what} must return a pair (distances, indices); got {show(result)}", result)
    return result


def _learner_on(learner, problem, regression, ask):
    """Fit the learner's model on a second problem and answer `ask` ('kneighbors' or 'predict')."""
    kind = NeighbourProblem(problem.X, problem.y, problem.X_new, problem.k, not regression)
    model = _fitted(learner, kind)
    if ask == "kneighbors":
        d, idx = _pair(model.kneighbors(problem.X_new))
        return np.asarray(d, dtype=np.float64), np.asarray(idx)
    return np.asarray(model.predict(problem.X_new), dtype=np.float64)


def _confirmed(learner, regression, ask, part, variant):
    """confirm() for a Diagnosis: on CONFIRM, the learner's answer is variant(CONFIRM)'s too."""
    def confirm() -> bool:
        got = _learner_on(learner, CONFIRM, regression, ask)
        got = got[part] if part is not None else got
        wrong = np.asarray(variant(CONFIRM), dtype=np.float64)
        return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-9, atol=1e-9))
    return confirm


# Known mistakes in kneighbors, as functions of a problem: (distances (m, k), indices (m, k)).
def _squared(pr):
    order, d = _order(pr.X_new, pr.X)
    return np.take_along_axis(d**2, order[:, : pr.k], axis=1), order[:, : pr.k]


def _farthest(pr):
    order, d = _order(pr.X_new, pr.X)
    far = order[:, ::-1][:, : pr.k]
    return np.take_along_axis(d, far, axis=1), far


def _ranks(pr):
    order, _ = _order(pr.X_new, pr.X)
    return None, np.argsort(order, axis=1)[:, : pr.k]


def _neighbour_mistakes(problem, learner, regression):
    """kneighbors answers that come from known slips: (distance mistakes, index mistakes).
    The k farthest rows are a different set only when k < n, so only then are they a mistake."""
    dist = [Diagnosis("the distances are squared: take the square root of the sum of squared differences",
                      lambda: _squared(problem)[0],
                      _confirmed(learner, regression, "kneighbors", 0, lambda pr: _squared(pr)[0]))]
    index = [Diagnosis("the indices are the distances' ranks, not row numbers: argsort the distances and keep "
                       "its output, the row numbers", lambda: _ranks(problem)[1],
                       _confirmed(learner, regression, "kneighbors", 1, lambda pr: _ranks(pr)[1]))]
    if problem.k < len(problem.X):
        dist.append(Diagnosis("the distances are those of the k farthest rows, not the k nearest: sort ascending",
                              lambda: _farthest(problem)[0],
                              _confirmed(learner, regression, "kneighbors", 0, lambda pr: _farthest(pr)[0])))
        index.append(Diagnosis("the indices are those of the k farthest rows: argsort sorts ascending, take the "
                               "first k", lambda: _farthest(problem)[1],
                               _confirmed(learner, regression, "kneighbors", 1, lambda pr: _farthest(pr)[1])))
    return dist, index


UNSORTED = ("kneighbors finds the right k rows but does not return them nearest first: sort the k you keep by "
            "their distance (np.argpartition, for one, leaves them in no particular order; small arrays often "
            "come out sorted by chance, which hides it)")
REVERSED = "kneighbors returns the right k rows farthest first: sort them by distance in ascending order"
GRAM_NAN = ("the distance from a row to its own copy is NaN: computed as ||a||^2 + ||b||^2 - 2 a.b, it can "
            "round to a tiny negative number on non-grid data, and the square root of that is NaN. Clip it "
            "at 0 before the square root: np.sqrt(np.maximum(d2, 0))")
GRAM_DROPPED = ("a query row that is a copy of a training row does not find itself (distance 0) here, yet it does "
                "on grid data: computed as ||a||^2 + ||b||^2 - 2 a.b, that distance rounds to a tiny negative "
                "number on non-grid data, its square root is NaN, and NaN sorts last. Clip at 0 before the "
                "square root: np.sqrt(np.maximum(d2, 0))")
DEFAULT_K = 5  # the stub's default k
ONE_TOO_MANY = ("kneighbors keeps k + 1 neighbours per row: slice [:, :k] (the query row is not among the training "
                "rows, so there is no first neighbour to skip)")
K_IGNORED = ("kneighbors keeps 5 neighbours, the default, whatever k the model was made with: store the "
             "constructor's argument (self.k = k) and use it")
LEAVES_ITSELF_OUT = ("kneighbors leaves out the training row at distance 0 from the query (its own copy): a "
                     "training row equal to the query row is its nearest neighbour and must be returned")


def _self_rows(X, X_new) -> dict:
    """{query row r: training row i} for the query rows equal to a training row."""
    d = distances(X_new, X)
    return {int(r): int(np.argmin(d[r])) for r in range(len(X_new)) if d[r].min() == 0.0}


def _without_self(problem):
    """Indices (m, k) of the k nearest rows when a query row's own copy counts as infinitely far."""
    d = distances(problem.X_new, problem.X)
    d[d == 0.0] = np.inf
    return np.argsort(d, axis=1, kind="stable")[:, : problem.k]


def _self_distance_story(learner, problem, regression, got_d, got_idx, want_idx):
    """A known diagnosis when kneighbors goes wrong only for query rows that are training rows."""
    copies = _self_rows(problem.X, problem.X_new)
    bad = np.argwhere(~np.isfinite(got_d))
    if len(bad):
        at_copies = all(int(r) in copies and int(got_idx[r, j]) == copies[int(r)] for r, j in bad)
        if at_copies and np.isnan(got_d).all(where=~np.isfinite(got_d)):
            return GRAM_NAN
        if at_copies and np.isinf(got_d).all(where=~np.isfinite(got_d)):
            return LEAVES_ITSELF_OUT
        return None
    wrong = np.flatnonzero(np.any(got_idx != want_idx, axis=1))
    if not len(wrong) or not all(int(r) in copies for r in wrong):
        return None
    if not np.array_equal(got_idx[wrong], _without_self(problem)[wrong]):
        return None
    # Two ways to leave a row's own copy out: rounding (float data only) or on purpose (grid data too).
    try:
        grid_idx = _learner_on(learner, GRID_COPIES, regression, "kneighbors")[1]
    except (CheckFailed, LearnerRaised, TypeError, ValueError):
        return None
    if np.array_equal(grid_idx, brute_force_kneighbors(GRID_COPIES.X, GRID_COPIES.X_new, GRID_COPIES.k)[1]):
        return GRAM_DROPPED
    if np.array_equal(grid_idx, _without_self(GRID_COPIES)):
        return LEAVES_ITSELF_OUT
    return None


def _k_per_row(problem, got_idx):
    """Fail with a diagnosis when kneighbors keeps 5 (the default k) or k + 1 neighbours per row."""
    m, n, k = len(problem.X_new), len(problem.X), problem.k
    shape = np.shape(got_idx)
    if shape == (m, DEFAULT_K) and k != DEFAULT_K and n != DEFAULT_K:
        fail(f"kneighbors(X_new) indices: expected shape {(m, k)} (k={k} neighbours per row), got shape {shape}",
             got_idx, diagnosis=K_IGNORED)
    if shape == (m, k + 1):
        fail(f"kneighbors(X_new) indices: expected shape {(m, k)} (k={k} neighbours per row), got shape {shape}",
             got_idx, diagnosis=ONE_TOO_MANY)


def _compare_neighbours(learner, problem, regression, result, atol):
    """kneighbors' (distances, indices) against brute force: the right rows in the right order."""
    want_d, want_idx = brute_force_kneighbors(problem.X, problem.X_new, problem.k)
    got_d, got_idx = _pair(result)
    _k_per_row(problem, got_idx)
    idx = as_array(got_idx, "indices", want_idx.shape).astype(np.int64)
    try:
        raw = np.asarray(got_d, dtype=np.float64)
    except (TypeError, ValueError):
        raw = None
    if raw is not None and raw.shape == want_d.shape and not np.isfinite(raw).all():
        r, j = (int(i) for i in np.argwhere(~np.isfinite(raw))[0])
        fail(f"distances: got {show(raw[r, j])} at index ({r}, {j}): {show(raw)}",
             got_d, diagnosis=_self_distance_story(learner, problem, regression, raw, idx, want_idx))
    d = as_array(got_d, "distances", want_d.shape)
    if not np.array_equal(idx, want_idx) and all(set(a.tolist()) == set(b.tolist()) for a, b in zip(idx, want_idx)):
        reversed_ = problem.k > 1 and np.array_equal(idx, want_idx[:, ::-1])
        fail(f"indices: got {show(idx)}\n         expected {show(want_idx)}\n  (the same rows in another order: "
             "neighbours come nearest first)", got_idx, diagnosis=REVERSED if reversed_ else UNSORTED)
    if not np.array_equal(idx, want_idx):
        story = _self_distance_story(learner, problem, regression, d, idx, want_idx)
        if story:
            fail(f"indices: got {show(idx)}\n         expected {show(want_idx)}", got_idx, diagnosis=story)
    dist_mistakes, index_mistakes = _neighbour_mistakes(problem, learner, regression)
    assert_close(d, want_d, what="distances", rtol=1e-9, atol=atol, diagnoses=dist_mistakes)
    assert_equal(idx, want_idx, what="indices", diagnoses=index_mistakes)


def _clear_rows(pr):
    """Query rows whose vote has one winner (m,) bool, and the right predictions (m,)."""
    _, proba, want = brute_force_vote(pr.X, pr.y, pr.X_new, pr.k)
    return np.sum(proba == proba.max(axis=1, keepdims=True), axis=1) == 1, want


def _vote_mistakes(problem, learner):
    """Wrong predictions a classifier gets from known slips in voting, on the rows with one winner
    (the others are shown with the right answer), each confirmed on CONFIRM."""
    def majority(pr, rows):
        classes = np.unique(pr.y)
        return np.argmax(np.bincount(np.searchsorted(classes, pr.y[rows]), minlength=len(classes)))

    def positions(pr):
        order, _ = _order(pr.X_new, pr.X)
        return np.array([majority(pr, r) for r in order[:, : pr.k]])

    def nearest(pr):
        return pr.y[_order(pr.X_new, pr.X)[0][:, 0]]

    def farthest(pr):
        order, _ = _order(pr.X_new, pr.X)
        return np.unique(pr.y)[[majority(pr, r) for r in order[:, ::-1][:, : pr.k]]]

    variants = [
        ("predict returns the position of the winning class in classes_, not the label itself: "
         "return classes_[position]", positions),
        ("predict returns the label of the single nearest row: vote over all k neighbours", nearest),
        ("predict votes among the k farthest rows: sort distances ascending", farthest),
    ]
    def on_clear_rows(v):
        def answer(pr):
            clear, want = _clear_rows(pr)
            return np.where(clear, v(pr), want)
        return answer

    def confirm(v):
        def check_second() -> bool:
            clear, want = _clear_rows(CONFIRM)
            got = np.asarray(_fitted(learner, CONFIRM).predict(CONFIRM.X_new), dtype=np.float64)
            return got.shape == want.shape and bool(np.array_equal(got[clear], np.asarray(v(CONFIRM))[clear]))
        return check_second

    return [Diagnosis(message, lambda v=v: on_clear_rows(v)(problem), confirm(v)) for message, v in variants]


def _regression_mistakes(problem, learner):
    """Wrong regression predictions from known slips, each confirmed on CONFIRM."""
    def near(pr, extra=0):
        return pr.y[_order(pr.X_new, pr.X)[0][:, : pr.k + extra]].astype(np.float64)

    def weighted(pr):
        order, d = _order(pr.X_new, pr.X)
        w = 1 / np.maximum(np.take_along_axis(d, order[:, : pr.k], 1), 1e-12)
        return np.sum(near(pr) * w, 1) / np.sum(w, 1)

    variants = [
        ("predict returns the median of the neighbours' targets: take the mean", lambda pr: np.median(near(pr), axis=1)),
        ("predict returns the target of the single nearest row: average all k", lambda pr: near(pr)[:, 0]),
        ("predict weights the neighbours by 1 / distance: plain k-NN takes the plain mean", weighted),
        ("predict averages k + 1 neighbours: slice [:k], not [:k + 1]", lambda pr: near(pr, 1).mean(axis=1)),
    ]
    return [Diagnosis(message, lambda v=v: v(problem), _confirmed(learner, True, "predict", None, v))
            for message, v in variants]


# -- checks --------------------------------------------------------------------------------


@check(examples=10)
@example(problem=FIXED["k=1, one query row"], regression=False)
@example(problem=FIXED["k=1, one query row"], regression=True)
@given(problem=neighbour_problems(classification=True, max_rows=8), regression=st.booleans())
def fit_returns_self_and_answers_have_the_right_shapes(learner, problem, regression):
    """fit returns self; kneighbors gives (m, k) and (m, k) (k=5 when not given); predict gives (m,); predict_proba (m, n_classes)."""
    problem = replace(problem, classification=not regression)
    m, k = len(problem.X_new), problem.k
    make = learner.KNNRegressor if regression else learner.KNNClassifier
    model = make(k=k)
    with after_calling(_call(problem)):
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        result = _pair(model.kneighbors(problem.X_new))
        _k_per_row(problem, result[1])
        as_array(result[0], "kneighbors(X_new) distances", (m, k))
        as_array(result[1], "kneighbors(X_new) indices", (m, k))
        as_array(model.predict(problem.X_new), "predict(X_new)", (m,))
        if not regression:
            as_array(model.predict_proba(problem.X_new), "predict_proba(X_new)", (m, len(np.unique(problem.y))))
    if len(problem.X) >= DEFAULT_K:  # the stub's default, like scikit-learn's n_neighbors=5
        name = "KNNRegressor" if regression else "KNNClassifier"
        with after_calling(f"{name}().fit(X, y), then kneighbors(X_new)"):
            plain = make()
            plain.fit(problem.X, problem.y)
            as_array(_pair(plain.kneighbors(problem.X_new))[1], "kneighbors(X_new) indices, with the default k",
                     (m, DEFAULT_K))


@check(examples=25)
@example(problem=FIXED["30 rows, k=9"], regression=False)
@example(problem=FIXED["30 rows, k=9"], regression=True)
@example(problem=FIXED["k=n"], regression=False)
@given(problem=neighbour_problems(), regression=st.booleans())
def kneighbors_matches_sklearn_brute_force(learner, problem, regression):
    """kneighbors(X_new) gives scikit-learn's distances (1e-9) and indices, nearest first, when no distances tie."""
    problem = replace(problem, classification=not regression)
    with after_calling(_call(problem, then=", then kneighbors(X_new)")):
        model = _fitted(learner, problem)
        _compare_neighbours(learner, problem, regression, model.kneighbors(problem.X_new), atol=1e-9)


@check(examples=25)
@example(problem=FIXED["3 classes, k=4"])
@example(problem=FIXED["30 rows, k=9"])
@given(problem=neighbour_problems(classification=True))
def classifier_matches_sklearn(learner, problem):
    """KNNClassifier's classes_, predict_proba (1e-12) and predict equal scikit-learn's brute-force ones when no distances tie."""
    classes, want_proba, want = brute_force_vote(problem.X, problem.y, problem.X_new, problem.k)  # proba (m, C)
    with after_calling(_call(problem, then=", then predict_proba(X_new) and predict(X_new)")):
        model = _fitted(learner, problem)
        assert_equal(as_array(model.classes_, "classes_"), classes, what="classes_", diagnoses=[
            Diagnosis("classes_ is 0..C-1, not the labels themselves: use np.unique(y)",
                      lambda: np.arange(len(classes)))])
        counts = want_proba * problem.k
        n = len(problem.y)

        def by_count(pr):
            return brute_force_vote(pr.X, pr.y, pr.X_new, pr.k)[1] * pr.k

        def by_n(pr):
            return by_count(pr) / len(pr.y)

        proba_mistakes = [
            Diagnosis("predict_proba returns vote counts: divide by k", lambda: counts,
                      _confirmed_proba(learner, by_count)),
            Diagnosis(f"predict_proba divides the votes by n={n}, the number of training rows, instead of by k",
                      lambda: counts / n, _confirmed_proba(learner, by_n)),
        ]
        assert_close(model.predict_proba(problem.X_new), want_proba, what="predict_proba(X_new)",
                     rtol=1e-12, atol=1e-12, diagnoses=proba_mistakes)
        # Only rows whose vote has one winner: a tied vote may go either way.
        clear = np.sum(want_proba == want_proba.max(axis=1, keepdims=True), axis=1) == 1
        got = as_array(model.predict(problem.X_new), "predict(X_new)", (len(problem.X_new),))
        if not np.array_equal(got[clear], want[clear]):
            assert_equal(np.where(clear, got, want), want, what="predict(X_new) (rows with one clear winner)",
                         diagnoses=_vote_mistakes(problem, learner))


def _confirmed_proba(learner, variant):
    def confirm() -> bool:
        model = _fitted(learner, CONFIRM)
        got = np.asarray(model.predict_proba(CONFIRM.X_new), dtype=np.float64)
        wrong = variant(CONFIRM)
        return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-9, atol=1e-12))
    return confirm


@check(examples=25)
@example(problem=NeighbourProblem(FIXED["3 classes, k=4"].X, FIXED["3 classes, k=4"].y * 0.5,
                                  FIXED["3 classes, k=4"].X_new, 3, False))
@given(problem=neighbour_problems(classification=False))
def regressor_matches_sklearn(learner, problem):
    """KNNRegressor.predict equals scikit-learn's (the mean of the k nearest targets) to 1e-9 when no distances tie."""
    want = brute_force_mean(problem.X, problem.y, problem.X_new, problem.k)
    with after_calling(_call(problem, then=", then predict(X_new)")):
        model = _fitted(learner, problem)
        assert_close(model.predict(problem.X_new), want, what="predict(X_new)", rtol=1e-9, atol=1e-9,
                     diagnoses=_regression_mistakes(problem, learner))


@check(examples=10)
@example(problem=FLOAT_FIXED, regression=False)
@example(problem=FLOAT_FIXED, regression=True)
@example(problem=FLOAT_LARGE, regression=False)
@example(problem=FLOAT_LARGE, regression=True)
@given(problem=float_neighbour_problems(), regression=st.booleans())
def kneighbors_matches_sklearn_on_float_data(learner, problem, regression):
    """On Gaussian data, a query row equal to a training row finds it first at distance 0 (never NaN); kneighbors and predict match scikit-learn's."""
    problem = replace(problem, classification=not regression)
    # ||a||^2 + ||b||^2 - 2 a.b, clipped at 0, is off by up to ~1e-8 * |a| from the exact distance: allowed.
    atol = 1e-7 * (1.0 + float(np.sqrt((problem.X**2).sum(axis=1)).max()))
    with after_calling(_call(problem, then=", then kneighbors(X_new) and predict(X_new)")):
        model = _fitted(learner, problem)
        _compare_neighbours(learner, problem, regression, model.kneighbors(problem.X_new), atol=atol)
        got = as_array(model.predict(problem.X_new), "predict(X_new)", (len(problem.X_new),))
        if regression:
            want = brute_force_mean(problem.X, problem.y, problem.X_new, problem.k)
            assert_close(got, want, what="predict(X_new)", rtol=1e-9, atol=1e-9,
                         diagnoses=_regression_mistakes(problem, learner))
            return
        classes, proba, want = brute_force_vote(problem.X, problem.y, problem.X_new, problem.k)
        assert_equal(as_array(model.classes_, "classes_"), classes, what="classes_", diagnoses=[
            Diagnosis("classes_ is 0..C-1, not the labels themselves: use np.unique(y)", lambda: np.arange(len(classes)))])
        clear = np.sum(proba == proba.max(axis=1, keepdims=True), axis=1) == 1
        assert_equal(np.where(clear, got, want), want, what="predict(X_new) (rows with one clear winner)",
                     diagnoses=_vote_mistakes(problem, learner))


@check(examples=15)
@given(problem=neighbour_problems(k="n"), regression=st.booleans())
def k_equal_to_n_gives_the_majority_and_the_mean(learner, problem, regression):
    """With k = n every row's neighbours are all training rows: the majority label (when unique) and the mean target."""
    problem = replace(problem, classification=not regression)
    m = len(problem.X_new)
    with after_calling(_call(problem, then=", then predict(X_new)")):
        model = _fitted(learner, problem)
        got = model.predict(problem.X_new)
        if regression:
            assert_close(got, np.full(m, problem.y.mean()), what="predict(X_new)", rtol=1e-9, atol=1e-9)
            return
        values, counts = np.unique(problem.y, return_counts=True)
        winners = values[counts == counts.max()]
        got = as_array(got, "predict(X_new)", (m,))
        if not np.all(np.isin(got, winners)):
            which = "the majority label" if len(winners) == 1 else f"one of the most common labels {show(winners)}"
            fail(f"predict(X_new): got {show(got)}\n  expected {which} for every row "
                 f"(y has counts {dict(zip(values.tolist(), counts.tolist()))})", got)


@check(examples=20)
@given(problem=tied_neighbour_problems(), regression=st.booleans())
def tied_distances_still_give_k_nearest_rows(learner, problem, regression):
    """With repeated rows and equal distances, kneighbors returns k distinct rows at the k smallest distances, nearest first."""
    problem = replace(problem, classification=not regression)
    X, X_new, k = problem.X, problem.X_new, problem.k
    true_d = distances(X_new, X)  # (m, n)
    want_d = np.sort(true_d, axis=1)[:, :k]
    with after_calling(_call(problem, then=", then kneighbors(X_new)")):
        model = _fitted(learner, problem)
        got_d, got_idx = _pair(model.kneighbors(X_new))
        assert_close(got_d, want_d, what="distances", rtol=1e-9, atol=1e-9)
        idx = as_array(got_idx, "indices", want_d.shape).astype(np.int64)
        if np.any(idx < 0) or np.any(idx >= len(X)):
            fail(f"indices: got {show(idx)}, but they must be row numbers in 0..{len(X) - 1}", got_idx)
        for row in idx:
            if len(set(row.tolist())) != k:
                fail(f"indices: row {show(row)} names a training row twice: each neighbour is a different row", got_idx)
        assert_close(np.take_along_axis(true_d, idx, axis=1), want_d,
                     what="distances of the rows named by indices", rtol=1e-9, atol=1e-9)


@check(examples=20)
@given(problem=tied_neighbour_problems(classification=True))
def tied_votes_pick_one_of_the_most_common_labels(learner, problem):
    """When several labels get the most votes (or neighbours tie), predict returns one of the labels that can win."""
    X, y, X_new, k = problem.X, problem.y, problem.X_new, problem.k
    d = distances(X_new, X)  # (m, n)
    with after_calling(_call(problem, then=", then predict(X_new)")):
        got = as_array(_fitted(learner, problem).predict(X_new), "predict(X_new)", (len(X_new),))
        for row, label in enumerate(got):
            allowed = _labels_that_can_win(d[row], y, k)
            if label not in allowed:
                fail(f"predict(X_new)[{row}] = {show(label)}, but with k={k} the neighbours of "
                     f"{show(X_new[row])} can only elect {show(np.array(sorted(allowed)))}", got)


def _labels_that_can_win(d_row, y, k) -> set:
    """Every label that is most common among some valid choice of k nearest rows."""
    order = np.argsort(d_row, kind="stable")
    kth = d_row[order[k - 1]]
    sure = y[d_row < kth]  # rows nearer than the k-th distance: always neighbours
    boundary = y[d_row == kth]  # rows at exactly the k-th distance: any (k - len(sure)) of them
    free = k - len(sure)
    winners = set()
    labels = np.unique(y)
    # A label can win if some pick of `free` boundary rows makes it (one of) the most common.
    for label in labels:
        take_own = min(free, int(np.sum(boundary == label)))
        others = [v for v in boundary if v != label]
        counts = {v: int(np.sum(sure == v)) for v in labels}
        counts[label] += take_own
        # Fill the rest with the labels that hurt `label` least: spread over the weakest.
        for _ in range(free - take_own):
            best = min((v for v in set(others) if others.count(v) > 0), key=lambda v: counts[v])
            counts[best] += 1
            others.remove(best)
        if counts[label] == max(counts.values()):
            winners.add(label)
    return winners
