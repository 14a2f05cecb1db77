"""Grader for stage1/kmeans: Lloyd's algorithm from given centres (= scikit-learn's KMeans
with n_init=1, algorithm="lloyd"), its stopping rules and inertia history, empty clusters,
and k-means++ seeding tested statistically.

Equality with scikit-learn needs every assignment to be clear-cut: the grader replays
Lloyd's algorithm here (`_lloyd`) and keeps only inputs where, at every iteration, each row
is nearer to its centre than to any other by a margin, no cluster empties, and the centre
shift is not within rounding of the tolerance. A correct solution then cannot lose on
tie-breaking or rounding.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerRaised
from mldojo.graders.kit.asserts import name_mistakes
from mldojo.graders.kit import (
    CheckFailed,
    Diagnosis,
    as_array,
    assert_close,
    assert_equal,
    assert_scalar,
    check,
    example,
    fail,
    given,
)
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.label_problems import ClusterProblem, blobs, scattered_points

VERSION = "3"

DRIVER = "mldojo.graders.stage1.kmeans_driver"
RTOL = 1e-8  # centres and inertia: the same arithmetic in another order
GAP = 1e-7  # relative margin by which each row's nearest centre must win, at every iteration
PLUS_PLUS_POINTS = np.array([[0, 0], [1, 0], [0, 2], [3, 1], [4, 4], [1, 3]], dtype=np.float64)
PLUS_PLUS_DRAWS = 3000
FAIL_P = 1e-6  # a correct k-means++ fails the statistical test with this probability
NAME_P = 1e-3  # a wrong variant is named when the draws fit it at this level


# -- the algorithm, replayed here ----------------------------------------------------------


@dataclass
class Run:
    """One replay of Lloyd's algorithm and how clear-cut its decisions were."""

    centres: np.ndarray  # (k, p)
    labels: np.ndarray  # (n,)
    inertia: float
    history: list
    gap: float  # smallest (second-nearest - nearest) squared distance, relative to the largest
    emptied: bool  # some cluster lost all its rows at some iteration
    tol_gap: float  # smallest |shift - threshold| / threshold where the tol rule was consulted
    history_after: list  # inertia of each iteration's labels with the centres after the update


def _assign(X, centres, tie="low"):
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    # np.argmin takes the first of equal minima: the lower-numbered centre, as the stub says.
    labels = np.argmin(d2, axis=1) if tie == "low" else len(centres) - 1 - np.argmin(d2[:, ::-1], axis=1)
    part = np.sort(d2, axis=1)
    gap = float(np.min(part[:, 1] - part[:, 0]) / max(d2.max(), 1e-300)) if centres.shape[0] > 1 else 1.0
    return labels, d2[np.arange(len(X)), labels], gap


def _lloyd(X, init, max_iter, tol, *, scale_tol=True, move=True, final_assign=True, tie="low") -> Run:
    """Lloyd's algorithm as the exercise states it (variants switch one rule off, for diagnoses;
    tie="high" gives an exact tie to the higher-numbered centre)."""
    centres = np.array(init, dtype=np.float64)
    threshold = tol * np.mean(np.var(X, axis=0)) if scale_tol else tol
    history, previous, gaps, emptied, tol_gaps, after = [], None, [], False, [np.inf], []
    for _ in range(max_iter):
        labels, d2, gap = _assign(X, centres, tie)
        gaps.append(gap)
        history.append(float(d2.sum()))
        moved = centres.copy()
        for j in range(len(centres)):
            if np.any(labels == j):
                moved[j] = X[labels == j].mean(axis=0) if move else centres[j]
            else:
                emptied = True
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        after.append(float(((X - centres[labels]) ** 2).sum()))
        if previous is not None and np.array_equal(labels, previous):
            break
        if threshold > 0:
            tol_gaps.append(abs(shift - threshold) / threshold)
        if shift <= threshold:
            break
        previous = labels
    if final_assign:
        labels, d2, gap = _assign(X, centres, tie)
        gaps.append(gap)
    return Run(centres, labels, float(d2.sum()), history, min(gaps), emptied, min(tol_gaps), after)


def sk_kmeans(X, init, max_iter, tol):
    """scikit-learn's KMeans from `init`: (centres, labels, inertia)."""
    from sklearn.cluster import KMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = KMeans(len(init), init=np.asarray(init, dtype=np.float64), n_init=1, algorithm="lloyd",
                       max_iter=max_iter, tol=tol).fit(X)
    return model.cluster_centers_, model.labels_, float(model.inertia_)


# -- inputs --------------------------------------------------------------------------------


@dataclass
class LloydCase:
    """Rows X (n, p), initial centres init (k, p) and the stopping parameters."""

    X: np.ndarray
    init: np.ndarray
    max_iter: int
    tol: float


@st.composite
def lloyd_cases(draw, data, max_iter=st.just(300), tol=st.just(1e-4), scale=st.just(1.0)) -> LloydCase:
    """Data, k distinct rows of it as initial centres, and parameters whose replay is clear-cut."""
    problem: ClusterProblem = draw(data)
    s = draw(scale)
    X = problem.X * s
    rows = draw(st.lists(st.integers(0, len(X) - 1), min_size=problem.k, max_size=problem.k, unique=True))
    case = LloydCase(X, X[rows].copy(), draw(max_iter), draw(tol))
    run = _lloyd(case.X, case.init, case.max_iter, case.tol)
    assume(run.gap > GAP and not run.emptied and run.tol_gap > 1e-6)
    return case


@st.composite
def tol_cases(draw) -> LloydCase:
    """Scaled data and a tolerance where scaling tol by the variance of X changes the answer."""
    case = draw(lloyd_cases(scattered_points(), tol=st.sampled_from([1e-3, 1e-2, 1e-1]),
                            scale=st.sampled_from([1 / 16, 16.0])))
    unscaled = _lloyd(case.X, case.init, case.max_iter, case.tol, scale_tol=False)
    assume(unscaled.gap > GAP and not unscaled.emptied and unscaled.tol_gap > 1e-6)
    assume(len(unscaled.history) != len(_lloyd(case.X, case.init, case.max_iter, case.tol).history))
    return case


@st.composite
def empty_cluster_cases(draw) -> LloydCase:
    """Blobs with one initial centre far from every row, so its cluster is empty from the start."""
    problem = draw(blobs(max_clusters=3))
    X = problem.X
    rows = draw(st.lists(st.integers(0, len(X) - 1), min_size=problem.k - 1, max_size=problem.k - 1, unique=True))
    far = np.full((1, X.shape[1]), float(np.abs(X).max()) + 100.0)
    position = draw(st.integers(0, problem.k - 1))
    init = np.insert(X[rows], position, far, axis=0)  # (k, p)
    run = _lloyd(X, init, 300, 1e-4)
    assume(run.gap > GAP and run.tol_gap > 1e-6)
    return LloydCase(X, init, 300, 1e-4)


# -- fixed inputs: tried on every grading ---------------------------------------------------


def _blob_case(seed, k, p, gaussian=False, offset=0.0) -> LloydCase:
    """k blobs (grid noise, or Gaussian noise around `offset`), initial centres k rows of X: clear-cut
    at every iteration (tests/test_stage1_kmeans.py proves it)."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(-10, 11, size=(k, p)).astype(np.float64)
    sizes = rng.integers(2, 9, size=k)
    n = int(sizes.sum())
    noise = rng.normal(size=(n, p)) if gaussian else rng.integers(-32, 33, size=(n, p)) / 32.0
    X = (np.repeat(centres, sizes, axis=0) + noise + offset)[rng.permutation(n)]
    return LloydCase(X, X[rng.choice(n, size=k, replace=False)].copy(), 300, 1e-4)


def _scattered_case(seed, scale, tol, max_iter=300, n=20, k=3) -> LloydCase:
    """Scattered points on a 1/64 grid times `scale`, initial centres k of its rows."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-256, 257, size=(n, 2)) / 64.0 * scale
    return LloydCase(X, X[rng.choice(n, size=k, replace=False)].copy(), max_iter, tol)


FIXED_BLOBS = _blob_case(0, k=3, p=2)  # three clusters: k is not 2
# Gaussian rows around 40, the initial centres among them: a distance computed as
# ||x||^2 + ||c||^2 - 2 x.c of a row to its own copy rounds below 0 (its square root is NaN).
FLOAT_BLOBS = _blob_case(0, k=3, p=3, gaussian=True, offset=40.0)
# tol=0.1 on data of variance ~5e-3: scaled by that variance the loop stops after 4 iterations,
# compared with tol itself after 1, and with the default tol (1e-4) after 6.
FIXED_TOL = _scattered_case(0, 1 / 16, 0.1)
# Exact ties (every value here is a small integer, or half of one: no rounding anywhere).
# 1: the row at 0 is as near centre 0 (-1) as centre 1 (1); the tie decides both clusters.
# 2: centres 0 and 1 start at the same point, so every row near it ties: centre 1 gets no row
#    and stays; next iteration the row (1, 1) is as near the moved centre 0 (2, 2) as centre 1.
TIE_CASES = [
    LloydCase(np.array([[-2.0], [0.0], [2.0]]), np.array([[-1.0], [1.0]]), 300, 1e-4),
    LloydCase(np.array([[1.0, 1.0], [3.0, 1.0], [1.0, 3.0], [3.0, 3.0], [9.0, 9.0], [11.0, 9.0], [9.0, 11.0],
                        [11.0, 11.0]]), np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 10.0]]), 300, 1e-4),
]
# k-means++ on Gaussian rows around 50, every row picked (k = n): ||x||^2 + ||c||^2 - 2 x.c of
# three or more rows with themselves rounds below 0, whichever way the sums are written.
PLUS_PLUS_FLOAT = np.random.default_rng(39).normal(size=(12, 4)) + 50.0
# max_iter=2 where Lloyd's algorithm needs 5 iterations: with FIXED_TOL, TOL_CASE and FIXED_BLOBS, a
# second input on which each slip below gives centres or inertia of its own (tests/test_stage1_kmeans.py).
MAX_ITER_CASE = _scattered_case(6, 1.0, 0.0, max_iter=2, n=16)
TOL_CASE = _scattered_case(247, 1.0, 0.1)  # stops after 2 iterations; tol unscaled 4, tol=1e-4 6
CONFIRM_CASES = [MAX_ITER_CASE, FIXED_TOL, TOL_CASE, FIXED_BLOBS]
# Two clear clusters, each initial centre already at its cluster's mean, tol=0: the first
# iteration moves nothing, and a shift of 0 is "at most tol": one iteration, not two.
AT_THE_MEANS = LloydCase(np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 10.0], [10.0, 12.0]]),
                         np.array([[0.0, 1.0], [10.0, 11.0]]), 300, 0.0)
GRID_CASE = LloydCase(TIE_CASES[1].X[[0, 1, 4, 5, 6]], TIE_CASES[1].X[[0, 4]], 300, 1e-4)  # for confirming


# -- helpers -------------------------------------------------------------------------------


def _call(case) -> str:
    return f"kmeans(X, {len(case.init)}, init, max_iter={case.max_iter}, tol={case.tol:g})"


def _result(learner, case):
    """The learner's (centres, labels, inertia, history), shapes checked, NaN explained."""
    k, p = case.init.shape
    result = learner.kmeans(case.X, k, case.init, max_iter=case.max_iter, tol=case.tol)
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail(f"{_call(case)} must return four things (centres, labels, inertia, history); got {show(result)}", result)
    centres = as_array(result[0], "centres", (k, p))
    labels = np.asarray(result[1])
    if labels.shape != (len(case.X),) or labels.dtype.kind not in "iu":
        fail(f"labels: expected an int array of shape ({len(case.X)},), one centre number per row; got "
             f"{labels.dtype} of shape {labels.shape}", labels)
    _no_nan(learner, case, result[2], "inertia")
    inertia = assert_scalar(result[2], "inertia")
    _no_nan(learner, case, result[3], "history")
    history = as_array(result[3], "history")
    if history.ndim != 1:
        fail(f"history: expected a list of floats, one per iteration; got shape {history.shape}", result[3])
    return centres, labels, inertia, history


GRAM_NAN = ("a distance of a row to a centre at the same point is NaN here but not on grid data: computed as "
            "sqrt(||x||^2 + ||c||^2 - 2 x.c), it rounds to a tiny negative number under the square root. Clip it "
            "at 0 first (np.maximum(d2, 0)), or keep to squared distances, which k-means needs anyway")


def _no_nan(learner, case, value, what):
    """Fail with what went wrong when `value` holds NaN: on Gaussian data with centres on rows of X,
    and finite on the grid case, it is the rounding of a distance to 0."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if not np.isnan(array).any():
        return
    story = None
    if _centres_on_rows(case) and not _on_grid(case.X):
        k = len(GRID_CASE.init)
        try:
            grid = learner.kmeans(GRID_CASE.X, k, GRID_CASE.init, max_iter=GRID_CASE.max_iter, tol=GRID_CASE.tol)
            finite = all(np.isfinite(np.asarray(part, dtype=np.float64)).all() for part in grid[:4])
        except (LearnerRaised, TypeError, ValueError, IndexError):
            finite = False
        story = GRAM_NAN if finite else None
    fail(f"after {_call(case)}:\n{what} is NaN: {show(array)}", value, diagnosis=story)


def _centres_on_rows(case) -> bool:
    return bool(np.all(((case.init[:, None, :] - case.X[None]) ** 2).sum(-1).min(axis=1) == 0))


def _on_grid(X) -> bool:
    return bool(np.all(X * 64 == np.round(X * 64)))


# Lloyd's algorithm with one stated rule broken: (message, run(case) -> Run).
SLIPS = [
    ("these are the labels of the assignment before the last update: when the loop stops, "
     "assign every row to its nearest final centre once more",
     lambda c: _lloyd(c.X, c.init, c.max_iter, c.tol, final_assign=False)),
    ("the centres never move: after assigning the rows, set each centre to the mean of its rows",
     lambda c: _lloyd(c.X, c.init, c.max_iter, c.tol, move=False)),
    ("your loop stops by comparing the centre shift with tol itself: scikit-learn compares it with "
     "tol * (mean over features of the variance of X), so the rule does not depend on the units of X",
     lambda c: _lloyd(c.X, c.init, c.max_iter, c.tol, scale_tol=False)),
    ("tol is ignored: the loop stops as if tol were 1e-4, the default", lambda c: _lloyd(c.X, c.init, c.max_iter, 1e-4)),
    ("max_iter is ignored: the loop runs on (up to 300 iterations, the default) instead of stopping after max_iter",
     lambda c: _lloyd(c.X, c.init, 300, c.tol)),
    ("this is where Lloyd's algorithm stands after one iteration: does the loop run until the assignment stops "
     "changing?", lambda c: _lloyd(c.X, c.init, 1, c.tol)),
]


def _confirmed(learner, slip, what):
    """confirm() for a slip: on the first of CONFIRM_CASES where the slip's `what` (centres, labels or
    inertia) differs from the right one and from every other slip's, the learner's is the slip's."""
    def confirm() -> bool:
        for other in CONFIRM_CASES:
            wrong = np.asarray(getattr(slip(other), what), dtype=np.float64)
            rivals = [_lloyd(other.X, other.init, other.max_iter, other.tol)] + [s(other) for _, s in SLIPS if s is not slip]
            if any(np.allclose(wrong, np.asarray(getattr(r, what), dtype=np.float64), rtol=1e-9, atol=1e-9) for r in rivals):
                continue
            got = dict(zip(("centres", "labels", "inertia"), _result(learner, other)[:3]))[what]
            return bool(np.allclose(np.asarray(got, dtype=np.float64), wrong, rtol=1e-8, atol=1e-8))
        return False
    return confirm


def _mistakes(case, what, learner=None):
    """Wrong results a learner gets by breaking one stated rule (SLIPS), each confirmed on a
    second input where it stands out."""
    return [Diagnosis(message, lambda slip=slip: getattr(slip(case), what),
                      None if learner is None else _confirmed(learner, slip, what)) for message, slip in SLIPS]


def _compare_with_sklearn(learner, case):
    want_centres, want_labels, want_inertia = sk_kmeans(case.X, case.init, case.max_iter, case.tol)
    centres, labels, inertia, _ = _result(learner, case)
    scale = float(np.abs(case.X).max())
    prefix = f"after {_call(case)}:\n"
    try:
        assert_close(centres, want_centres, what="centres", rtol=RTOL, atol=RTOL * scale,
                     diagnoses=_mistakes(case, "centres", learner))
        assert_equal(labels, want_labels, what="labels", diagnoses=_mistakes(case, "labels", learner))
        assert_close(inertia, want_inertia, what="inertia", rtol=RTOL, atol=RTOL * scale**2, diagnoses=[
            Diagnosis("inertia is the mean squared distance: it is the sum over rows",
                      lambda: want_inertia / len(case.X)),
            Diagnosis("inertia sums distances, not squared distances", lambda: float(np.sqrt(
                ((case.X - want_centres[want_labels]) ** 2).sum(axis=1)).sum())),
            *_mistakes(case, "inertia", learner),
        ])
    except AssertionError as exc:
        exc.message = prefix + exc.message
        exc.args = (exc.message,)
        raise


# -- checks: Lloyd's algorithm -------------------------------------------------------------


@check(examples=15)
@example(case=FIXED_BLOBS)
@example(case=FLOAT_BLOBS)
@given(case=lloyd_cases(blobs()))
def lloyd_matches_sklearn_from_given_centres(learner, case):
    """From the same initial centres, kmeans gives KMeans(n_init=1, algorithm='lloyd')'s labels, centres and inertia (1e-8)."""
    _compare_with_sklearn(learner, case)


@check(examples=15)
@given(case=lloyd_cases(scattered_points(), max_iter=st.integers(1, 3), tol=st.just(0.0)))
def max_iter_caps_the_iterations(learner, case):
    """With max_iter = 1, 2 or 3, kmeans stops where scikit-learn does, labels taken from the final centres."""
    _compare_with_sklearn(learner, case)


@check(examples=8)
@example(case=FIXED_TOL)
@given(case=tol_cases())
def tol_is_relative_to_the_variance_of_X(learner, case):
    """kmeans stops when the centres' total squared shift is <= tol * mean(var(X)), as scikit-learn does."""
    _compare_with_sklearn(learner, case)


@check(examples=15)
@example(case=AT_THE_MEANS)
@given(case=lloyd_cases(scattered_points(), tol=st.just(0.0)))
def inertia_history_never_rises(learner, case):
    """history has one inertia per iteration, starts at the initial centres' inertia, and never rises."""
    centres, labels, inertia, history = _result(learner, case)
    run = _lloyd(case.X, case.init, case.max_iter, case.tol)
    call = _call(case)
    if len(history) == 0:
        fail(f"{call}: history is empty; record the inertia of each iteration's assignment", history)
    first = run.history[0]
    assert_close(history[0], first, what=f"{call}: history[0]", rtol=RTOL, atol=RTOL, diagnoses=[
        Diagnosis("history[0] is the inertia after the first update: record the inertia of each "
                  "assignment before moving the centres", lambda: run.history_after[0]),
    ])
    rises = np.flatnonzero(np.diff(history) > 1e-9 * np.abs(history[:-1]) + 1e-12)
    if rises.size:
        t = int(rises[0])
        fail(f"{call}: the inertia rose from history[{t}] = {show(float(history[t]))} to history[{t + 1}] = "
             f"{show(float(history[t + 1]))}. Assigning each row to its nearest centre and moving each centre "
             "to its rows' mean can only lower it: is one of the two steps not doing exactly that?", history)
    if len(history) != len(run.history):
        fail(f"{call}: history has {len(history)} entries but the algorithm runs {len(run.history)} iterations "
             "here (it stops in the first iteration whose assignment equals the previous one, or whose centres "
             "moved by at most tol * mean(var(X)) in all, <= not <): one entry per iteration", history)
    if inertia > history[-1] * (1 + 1e-9) + 1e-12:
        fail(f"{call}: the final inertia {show(inertia)} is higher than the last recorded one "
             f"{show(float(history[-1]))}: the final labels and centres should fit at least as well", inertia)


@check(examples=10)
@given(case=empty_cluster_cases())
def empty_cluster_keeps_its_centre(learner, case):
    """A centre that gets no rows stays where it is (no NaN from an empty mean); the others are Lloyd's."""
    run = _lloyd(case.X, case.init, case.max_iter, case.tol)
    k, p = case.init.shape
    result = learner.kmeans(case.X, k, case.init, max_iter=case.max_iter, tol=case.tol)
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail(f"{_call(case)} must return four things (centres, labels, inertia, history); got {show(result)}", result)
    raw = np.asarray(result[0], dtype=np.float64)
    far = int(np.argmax(np.abs(case.init).sum(axis=1)))
    if raw.shape == (k, p) and not np.all(np.isfinite(raw)):
        # The NaN may move from centre to centre; it comes from the empty cluster when a run with no
        # empty cluster (FIXED_BLOBS) stays finite.
        try:
            at_far = bool(np.all(np.isfinite(np.asarray(_result(learner, FIXED_BLOBS)[0]))))
        except CheckFailed:
            at_far = False
        fail(f"after {_call(case)}: centres contain NaN: centre {far} starts far from every row, gets no "
             f"rows, and the mean of no rows is NaN. Keep an empty cluster's centre where it was", raw,
             diagnosis="an empty cluster's centre becomes NaN, the mean of no rows: when no row has label j, keep "
                       "centre j where it was" if at_far else None)
    centres, labels, inertia, _ = _result(learner, case)
    assert_close(centres[far], case.init[far], what=f"centres[{far}] (the centre whose cluster is empty)",
                 rtol=0, atol=0)
    assert_equal(labels, run.labels, what="labels")
    assert_close(centres, run.centres, what="centres", rtol=RTOL, atol=RTOL * float(np.abs(case.X).max()))


@check(examples=1)
@example(case=TIE_CASES[0])
@example(case=TIE_CASES[1])
@given(case=st.sampled_from(TIE_CASES))
def exact_ties_go_to_the_lower_numbered_centre(learner, case):
    """A row exactly as near two centres joins the lower-numbered one, at every iteration and at the end (the replay's labels, centres, inertia, history)."""
    run = _lloyd(case.X, case.init, case.max_iter, case.tol)
    centres, labels, inertia, history = _result(learner, case)
    other = next(c for c in TIE_CASES if c is not case)

    def confirm() -> bool:
        got = _result(learner, other)[1]
        return bool(np.array_equal(got, _lloyd(other.X, other.init, other.max_iter, other.tol, tie="high").labels))

    high = Diagnosis("an exact tie goes to the higher-numbered centre: take the first of equal distances (np.argmin "
                     "does), or compare with < rather than <= when you scan the centres",
                     lambda: _lloyd(case.X, case.init, case.max_iter, case.tol, tie="high").labels, confirm)
    prefix = f"after {_call(case)}:\n"
    try:
        assert_equal(labels, run.labels, what="labels", diagnoses=[high])
        assert_close(centres, run.centres, what="centres", rtol=1e-12, atol=1e-12)
        assert_close(inertia, run.inertia, what="inertia", rtol=1e-12, atol=1e-12)
        assert_close(history, run.history, what="history", rtol=1e-12, atol=1e-12)
    except AssertionError as exc:
        exc.message = prefix + exc.message
        exc.args = (exc.message,)
        raise


# -- checks: k-means++ ---------------------------------------------------------------------


def _picks(learner, k, seed, repeats):
    reply = learner._drive(f"{DRIVER}:plus_plus_picks", PLUS_PLUS_POINTS, k, seed, repeats)
    if reply.get("problem"):
        fail(reply["problem"])
    return np.asarray(reply["picks"], dtype=np.int64)


@check(examples=3)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6))
def kmeans_plus_plus_picks_distinct_rows_reproducibly(learner, seed, k):
    """kmeans_plus_plus(X, k, rng) returns k distinct rows of X, the same ones for the same seed."""
    first = _picks(learner, k, seed, 10)
    again = _picks(learner, k, seed, 10)
    if not np.array_equal(first, again):
        fail(f"kmeans_plus_plus(X, {k}, rng) picked rows {show(first[0])} and then {show(again[0])} with "
             f"np.random.default_rng({seed}) both times: draw every random number from rng (rng.integers, "
             "rng.choice, rng.random), never from np.random's global functions", again,
             diagnosis="kmeans_plus_plus draws some of its random numbers from somewhere other than the rng it is "
                       "given (np.random's global functions, or a generator of its own)")
    for draw in first:
        if len(np.unique(draw)) != k:
            # Which wrong rule picks a row twice? The statistical test's alternatives on 3000 seedings.
            fail(f"kmeans_plus_plus(X, {k}, rng) picked row numbers {show(draw)}: a row already picked "
                 "has D(x) = 0 and cannot be picked again", draw,
                 diagnosis=_wrong_rule(_picks(learner, 3, seed, PLUS_PLUS_DRAWS)))


def _conditionals(picks, power=2, last_only=False, greedy=False):
    """For each draw and each position after the first, the probability of every row being picked
    next under a (possibly wrong) rule: (repeats, k - 1, n)."""
    X = PLUS_PLUS_POINTS
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)  # (n, n)
    repeats, k = picks.shape
    out = np.zeros((repeats, max(k - 1, 0), len(X)))
    for r in range(repeats):
        for pos in range(1, k):
            previous = picks[r, pos - 1:pos] if last_only else picks[r, :pos]
            weight = d2[previous].min(axis=0) ** (power / 2)
            if greedy:
                weight = (weight == weight.max()).astype(float)
            out[r, pos - 1] = weight / weight.sum()
    return out


def _pearson(picks, conditionals):
    """Pearson's statistic of the observed picks against expected counts, and its degrees of freedom.
    The expected count of a cell sums each draw's own probability, a conservative test."""
    n = len(PLUS_PLUS_POINTS)
    repeats, k = picks.shape
    observed = [np.bincount(picks[:, 0], minlength=n)]
    expected = [np.full(n, repeats / n)]
    for pos in range(1, k):
        observed.append(np.bincount(picks[:, pos], minlength=n))
        expected.append(conditionals[:, pos - 1].sum(axis=0))
    stat, dof = 0.0, 0
    for o, e in zip(observed, expected):
        if np.any((e == 0) & (o > 0)):
            return np.inf, 1
        keep = e > 0
        stat += float((((o - e) ** 2)[keep] / e[keep]).sum())
        dof += int(keep.sum()) - 1
    return stat, max(dof, 1)


def _wrong_rule(picks):
    """The wrong picking rule the seedings fit (chi-square at NAME_P) when the right one does not, or None."""
    from scipy.stats import chi2

    stat, dof = _pearson(picks, _conditionals(picks))
    if stat <= chi2.isf(FAIL_P, dof):
        return None
    alternatives = [
        ("the next row is picked with probability proportional to D(x), not D(x)^2: square the distance",
         dict(power=1)),
        ("the next row is picked uniformly at random: weight each row by D(x)^2", dict(power=0)),
        ("D(x) is measured to the most recently picked centre only: use the distance to the nearest of "
         "all centres picked so far", dict(last_only=True)),
        ("the next row is always the farthest one: k-means++ draws it at random with probability "
         "proportional to D(x)^2 (rng.choice(n, p=weights / weights.sum()))", dict(greedy=True)),
    ]
    fitting = []
    for message, rule in alternatives:
        alt_stat, alt_dof = _pearson(picks, _conditionals(picks, **rule))
        if alt_stat <= chi2.isf(NAME_P, alt_dof):
            fitting.append(message)
    return name_mistakes(fitting)  # several rules that fit equally are all named


@check(examples=1)
@given(seed=st.integers(0, 2**31 - 1))
def kmeans_plus_plus_picks_with_d_squared_probability(learner, seed):
    """Over 3000 seedings (k=3, six points), first picks are uniform and later ones follow D(x)^2 (chi-square, p < 1e-6 fails)."""
    from scipy.stats import chi2

    picks = _picks(learner, 3, seed, PLUS_PLUS_DRAWS)
    stat, dof = _pearson(picks, _conditionals(picks))
    limit = float(chi2.isf(FAIL_P, dof))
    if stat <= limit:
        return
    named = _wrong_rule(picks)
    first_counts = np.bincount(picks[:, 0], minlength=len(PLUS_PLUS_POINTS))
    fail(f"over {PLUS_PLUS_DRAWS} calls of kmeans_plus_plus(X, 3, rng) on X = {PLUS_PLUS_POINTS.tolist()}, "
         f"the picks do not follow k-means++'s probabilities: Pearson's chi-square is {stat:.1f} with "
         f"{dof} degrees of freedom, above {limit:.1f} (a correct solution goes above it once in a "
         f"million seeds). First picks per row: {first_counts.tolist()} (expected about "
         f"{PLUS_PLUS_DRAWS // len(PLUS_PLUS_POINTS)} each)", picks[:5], diagnosis=named)


@check()
def kmeans_plus_plus_on_float_data_picks_every_row_once(learner):
    """On Gaussian rows around 50 with k = n, each of 20 seedings picks every row exactly once (no row twice, no error from a distance rounded below 0)."""
    X = PLUS_PLUS_FLOAT
    n = len(X)
    call = f"kmeans_plus_plus(X, {n}, rng) on Gaussian X ({n} rows around 50)"
    try:
        reply = learner._drive(f"{DRIVER}:plus_plus_picks", X, n, 7, 20)
    except LearnerRaised as exc:
        negative = "non-negative" in str(exc.info.get("message")) or "negative" in str(exc.info.get("message"))
        fail(f"{call} raised {exc.describe()}", diagnosis=GRAM_NEGATIVE if negative else None)
    if reply.get("problem"):
        fail(f"{call}: {reply['problem']}")
    for draw in np.asarray(reply["picks"], dtype=np.int64):
        if len(np.unique(draw)) != n:
            twice = [int(r) for r in np.unique(draw) if np.sum(draw == r) > 1]
            fail(f"{call} picked rows {show(draw)}: rows {twice} twice. A row already picked has D(x) = 0, so it "
                 "can never be picked again", draw)


GRAM_NEGATIVE = ("a squared distance of a row to itself came out below 0: computed as ||x||^2 + ||c||^2 - 2 x.c, it "
                 "rounds to a tiny negative number on non-grid data, and rng.choice refuses negative weights. Clip "
                 "it at 0 with np.maximum(d2, 0), or compute ((X - c) ** 2).sum(axis=1)")
