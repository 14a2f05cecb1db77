"""Grader for stage1/knn: brute-force k-nearest neighbours for classes and for numbers.

The expected answers come from brute force written here in NumPy: on these inputs they
are exactly scikit-learn's brute-force NearestNeighbors / KNeighborsClassifier /
KNeighborsRegressor answers (tests/test_stage1_knn.py compares them on every kind of
problem the grader draws), at a fraction of scikit-learn's per-call cost. Equality is
checked on data where every query row has all its distances
to the training rows distinct (tree_problems.neighbour_problems), so the neighbour set
never depends on tie-breaking. Ties in distances and in votes are checked as properties:
any k rows at the k smallest distances, any of the most common labels.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.engine.proxy import same_object
from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_equal, check, fail, given
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.tree_problems import distances, neighbour_problems, tied_neighbour_problems

VERSION = "1"


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


def _neighbour_mistakes(X, X_new, k):
    """kneighbors answers that come from known slips: (distance mistakes, index mistakes)."""
    order, d = _order(X_new, X)
    sq = np.take_along_axis(d**2, order[:, :k], axis=1)
    far = order[:, ::-1][:, :k]
    dist = [
        Diagnosis("the distances are squared: take the square root of the sum of squared differences", lambda: sq),
        Diagnosis("the distances are the k largest, not the k smallest: sort ascending",
                  lambda: np.take_along_axis(d, far, axis=1)),
    ]
    index = [
        Diagnosis("the indices are those of the k farthest rows: argsort sorts ascending, take the first k",
                  lambda: far),
        Diagnosis("the indices are the distances' ranks, not row numbers: argsort the distances and keep "
                  "its output, the row numbers", lambda: np.argsort(order, axis=1)[:, :k]),
    ]
    return dist, index


def _vote_mistakes(problem):
    """Wrong predictions a classifier gets from known slips in voting."""
    order, _ = _order(problem.X_new, problem.X)
    classes = np.unique(problem.y)

    def majority(rows):
        codes = np.searchsorted(classes, problem.y[rows])
        return np.argmax(np.bincount(codes, minlength=len(classes)))

    near = order[:, : problem.k]
    return [
        Diagnosis("predict returns the position of the winning class in classes_, not the label itself: "
                  "return classes_[position]", lambda: np.array([majority(r) for r in near])),
        Diagnosis("predict returns the label of the single nearest row: vote over all k neighbours",
                  lambda: problem.y[order[:, 0]]),
        Diagnosis("predict votes among the k farthest rows: sort distances ascending",
                  lambda: classes[[majority(r) for r in order[:, ::-1][:, : problem.k]]]),
    ]


# -- checks --------------------------------------------------------------------------------


@check(examples=10)
@given(problem=neighbour_problems(classification=True, max_rows=8), regression=st.booleans())
def fit_returns_self_and_answers_have_the_right_shapes(learner, problem, regression):
    """fit returns self; kneighbors gives (m, k) and (m, k); predict gives (m,); predict_proba (m, n_classes)."""
    problem.classification = not regression
    m, k = len(problem.X_new), problem.k
    make = learner.KNNRegressor if regression else learner.KNNClassifier
    model = make(k=k)
    with after_calling(_call(problem)):
        returned = model.fit(problem.X, problem.y)
        if not same_object(returned, model):
            fail(f"fit returned {show(returned)} instead of the model: end fit with `return self`", returned)
        result = model.kneighbors(problem.X_new)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            fail(f"kneighbors(X_new) must return a pair (distances, indices); got {show(result)}", result)
        as_array(result[0], "kneighbors(X_new) distances", (m, k))
        as_array(result[1], "kneighbors(X_new) indices", (m, k))
        as_array(model.predict(problem.X_new), "predict(X_new)", (m,))
        if not regression:
            as_array(model.predict_proba(problem.X_new), "predict_proba(X_new)", (m, len(np.unique(problem.y))))


@check(examples=25)
@given(problem=neighbour_problems(), regression=st.booleans())
def kneighbors_matches_sklearn_brute_force(learner, problem, regression):
    """kneighbors(X_new) gives scikit-learn's distances (1e-9) and indices, nearest first, when no distances tie."""
    problem.classification = not regression
    X, X_new, k = problem.X, problem.X_new, problem.k
    want_d, want_idx = brute_force_kneighbors(X, X_new, k)
    dist_mistakes, index_mistakes = _neighbour_mistakes(X, X_new, k)
    with after_calling(_call(problem, then=", then kneighbors(X_new)")):
        model = _fitted(learner, problem)
        result = model.kneighbors(X_new)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            fail(f"kneighbors(X_new) must return a pair (distances, indices); got {show(result)}", result)
        got_d, got_idx = result
        assert_close(got_d, want_d, what="distances", rtol=1e-9, atol=1e-9, diagnoses=dist_mistakes)
        assert_equal(as_array(got_idx, "indices", want_idx.shape), want_idx, what="indices", diagnoses=index_mistakes)


@check(examples=25)
@given(problem=neighbour_problems(classification=True))
def classifier_matches_sklearn(learner, problem):
    """KNNClassifier's classes_, predict_proba (1e-12) and predict equal scikit-learn's brute-force ones when no distances tie."""
    classes, want_proba, want = brute_force_vote(problem.X, problem.y, problem.X_new, problem.k)  # proba (m, C)
    with after_calling(_call(problem, then=", then predict_proba(X_new) and predict(X_new)")):
        model = _fitted(learner, problem)
        assert_equal(as_array(model.classes_, "classes_"), classes, what="classes_", diagnoses=[
            Diagnosis("classes_ is 0..C-1, not the labels themselves: use np.unique(y)",
                      lambda: np.arange(len(classes)))])
        order, _ = _order(problem.X_new, problem.X)
        counts = want_proba * problem.k
        proba_mistakes = [
            Diagnosis("predict_proba returns vote counts: divide by k", lambda: counts),
            Diagnosis(f"predict_proba divides the votes by n={len(problem.y)}, the number of training rows, "
                      "instead of by k", lambda: counts / len(problem.y)),
        ]
        assert_close(model.predict_proba(problem.X_new), want_proba, what="predict_proba(X_new)",
                     rtol=1e-12, atol=1e-12, diagnoses=proba_mistakes)
        # Only rows whose vote has one winner: a tied vote may go either way.
        clear = np.sum(want_proba == want_proba.max(axis=1, keepdims=True), axis=1) == 1
        got = as_array(model.predict(problem.X_new), "predict(X_new)", (len(problem.X_new),))
        if not np.array_equal(got[clear], want[clear]):
            mistakes = _vote_mistakes(problem)
            assert_equal(np.where(clear, got, want), want, what="predict(X_new) (rows with one clear winner)",
                         diagnoses=mistakes)


@check(examples=25)
@given(problem=neighbour_problems(classification=False))
def regressor_matches_sklearn(learner, problem):
    """KNNRegressor.predict equals scikit-learn's (the mean of the k nearest targets) to 1e-9 when no distances tie."""
    want = brute_force_mean(problem.X, problem.y, problem.X_new, problem.k)
    order, d = _order(problem.X_new, problem.X)
    near = problem.y[order[:, : problem.k]]  # (m, k)
    mistakes = [
        Diagnosis("predict returns the median of the neighbours' targets: take the mean", lambda: np.median(near, axis=1)),
        Diagnosis("predict returns the target of the single nearest row: average all k",
                  lambda: problem.y[order[:, 0]]),
        Diagnosis("predict weights the neighbours by 1 / distance: plain k-NN takes the plain mean",
                  lambda: np.sum(near / np.maximum(np.take_along_axis(d, order[:, :problem.k], 1), 1e-12), 1)
                  / np.sum(1 / np.maximum(np.take_along_axis(d, order[:, :problem.k], 1), 1e-12), 1)),
        Diagnosis("predict averages k + 1 neighbours: slice [:k], not [:k + 1]",
                  lambda: problem.y[order[:, : problem.k + 1]].mean(axis=1)),
    ]
    with after_calling(_call(problem, then=", then predict(X_new)")):
        model = _fitted(learner, problem)
        assert_close(model.predict(problem.X_new), want, what="predict(X_new)", rtol=1e-9, atol=1e-9, diagnoses=mistakes)


@check(examples=15)
@given(problem=neighbour_problems(k="n"), regression=st.booleans())
def k_equal_to_n_gives_the_majority_and_the_mean(learner, problem, regression):
    """With k = n every row's neighbours are all training rows: the majority label (when unique) and the mean target."""
    problem.classification = not regression
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
    """With repeated rows and equal distances, kneighbors returns k distinct rows at the k smallest distances."""
    problem.classification = not regression
    X, X_new, k = problem.X, problem.X_new, problem.k
    true_d = distances(X_new, X)  # (m, n)
    want_d = np.sort(true_d, axis=1)[:, :k]
    with after_calling(_call(problem, then=", then kneighbors(X_new)")):
        model = _fitted(learner, problem)
        got_d, got_idx = model.kneighbors(X_new)
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
