"""Hypothesis strategies for the unsupervised and evaluation exercises: class labels and
scores with controlled ties, probabilities, labelled data sets for folds, and blobs with
well-separated centres.

Labels are small integers, sometimes renamed to non-consecutive values (3, 7, ...) so that
code assuming classes 0..K-1 is caught. Scores sit on a coarse grid when ties are wanted
and are spread apart when they must not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@dataclass
class LabelPair:
    """True labels y_true (n,) and predicted labels y_pred (n,), int64."""

    y_true: np.ndarray
    y_pred: np.ndarray


@dataclass
class ScoredLabels:
    """Binary labels y_true (n,) in {0, 1}, both present, and scores y_score (n,) float64."""

    y_true: np.ndarray
    y_score: np.ndarray


@dataclass
class ProbabilityProblem:
    """Labels y_true (n,) in 0..K-1 and probabilities y_prob: (n,) of class 1 when K = 2 and
    binary, else (n, K) rows summing to 1."""

    y_true: np.ndarray
    y_prob: np.ndarray


def int_arrays(n: int, low: int, high: int) -> st.SearchStrategy[np.ndarray]:
    """int64 arrays of length n with values in [low, high]."""
    return hnp.arrays(np.int64, (n,), elements=st.integers(low, high), fill=st.nothing())


@st.composite
def renamed_labels(draw, n_classes: int) -> np.ndarray:
    """The names of classes 0..K-1: themselves, or increasing non-consecutive integers."""
    if draw(st.booleans()):
        return np.arange(n_classes, dtype=np.int64)
    gaps = draw(hnp.arrays(np.int64, (n_classes,), elements=st.integers(1, 4)))
    return np.cumsum(gaps) + draw(st.integers(-3, 3))


@st.composite
def label_pairs(draw, min_classes: int = 2, max_classes: int = 4, max_rows: int = 20, rename: bool = True) -> LabelPair:
    """Multiclass labels and predictions; some classes may be never predicted or never true."""
    k = draw(st.integers(min_classes, max_classes))
    n = draw(st.integers(1, max_rows))
    y_true = draw(int_arrays(n, 0, k - 1))
    y_pred = draw(int_arrays(n, 0, k - 1))
    names = draw(renamed_labels(k)) if rename else np.arange(k, dtype=np.int64)
    return LabelPair(names[y_true], names[y_pred])


@st.composite
def binary_label_pairs(draw, max_rows: int = 20) -> LabelPair:
    """Labels and predictions in {0, 1}; either class may be absent from either array."""
    n = draw(st.integers(1, max_rows))
    return LabelPair(draw(int_arrays(n, 0, 1)), draw(int_arrays(n, 0, 1)))


@st.composite
def scored_labels(draw, max_rows: int = 20, ties: bool = True) -> ScoredLabels:
    """Binary labels with both classes present and scores: on a grid of eight values when
    ties are wanted (so many rows share a score), else all distinct."""
    n = draw(st.integers(2, max_rows))
    y_true = draw(int_arrays(n, 0, 1))
    assume(0 < y_true.sum() < n)
    if ties:
        y_score = draw(int_arrays(n, 0, 7)).astype(np.float64) / 8.0
    else:
        ranks = np.array(draw(st.permutations(list(range(n)))), dtype=np.float64)
        y_score = ranks / n + draw(st.sampled_from([0.0, -0.5]))  # distinct, possibly negative
    return ScoredLabels(y_true, y_score)


@st.composite
def probability_problems(draw, max_rows: int = 15, max_classes: int = 4, extremes: bool = False) -> ProbabilityProblem:
    """Labels and predicted probabilities. Without extremes every probability is at least
    1/64 of its row; with extremes some are exactly 0 or 1 (confidently wrong or right)."""
    binary = draw(st.booleans())
    k = 2 if binary else draw(st.integers(2, max_classes))
    n = draw(st.integers(1, max_rows))
    y_true = draw(int_arrays(n, 0, k - 1))
    wrong_row = draw(st.integers(0, n - 1))  # with extremes: all its mass on a wrong class
    if binary:
        low = 0 if extremes else 1
        y_prob = draw(int_arrays(n, low, 64 - low)).astype(np.float64) / 64.0  # (n,)
        if extremes:
            y_prob[wrong_row] = float(1 - y_true[wrong_row])
        return ProbabilityProblem(y_true, y_prob)
    weights = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0 if extremes else 1, 8), fill=st.nothing()))
    if extremes:
        weights[wrong_row] = 0
        weights[wrong_row, (y_true[wrong_row] + draw(st.integers(1, k - 1))) % k] = 1
    weights[weights.sum(axis=1) == 0, 0] = 1  # every row has some mass
    y_prob = weights / weights.sum(axis=1, keepdims=True)  # (n, K), rows sum to 1
    return ProbabilityProblem(y_true, y_prob)


# -- data sets for splitting ---------------------------------------------------------------


@dataclass
class FoldProblem:
    """A number of rows and a number of folds, 2 <= n_splits <= n_samples."""

    n_samples: int
    n_splits: int


@dataclass
class StratifiedProblem:
    """Class labels y (n,) (classes in no particular order of first appearance) and n_splits."""

    y: np.ndarray
    n_splits: int


@st.composite
def fold_problems(draw, max_rows: int = 40, max_splits: int = 10) -> FoldProblem:
    """Row counts with and without a remainder, n_splits up to n_samples."""
    n = draw(st.integers(2, max_rows))
    return FoldProblem(n, draw(st.integers(2, min(n, max_splits))))


@st.composite
def stratified_problems(draw, max_classes: int = 4, max_per_class: int = 15, max_splits: int = 6,
                        rare_classes: bool = True) -> StratifiedProblem:
    """Labels of 1..max_classes classes, rows in a random order, renamed classes. With
    rare_classes, some classes may have fewer rows than n_splits (but not all of them)."""
    n_splits = draw(st.integers(2, max_splits))
    k = draw(st.integers(1, max_classes))
    low = 1 if rare_classes else n_splits
    counts = draw(hnp.arrays(np.int64, (k,), elements=st.integers(low, max(low, max_per_class))))
    assume(counts.max() >= n_splits)
    codes = np.repeat(np.arange(k), counts)
    order = np.array(draw(st.permutations(list(range(len(codes))))), dtype=np.int64)
    names = draw(renamed_labels(k))
    return StratifiedProblem(names[codes[order]], n_splits)


@dataclass
class SplitProblem:
    """Rows X (n, 2) whose first column is the row number, labels y (n,), a test share."""

    X: np.ndarray
    y: np.ndarray
    test_size: float


@st.composite
def split_problems(draw, min_rows: int = 12, max_rows: int = 40, max_classes: int = 3) -> SplitProblem:
    """A labelled data set whose rows can be recognised after shuffling, and a test_size."""
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(2, max_classes))
    y = draw(int_arrays(n, 0, k - 1))
    assume(len(np.unique(y)) >= 2)
    X = np.column_stack([np.arange(n, dtype=np.float64), draw(int_arrays(n, -5, 5)).astype(np.float64)])
    test_size = draw(st.sampled_from([0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5]))
    return SplitProblem(X, draw(renamed_labels(k))[y], test_size)


# -- data sets for clustering --------------------------------------------------------------


@dataclass
class ClusterProblem:
    """Rows X (n, p) float64 and k, the number of clusters to look for."""

    X: np.ndarray
    k: int


@st.composite
def blobs(draw, max_clusters: int = 4, max_features: int = 3, max_per_cluster: int = 8,
          min_gap: float = 6.0) -> ClusterProblem:
    """k round blobs of 2..max_per_cluster rows, noise within 1 of their centres, centres at
    least min_gap apart, rows in random order; all rows distinct."""
    k = draw(st.integers(2, max_clusters))
    p = draw(st.integers(1, max_features))
    centres = draw(hnp.arrays(np.int64, (k, p), elements=st.integers(-10, 10), fill=st.nothing())).astype(np.float64)
    gaps = np.sqrt(((centres[:, None] - centres[None]) ** 2).sum(-1)) + np.eye(k) * 1e9
    assume(gaps.min() >= min_gap)
    sizes = draw(hnp.arrays(np.int64, (k,), elements=st.integers(2, max_per_cluster)))
    n = int(sizes.sum())
    noise = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-32, 32), fill=st.nothing())) / 32.0
    X = np.repeat(centres, sizes, axis=0) + noise  # (n, p)
    X = X[np.array(draw(st.permutations(list(range(n)))), dtype=np.int64)]
    assume(len(np.unique(X, axis=0)) == n)
    return ClusterProblem(X, k)


@st.composite
def scattered_points(draw, max_rows: int = 30, max_features: int = 3, max_clusters: int = 4) -> ClusterProblem:
    """Rows spread evenly over a box with no cluster structure (Lloyd takes several
    iterations), on a fine grid of 1/64 so that exact ties are rare; all rows distinct."""
    p = draw(st.integers(1, max_features))
    k = draw(st.integers(2, max_clusters))
    n = draw(st.integers(max(k + 2, 8), max_rows))
    X = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-256, 256), fill=st.nothing())) / 64.0
    assume(len(np.unique(X, axis=0)) == n)
    return ClusterProblem(X, k)


# -- data for principal components ---------------------------------------------------------


@dataclass
class ComponentProblem:
    """Rows X (n, p), off-centre, whose top k + 1 covariance eigenvalues are well apart, and k."""

    X: np.ndarray
    k: int


@st.composite
def component_problems(draw, max_rows: int = 30, max_features: int = 5, min_gap: float = 0.05) -> ComponentProblem:
    """Stretched grid data moved off the origin: the leading k + 1 eigenvalues of the covariance
    differ by at least min_gap of the largest, and the k-th is not negligible, so every
    component is determined to ~1e-14 and only its sign is free."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(p + 2, max(max_rows, p + 3)))
    k = draw(st.integers(1, p))
    Z = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-8, 8), fill=st.nothing())).astype(np.float64) / 4
    mixing = draw(hnp.arrays(np.int64, (p, p), elements=st.integers(-3, 3), fill=st.nothing())).astype(np.float64)
    assume(np.linalg.cond(mixing) < 50)
    shift = draw(hnp.arrays(np.int64, (p,), elements=st.integers(-5, 5))).astype(np.float64)
    assume(np.any(shift != 0))
    X = Z @ mixing + shift * 2  # (n, p): correlated features, centred away from 0
    eigenvalues = np.linalg.eigvalsh(np.cov(X.T).reshape(p, p))[::-1]  # descending
    lead = eigenvalues[: min(k + 1, p)]
    assume(eigenvalues[0] > 0 and eigenvalues[k - 1] >= 1e-3 * eigenvalues[0])
    assume(len(lead) < 2 or np.min(-np.diff(lead)) >= min_gap * eigenvalues[0])
    return ComponentProblem(X, k)
