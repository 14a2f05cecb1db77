"""Inputs for the stage2/mlp grader: dataclasses that show every value to the learner by its
name, strategies that draw them (on grids, or Gaussian where rounding can matter), and the
fixed examples every grading tries whatever the seed.

Gaussian values are drawn from a seed: they are never degenerate (no zeros, no ties), and a
failure shrinks by its shapes, fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.kit.strategies import grid_arrays

OFFSET = 1 / 32  # hidden biases sit off the quarter grid: first-layer pre-activations are never 0


# -- what a check receives --------------------------------------------------------------------
@dataclass
class AffineCase:
    """affine_forward(x, w, b), then affine_backward(dout, cache)."""

    x: np.ndarray  # (N, D)
    w: np.ndarray  # (D, M)
    b: np.ndarray  # (M,)
    dout: np.ndarray  # (N, M)


@dataclass
class ReluCase:
    """relu_forward(x), then relu_backward(dout, cache); x of any shape."""

    x: np.ndarray
    dout: np.ndarray


@dataclass
class ScoreBatch:
    """softmax_loss(scores, y)."""

    scores: np.ndarray  # (N, C)
    y: np.ndarray  # (N,) int64


@dataclass
class AdamCase:
    """Three calls of adam(w, dw, config), the config passed along; `config` is the first call's."""

    w: np.ndarray
    dws: list = field(repr=False)
    config: dict | None = None  # None: adam(w, dw) with every default

    def describe_for_learner(self) -> dict:
        shown = {"w": self.w, **{f"dw{t}": dw for t, dw in enumerate(self.dws, start=1)}}
        shown["config"] = "None (every default)" if self.config is None else dict(self.config)
        return shown


@dataclass
class TinyNet:
    """An MLP(sizes, seed=0) holding the grader's params, and a batch (X, y)."""

    sizes: list
    params: dict
    X: np.ndarray
    y: np.ndarray

    def describe_for_learner(self) -> dict:
        return {"sizes": self.sizes, **self.params, "X": self.X, "y": self.y}


@dataclass
class TrainCase:
    """model.train(X, y, epochs, batch_size, lr) on a TinyNet's params."""

    net: TinyNet
    epochs: int
    batch_size: int
    lr: float

    def describe_for_learner(self) -> dict:
        return {"call": _Text(f"model.train(X, y, epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr:g})"),
                **self.net.describe_for_learner()}


class _Text(str):
    """Text that a counterexample prints as is, without quotes."""

    def __repr__(self) -> str:
        return str(self)


# -- values -------------------------------------------------------------------------------------
def gaussian(shape, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Float64 normal values (never on a grid) from a seed."""
    return np.random.default_rng(seed).standard_normal(shape) * scale


def gaussian_arrays(shape, scale: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """Normal values times `scale`, drawn from a seed."""
    return st.integers(0, 2**32 - 1).map(lambda seed: gaussian(shape, scale, seed))


def grid_or_gaussian(shape, low: float = -4.0, high: float = 4.0, scale: float = 1.0, nonzero: bool = False):
    """Quarters in [low, high] (readable; shrinks first) or Gaussian values (rounding shows)."""
    return st.one_of(grid_arrays(shape, low, high, nonzero=nonzero), gaussian_arrays(shape, scale))


@st.composite
def affine_cases(draw) -> AffineCase:
    """x (N, D), w (D, M), b (M,), dout (N, M)."""
    n, d, m = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    return AffineCase(draw(grid_or_gaussian((n, d))), draw(grid_or_gaussian((d, m))), draw(grid_or_gaussian((m,))),
                      draw(grid_or_gaussian((n, m))))


@st.composite
def relu_cases(draw) -> ReluCase:
    """x and dout of a shape with 1 to 3 axes, no entry of x at ReLU's kink."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    return ReluCase(draw(grid_or_gaussian(shape, nonzero=True)), draw(grid_or_gaussian(shape, nonzero=True)))


@st.composite
def score_batches(draw, scale: float = 1.0, min_rows: int = 1) -> ScoreBatch:
    """Scores (N, C) on a grid times `scale` (or Gaussian, for scale 1), and labels y (N,)."""
    n, c = draw(st.integers(min_rows, 5)), draw(st.integers(2, 5))
    scores = draw(grid_arrays((n, c), -4.0, 4.0) if scale != 1.0 else grid_or_gaussian((n, c), scale=2.0)) * scale
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return ScoreBatch(scores, y)


ADAM_CONFIGS = (
    {"learning_rate": 1e-3}, {"learning_rate": 1e-2}, {"learning_rate": 0.1},
    {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4},
    {"learning_rate": 1e-2, "beta1": 0.5, "beta2": 0.9},
    # beta2 below 1/2: near 1, slips such as 1 % beta**t (= 1 - beta**t while beta**t > 1/2) agree
    # with the bias correction; here they do not.
    {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.4},
)


@st.composite
def adam_cases(draw) -> AdamCase:
    """w (1-D or 2-D), three gradients (grid, Gaussian or tiny), and a first config."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    w = draw(grid_or_gaussian(shape, -2.0, 2.0))
    kind = draw(st.sampled_from(["grid", "gaussian", "tiny"]))
    step = {"grid": grid_arrays(shape, -2.0, 2.0), "gaussian": gaussian_arrays(shape), "tiny": gaussian_arrays(shape, 1e-6)}[kind]
    dws = [draw(step) for _ in range(3)]
    config = draw(st.sampled_from([None, *ADAM_CONFIGS]))
    return AdamCase(w, dws, None if config is None else dict(config))


def _fair(net: TinyNet) -> bool:
    """No hidden pre-activation within 1e-3 of ReLU's kink (a step of 1e-5 moves it < 2e-4) and
    no class probability below 1e-6 (where p - 1 would be all rounding): central differences
    and Adam (which divides by |grad|) are then well conditioned."""
    layers = len(net.sizes) - 1
    h = net.X
    for i in range(1, layers + 1):
        z = h @ net.params[f"W{i}"] + net.params[f"b{i}"]
        if i < layers:
            if not np.all(np.abs(z) > 1e-3):
                return False
            h = np.maximum(z, 0)
    shifted = z - z.max(axis=1, keepdims=True)
    return bool(np.all(np.exp(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))) > 1e-6))


@st.composite
def tiny_nets(draw, max_hidden_layers: int = 2, max_rows: int = 5, min_rows: int = 1):
    """Layer sizes, float64 parameters on grids (or Gaussian), and a batch (X, y)."""
    sizes = [draw(st.integers(1, 4))]
    sizes += [draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, max_hidden_layers)))]
    sizes.append(draw(st.integers(2, 4)))
    n = draw(st.integers(min_rows, max_rows))
    if draw(st.booleans()):
        net = make_net(sizes, n, draw(st.integers(0, 2**32 - 1)))
    else:
        layers = len(sizes) - 1
        params = {}
        for i in range(1, layers + 1):
            params[f"W{i}"] = draw(grid_arrays((sizes[i - 1], sizes[i]), -1.5, 1.5))
            bias = draw(grid_arrays((sizes[i],), -1.0, 1.0))
            params[f"b{i}"] = bias + OFFSET if i < layers else bias
        X = draw(grid_arrays((n, sizes[0]), -2.0, 2.0))
        y = np.array(draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=n, max_size=n)), dtype=np.int64)
        net = TinyNet(sizes, params, X, y)
    assume(_fair(net))
    return net


def make_net(sizes, n: int, seed: int) -> TinyNet:
    """Gaussian parameters (He scale) and inputs, labels from the seed."""
    rng = np.random.default_rng(seed)
    params = {}
    for i in range(1, len(sizes)):
        params[f"W{i}"] = rng.standard_normal((sizes[i - 1], sizes[i])) * np.sqrt(2.0 / sizes[i - 1])
        params[f"b{i}"] = rng.standard_normal(sizes[i]) * 0.5
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n).astype(np.int64)
    return TinyNet(list(sizes), params, X, y)


def fair_net(sizes, n: int, seed: int = 0) -> TinyNet:
    """The first Gaussian net from seed, seed + 1, ... that is fair to grade (deterministic)."""
    while True:
        net = make_net(sizes, n, seed)
        if _fair(net):
            return net
        seed += 1


def identical_rows(net: TinyNet, n: int) -> TinyNet:
    """The net with its first row of X (and its label) repeated n times."""
    return TinyNet(net.sizes, net.params, np.repeat(net.X[:1], n, axis=0), np.repeat(net.y[:1], n))


@st.composite
def batch_training(draw) -> TrainCase:
    """Identical rows, so any shuffle gives the same batches: N rows in batches of B (B does
    not divide N), 2 or 3 epochs; the result depends only on how many Adam steps are taken."""
    net = draw(tiny_nets(max_rows=1))
    n = draw(st.integers(3, 7))
    batch_size = draw(st.integers(2, n - 1).filter(lambda b: n % b != 0))
    return TrainCase(identical_rows(net, n), draw(st.integers(2, 3)), batch_size, draw(st.sampled_from([1e-3, 1e-2])))


@st.composite
def shuffled_training(draw) -> TrainCase:
    """Eight distinct rows in batches of 3 for 2 epochs: the order of the batches matters."""
    sizes = [draw(st.integers(2, 3)), draw(st.integers(2, 3)), draw(st.integers(2, 3))]
    return TrainCase(fair_net(sizes, 8, draw(st.integers(0, 2**16))), 2, 3, 1e-2)


# -- the examples every grading tries ---------------------------------------------------------------
AFFINE_EXAMPLES = (
    AffineCase(gaussian((3, 4), seed=1), gaussian((4, 2), seed=2), gaussian((2,), seed=3), gaussian((3, 2), seed=4)),
    # N = D = M: a missing transpose or a sum over the wrong axis keeps the right shape here.
    AffineCase(gaussian((3, 3), seed=5), gaussian((3, 3), seed=6), gaussian((3,), seed=7), gaussian((3, 3), seed=8)),
)
RELU_EXAMPLES = tuple(ReluCase(gaussian(shape, seed=10 + i), gaussian(shape, seed=20 + i))
                      for i, shape in enumerate([(5,), (3, 4), (2, 3, 2)]))
SOFTMAX_EXAMPLES = (
    ScoreBatch(gaussian((3, 4), 2.0, seed=30), np.array([0, 3, 1])),
    ScoreBatch(gaussian((1, 3), 2.0, seed=31), np.array([2])),
)
HUGE_EXAMPLES = (
    # Row maxima 2e4 apart (a batch-wide maximum underflows row 1), a label 1250 below its row's
    # maximum (its probability underflows to 0), scores beyond exp's range on both sides.
    ScoreBatch(np.array([[10000.0, 8750.0, -2500.0], [-10000.0, -8125.0, -9375.0]]), np.array([1, 2])),
    ScoreBatch(np.array([[-10000.0, -9375.0, -10000.0]]), np.array([0])),
)
ADAM_EXAMPLES = (
    AdamCase(gaussian((2, 3), seed=40), [gaussian((2, 3), seed=41 + t) for t in range(3)], None),
    AdamCase(gaussian((4,), seed=44), [gaussian((4,), seed=45 + t) for t in range(3)],
             {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4}),
    # Gradients of 1e-7: here epsilon weighs as much as sqrt(v_hat), so where it goes shows.
    AdamCase(gaussian((3,), seed=48), [gaussian((3,), 1e-7, seed=49 + t) for t in range(3)], {"learning_rate": 1e-2}),
    AdamCase(gaussian((2, 2), seed=56), [gaussian((2, 2), seed=57 + t) for t in range(3)],
             {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.4}),
    # adam(w, dw) again, on another shape: nothing may be left over from the first case's calls.
    AdamCase(gaussian((5,), seed=52), [gaussian((5,), seed=53 + t) for t in range(3)], None),
)
NET_EXAMPLES = (
    fair_net([3, 4, 3], 4, seed=60),  # one hidden layer
    fair_net([2, 3, 4, 3], 3, seed=70),  # two hidden layers
    fair_net([4, 3], 2, seed=80),  # no hidden layer
)
BATCH_TRAINING_EXAMPLES = (
    # Batches of 2, 2, 1 for 2 epochs: 6 steps; no batches (2), no last batch (4), 1 epoch (3) all differ.
    TrainCase(identical_rows(fair_net([3, 4, 3], 1, seed=90), 5), 2, 2, 1e-2),
)
SHUFFLE_EXAMPLES = (TrainCase(fair_net([3, 3, 2], 8, seed=100), 2, 3, 1e-2),)
