"""Strategies for the neighbour and tree exercises (stage1/knn, tree, forest, boosting).

Exact agreement with scikit-learn there depends on tie-breaking: which of two equally near
rows is a neighbour, which of two equally good splits a tree takes. These strategies draw
data on coarse grids (exact in float32, which scikit-learn's trees use) and keep only
problems where no tie decides the answer; ties get their own strategies and properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mldojo.graders.kit.strategies import grid_arrays

DISTANCE_GAP = 1e-6  # sorted distances from a query row differ at least this much (relative)


@dataclass
class NeighbourProblem:
    """Training rows X (n, p) with targets y (n,), query rows X_new (m, p), and k."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    k: int
    classification: bool = field(repr=False, default=True)


def distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Euclidean distances (m, n) between the rows of A (m, p) and B (n, p)."""
    return np.sqrt(np.sum((A[:, None, :] - B[None, :, :]) ** 2, axis=2))


def distinct_distances(X_new: np.ndarray, X: np.ndarray, gap: float = DISTANCE_GAP) -> bool:
    """True when, for each query row, no two training rows are at (nearly) the same distance."""
    d = np.sort(distances(X_new, X), axis=1)  # (m, n)
    return bool(np.all(np.diff(d, axis=1) > gap * (1.0 + d[:, 1:])))


def labels(n: int, n_classes: int, values: list[int]) -> st.SearchStrategy[np.ndarray]:
    """n labels taken from `values` (the first n_classes of them), every one present."""
    chosen = values[:n_classes]
    return st.lists(st.sampled_from(chosen), min_size=n - n_classes, max_size=n - n_classes).flatmap(
        lambda rest: st.permutations(chosen + rest)
    ).map(lambda ys: np.array(ys, dtype=np.int64))


LABEL_VALUES = st.lists(st.integers(-3, 9), min_size=4, max_size=4, unique=True)  # not 0..C-1 on purpose


@st.composite
def neighbour_problems(draw, classification=True, max_rows=15, max_features=3, max_new=6,
                       k=None, tie_free=True) -> NeighbourProblem:
    """A k-NN problem; with tie_free, distances from each query row are all distinct."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(2, max_rows))
    m = draw(st.integers(1, max_new))
    X = draw(grid_arrays((n, p), -4, 4, 0.125))
    X_new = draw(grid_arrays((m, p), -4, 4, 0.125))
    if tie_free:
        assume(distinct_distances(X_new, X) and distinct_distances(X, X))
    k_value = draw(st.integers(1, n)) if k is None else (n if k == "n" else k)
    if classification:
        n_classes = draw(st.integers(2, min(3, n)))
        y = draw(labels(n, n_classes, draw(LABEL_VALUES)))
    else:
        y = draw(grid_arrays((n,), -8, 8, 0.25))
    return NeighbourProblem(X, y, X_new, k_value, classification)


@st.composite
def tied_neighbour_problems(draw, classification=True) -> NeighbourProblem:
    """Integer-grid data with repeated rows and equal distances, so ties are everywhere."""
    p = draw(st.integers(1, 2))
    n = draw(st.integers(3, 10))
    base = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(-2, 2), fill=st.nothing())).astype(np.float64)
    X = np.vstack([base, base[: draw(st.integers(1, n))]])  # some rows twice
    X_new = draw(hnp.arrays(np.int64, (draw(st.integers(1, 4)), p), elements=st.integers(-2, 2), fill=st.nothing())).astype(np.float64)
    n_all = len(X)
    if classification:
        y = draw(labels(n_all, 2, draw(LABEL_VALUES)))
    else:
        y = draw(grid_arrays((n_all,), -4, 4, 0.5))
    return NeighbourProblem(X, y, X_new, draw(st.integers(1, n_all)), classification)


# -- trees ---------------------------------------------------------------------------------

SPLIT_GAP = 1e-9  # the best split's score beats the runner-up by at least this much (relative)


def impurity(y: np.ndarray, criterion: str) -> float:
    """Gini, entropy (bits) or mean squared deviation of y (n,), straight from the definitions."""
    if criterion == "squared_error":
        return float(np.mean((y - y.mean()) ** 2))
    _, counts = np.unique(y, return_counts=True)
    p = counts / len(y)
    return float(1.0 - np.sum(p**2)) if criterion == "gini" else float(-np.sum(p * np.log2(p)))


def candidate_splits(X: np.ndarray, y: np.ndarray, criterion: str, min_samples_leaf: int = 1) -> list[tuple]:
    """Every allowed split of a node as (weighted child impurity, feature, midpoint threshold)."""
    n, p = X.shape
    found = []
    for feature in range(p):
        order = np.argsort(X[:, feature], kind="stable")
        xs, ys = X[order, feature], y[order]
        n_left = np.arange(1, n)  # (n-1,): a split after sorted position i keeps i + 1 rows left
        left, right = _side_impurities(ys, criterion)
        score = (n_left * left + (n - n_left) * right) / n
        allowed = (xs[1:] > xs[:-1]) & (np.minimum(n_left, n - n_left) >= min_samples_leaf)
        for i in np.flatnonzero(allowed):
            middle = xs[i] / 2.0 + xs[i + 1] / 2.0
            threshold = xs[i] if middle == xs[i + 1] else middle  # neighbouring floats: keep xs[i + 1] right
            found.append((float(score[i]), feature, float(threshold)))
    return found


def _side_impurities(ys: np.ndarray, criterion: str):
    """Impurity of ys[:i + 1] and of ys[i + 1:] for every i in 0..n-2, from running sums: two (n-1,) arrays."""
    n = len(ys)
    n_left = np.arange(1, n)[:, None]  # (n-1, 1)
    n_right = n - n_left
    if criterion == "squared_error":
        centred = (ys - ys.mean())[:, None]  # centring first keeps E[y^2] - E[y]^2 accurate
        s, s2 = np.cumsum(centred, 0)[:-1], np.cumsum(centred**2, 0)[:-1]
        left = s2 / n_left - (s / n_left) ** 2
        right = (s2[-1] + centred[-1] ** 2 - s2) / n_right - ((-s) / n_right) ** 2
        return left[:, 0], right[:, 0]
    _, codes = np.unique(ys, return_inverse=True)
    onehot = np.eye(codes.max() + 1)[codes]  # (n, C)
    p_left = np.cumsum(onehot, 0)[:-1] / n_left  # (n-1, C)
    p_right = (onehot.sum(0) - np.cumsum(onehot, 0)[:-1]) / n_right
    if criterion == "gini":
        return 1.0 - np.sum(p_left**2, 1), 1.0 - np.sum(p_right**2, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (-np.sum(np.where(p_left > 0, p_left * np.log2(p_left), 0.0), 1),
                -np.sum(np.where(p_right > 0, p_right * np.log2(p_right), 0.0), 1))


def unique_best_split(X, y, criterion, min_samples_leaf=1, gap=SPLIT_GAP):
    """The best split (feature, threshold) when it beats every other by `gap`; else None.
    Also None when there is no allowed split at all."""
    found = sorted(candidate_splits(X, y, criterion, min_samples_leaf))
    if not found:
        return None
    if len(found) > 1 and found[1][0] - found[0][0] <= gap * (1.0 + abs(found[0][0])):
        return None
    return found[0][1], found[0][2]


def sklearn_tree(classification: bool, X, y, criterion="gini", **params):
    """scikit-learn's fitted DecisionTreeClassifier / Regressor (X becomes float32 inside it)."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if classification:
        return DecisionTreeClassifier(criterion=criterion, random_state=0, **params).fit(X, y)
    return DecisionTreeRegressor(criterion="squared_error", random_state=0, **params).fit(X, y)


def tree_is_tie_free(model, X, y, criterion, min_samples_leaf=1) -> bool:
    """True when every split of scikit-learn's fitted tree was the unique best one at its node,
    so any correct implementation grows exactly this tree."""
    tree = model.tree_
    Xf = X.astype(np.float32)  # scikit-learn compares float32 features with its thresholds
    reaching = {0: np.ones(len(X), dtype=bool)}  # node -> mask of the rows that reach it
    for node in range(tree.node_count):  # parents come before their children in tree_
        if tree.children_left[node] == -1:
            continue
        here = reaching[node]
        left = Xf[:, tree.feature[node]] <= tree.threshold[node]
        reaching[tree.children_left[node]] = here & left
        reaching[tree.children_right[node]] = here & ~left
        best = unique_best_split(X[here], y[here], criterion, min_samples_leaf)
        if best is None or best[0] != tree.feature[node] or abs(best[1] - tree.threshold[node]) > 1e-9:
            return False
    return True


@dataclass
class TreeProblem:
    """Training data X (n, p) with distinct values per feature, y (n,), new rows X_new (m, p), and the tree's limits."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    params: dict
    criterion: str = "gini"
    classification: bool = field(repr=False, default=True)
    oracle: object = field(repr=False, default=None)  # scikit-learn's tree fitted on X, y


def distinct_columns(n: int, p: int, low: int = -40, high: int = 40, step: float = 0.25):
    """(n, p) arrays whose columns each hold n distinct grid values (no ties within a feature)."""
    column = hnp.arrays(np.int64, (n,), elements=st.integers(low, high), unique=True)
    return st.lists(column, min_size=p, max_size=p).map(lambda cols: np.array(cols, dtype=np.float64).T * step)


@st.composite
def tree_limits(draw, p: int, unlimited=False) -> dict:
    """max_depth, min_samples_split, min_samples_leaf; small trees when several features could tie."""
    if unlimited:
        return {}
    depth_cap = 6 if p == 1 else 3
    return {
        "max_depth": draw(st.one_of(st.none(), st.integers(1, depth_cap))) if p == 1 else draw(st.integers(1, depth_cap)),
        "min_samples_split": draw(st.integers(2, 8)),
        "min_samples_leaf": draw(st.integers(1, 4)),
    }


@st.composite
def distinct_rows(draw, max_rows: int, max_features: int = 3, low: int = -3, high: int = 3) -> np.ndarray:
    """(n, p) integer-grid rows, no row repeated (values within a column may repeat), n >= 2."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(2, max_rows))
    X = draw(hnp.arrays(np.int64, (n, p), elements=st.integers(low, high), fill=st.nothing()))
    X = X[np.sort(np.unique(X, axis=0, return_index=True)[1])]  # first copy of each row, in order
    assume(len(X) >= 2)
    return X.astype(np.float64)


@st.composite
def on_thresholds(draw, X: np.ndarray, max_rows: int = 3) -> np.ndarray:
    """Training rows with one feature moved onto a midpoint between two consecutive values of
    that feature: exactly where a tree may put a threshold (x <= threshold goes left)."""
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        row = X[draw(st.integers(0, len(X) - 1))].copy()
        feature = draw(st.integers(0, X.shape[1] - 1))
        values = np.unique(X[:, feature])
        i = draw(st.integers(0, len(values) - 2))
        row[feature] = values[i] / 2.0 + values[i + 1] / 2.0
        rows.append(row)
    return np.array(rows)


@st.composite
def tree_problems(draw, classification=True, max_rows=24, max_features=3, criteria=None, tie_free=True) -> TreeProblem:
    """A tree problem; with tie_free, scikit-learn's tree has a unique best split at every node."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(4, max_rows))
    X = draw(distinct_columns(n, p))
    if classification:
        n_classes = draw(st.integers(2, 3))
        y = draw(labels(n, n_classes, draw(LABEL_VALUES)))
        criterion = draw(st.sampled_from(criteria or ["gini", "entropy"]))
    else:
        y = draw(distinct_columns(n, 1, -64, 64, 0.125))[:, 0]
        criterion = "squared_error"
    params = draw(tree_limits(p))
    X_new = np.vstack([
        X[: draw(st.integers(0, 2))],
        draw(grid_arrays((draw(st.integers(1, 6)), p), -10, 10, 0.125)),
        draw(on_thresholds(X)),
    ])
    model = sklearn_tree(classification, X, y, criterion, **params)
    if tie_free:
        assume(tree_is_tie_free(model, X, y, criterion, params.get("min_samples_leaf", 1)))
    return TreeProblem(X, y, X_new, params, criterion, classification, model)


@st.composite
def split_problems(draw, max_rows=16, max_features=3) -> TreeProblem:
    """One node's data with a unique best split (any criterion, min_samples_leaf 1..3)."""
    classification = draw(st.booleans())
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(2, max_rows))
    X = draw(distinct_columns(n, p))
    if classification:
        y = draw(labels(n, draw(st.integers(2, min(3, n))), draw(LABEL_VALUES)))
        criterion = draw(st.sampled_from(["gini", "entropy"]))
    else:
        y = draw(distinct_columns(n, 1, -64, 64, 0.125))[:, 0]
        criterion = "squared_error"
    msl = draw(st.integers(1, 3))
    assume(unique_best_split(X, y, criterion, msl) is not None)
    return TreeProblem(X, y, X[:0], {"min_samples_leaf": msl}, criterion, classification)


# -- boosting ------------------------------------------------------------------------------


@dataclass
class BoostingProblem:
    """Regression data X (n, p), y (n,) (distinct values), new rows X_new (m, p), hyperparameters."""

    X: np.ndarray
    y: np.ndarray
    X_new: np.ndarray
    params: dict
    oracle: object = field(repr=False, default=None)  # scikit-learn's fitted GradientBoostingRegressor


def sklearn_boosting_regressor(X, y, **params):
    """scikit-learn's GradientBoostingRegressor with squared error (its default loss) and a fixed random_state."""
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(random_state=0, **params).fit(X, y)


def boosting_is_tie_free(model, X, y) -> bool:
    """True when every stage's tree took a unique best split at every node, on that stage's residuals."""
    F = np.full(len(y), float(model.init_.constant_.ravel()[0]))
    for stage, F_next in zip(model.estimators_[:, 0], model.staged_predict(X)):
        if not tree_is_tie_free(stage, X, y - F, "squared_error"):
            return False
        F = F_next
    return True


@st.composite
def boosting_problems(draw, max_rows=20, max_features=3, max_estimators=6, tie_free=True) -> BoostingProblem:
    """A boosting regression problem whose trees scikit-learn grows without any tie."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(4, max_rows))
    X = draw(distinct_columns(n, p))
    y = draw(distinct_columns(n, 1, -64, 64, 0.125))[:, 0]
    params = {
        "n_estimators": draw(st.integers(1, max_estimators)),
        "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "max_depth": draw(st.integers(1, 3 if p == 1 else 2)),  # deep trees on small nodes tie across features
    }
    X_new = np.vstack([X[: draw(st.integers(0, 3))], draw(grid_arrays((draw(st.integers(1, 5)), p), -10, 10, 0.125))])
    model = sklearn_boosting_regressor(X, y, **params)
    if tie_free:
        assume(boosting_is_tie_free(model, X, y))
    return BoostingProblem(X, y, X_new, params, model)
