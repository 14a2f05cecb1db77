"""Hypothesis strategies shared by every grader: shapes first, then data.

Values are drawn on coarse grids (quarters, small integers) where that costs nothing: a
shrunk counterexample then reads `X=[[0.], [1.]]` rather than `X=[[1.0000000000000002]]`.
Problems are filtered for conditioning so that a correct solution passes on every seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mldojo.graders.kit import expressions


def grid_floats(low: float = -4.0, high: float = 4.0, step: float = 0.25) -> st.SearchStrategy[float]:
    """Floats on a grid of `step` between low and high (shrink toward 0)."""
    return st.integers(int(low / step), int(high / step)).map(lambda k: k * step)


def grid_arrays(shape, low: float = -4.0, high: float = 4.0, step: float = 0.25, nonzero: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of a fixed shape with values on a grid (drawn as integers: ~5x faster
    than drawing float elements one by one, and they shrink the same way)."""
    lo, hi = int(low / step), int(high / step)
    ints = st.integers(lo, hi).filter(lambda k: k != 0) if nonzero else st.integers(lo, hi)
    # No `fill`: Hypothesis would otherwise repeat one value across most of a large array,
    # which makes design matrices rank-deficient and gets 60% of them rejected.
    return hnp.arrays(np.int64, shape, elements=ints, fill=st.nothing()).map(lambda a: a.astype(np.float64) * step)


def shapes(min_dims: int = 1, max_dims: int = 2, min_side: int = 1, max_side: int = 6) -> st.SearchStrategy[tuple]:
    """Array shapes, drawn before the data so the data can depend on them."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def arrays(draw, shape=None, elements=None, dtype=np.float64) -> np.ndarray:
    """An array whose shape is drawn first (or given), then its values."""
    shape = draw(shapes()) if shape is None else (draw(shape) if isinstance(shape, st.SearchStrategy) else shape)
    if elements is None:
        return draw(grid_arrays(shape)).astype(dtype)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@dataclass
class RegressionProblem:
    """A design matrix X (n, p) and targets y (n,)."""

    X: np.ndarray
    y: np.ndarray
    coef: np.ndarray = field(repr=False, default=None)
    intercept: float = field(repr=False, default=0.0)


def condition_number(X: np.ndarray, centred: bool = True) -> float:
    """The 2-norm condition number of X (after centring the columns), inf if rank-deficient."""
    A = X - X.mean(axis=0) if centred else X
    s = np.linalg.svd(A, compute_uv=False)
    return float("inf") if s.size == 0 or s[-1] <= 1e-12 * max(s[0], 1.0) else float(s[0] / s[-1])


@st.composite
def regression_problems(draw, min_rows=2, max_rows=40, max_features=6, noise=True, max_condition=1e3) -> RegressionProblem:
    """A linear-regression problem with full column rank and a bounded condition number."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(max(min_rows, p + 1), max(max_rows, p + 2)))
    X = draw(grid_arrays((n, p), -3, 3))
    assume(condition_number(X) <= max_condition)
    coef = draw(grid_arrays((p,), -3, 3))
    intercept = draw(grid_floats(-3, 3))
    y = X @ coef + intercept
    if noise:
        y = y + draw(grid_arrays((n,), -1, 1, 0.125))
    return RegressionProblem(X, y, coef, intercept)


@st.composite
def well_conditioned_regression(draw, min_rows=8, max_rows=60, max_features=5, max_condition=1.5) -> RegressionProblem:
    """Centred features with singular values within `max_condition` of each other, for
    iterative solvers: gradient descent provably converges fast on these."""
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(max(min_rows, 2 * p + 2), max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Z = rng.standard_normal((n, p))
    Q, _ = np.linalg.qr(Z - Z.mean(axis=0))  # orthonormal, centred columns
    scales = rng.uniform(1.0, max_condition, size=p)
    R, _ = np.linalg.qr(rng.standard_normal((p, p)))
    X = np.sqrt(n) * (Q * scales) @ R.T
    coef = rng.uniform(-3, 3, size=p)
    intercept = float(rng.uniform(-3, 3))
    y = X @ coef + intercept + 0.1 * rng.standard_normal(n)
    return RegressionProblem(X, y, coef, intercept)


@st.composite
def rank_deficient_regression(draw, max_rows=30, max_features=5) -> RegressionProblem:
    """A problem whose X has a column that is an exact combination of the others."""
    p = draw(st.integers(1, max_features - 1))
    n = draw(st.integers(p + 3, max_rows))
    base = draw(regression_problems(min_rows=n, max_rows=n, max_features=p).filter(lambda pr: pr.X.shape[1] == p))
    weights = draw(grid_arrays((p,), -2, 2, 0.5, nonzero=True))
    extra = base.X @ weights  # the new column depends exactly on the others
    position = draw(st.integers(0, p))
    X = np.insert(base.X, position, extra, axis=1)
    return RegressionProblem(X, base.y, None, base.intercept)


@dataclass
class ClassificationProblem:
    """Features X (n, p) and integer labels y (n,) in 0..n_classes-1, every class present."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int = field(repr=False, default=2)


@st.composite
def classification_problems(draw, n_classes=2, min_rows=4, max_rows=40, max_features=5, separable=False) -> ClassificationProblem:
    """Labelled points; with `separable`, classes sit around distinct well-spaced centres."""
    k = n_classes if isinstance(n_classes, int) else draw(n_classes)
    p = draw(st.integers(1, max_features))
    n = draw(st.integers(max(min_rows, 2 * k), max_rows))
    y = np.array(draw(st.permutations(list(range(k)) * (n // k) + draw(st.lists(st.integers(0, k - 1), min_size=n % k, max_size=n % k)))))
    if separable:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        centres = rng.normal(scale=6.0, size=(k, p))
        X = centres[y] + rng.normal(scale=0.5, size=(n, p))
    else:
        X = draw(grid_arrays((n, p), -3, 3))
    return ClassificationProblem(X, y.astype(np.int64), k)


@st.composite
def expression_dags(draw, min_nodes=2, max_nodes=14, ops=None, max_leaves=4) -> list[tuple]:
    """A random scalar program (see expressions.py) whose operands are often reused."""
    ops = tuple(ops or expressions.BINARY_OPS + expressions.UNARY_OPS + expressions.REFLECTED_OPS + ("pow",))
    n_leaves = draw(st.integers(1, max_leaves))
    program: list[tuple] = [("leaf", draw(grid_floats(-3, 3))) for _ in range(n_leaves)]
    n_ops = draw(st.integers(max(1, min_nodes - n_leaves), max(1, max_nodes - n_leaves)))
    for _ in range(n_ops):
        op = draw(st.sampled_from(ops))
        # Prefer recent nodes so the output depends on most of the graph.
        pick = st.integers(0, len(program) - 1).map(lambda i, m=len(program): m - 1 - i if i % 2 else i)
        if op in expressions.BINARY_OPS:
            program.append((op, draw(pick), draw(pick)))
        elif op == "pow":
            program.append(("pow", draw(pick), draw(st.sampled_from([2, 3, -1, 2.0, 0.5]))))
        elif op in expressions.REFLECTED_OPS:
            program.append((op, draw(grid_floats(-3, 3, 0.5)), draw(pick)))
        else:
            program.append((op, draw(pick)))
    assume(_pow_domain_ok(program) and expressions.is_tame(program))
    return program


def _pow_domain_ok(program: list[tuple]) -> bool:
    # A fractional power of a negative number is not a real number.
    try:
        values = expressions.evaluate(program)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        return False
    return all(not (node[0] == "pow" and node[2] == 0.5 and values[node[1]] <= 0.25) for node in program)
