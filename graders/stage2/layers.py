"""Grader for stage2/layers: CS231n-style forward/backward pairs and a FullyConnectedNet, in NumPy.

Forwards are compared with the judge's own NumPy formulas (1e-9, float64). Every backward is
compared twice: with PyTorch autograd of the same forward at every entry, and with central
differences of the judge's NumPy forward (a 7-point stencil, h = 1e-3) at up to six sampled
entries per array; both at CS231n's relative error |a - b| / max(|a| + |b|, 1e-8) <= 1e-7. A
sampled entry is one whose derivative is at least 1e-4 (central differences cannot resolve
smaller ones to 1e-7; autograd checks those) and whose stencil does not cross a ReLU or hinge
kink. The backward passes run in the learner's process on the learner's own cache
(layers_driver.py); so does the network, with the judge's parameters written into `params`.

Inputs are on a grid of quarters (readable counterexamples) or Gaussian. The structural cases
run on every grading as explicit examples: x of shape (N, 2, 3), N = 1, D = M = N (where a sum
over the wrong axis has the right shape), exact zeros at the ReLU and hinge kinks, scores of
size 1e4, labels of one class only, a single class, batchnorm's running averages over several
batches and then test mode (also before any training, and from given running averages),
dropout in both modes with keep probabilities 1, 0.8 and 0.25, and networks with no hidden
layer, with batchnorm, layernorm, dropout and L2 regularisation, on x with extra axes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, after_calling, as_array, assert_close, assert_gradient_close, assert_scalar, check, example, fail, given
from mldojo.graders.kit.asserts import name_mistakes
from mldojo.graders.kit.softmax_mistakes import huge_variants, same_numbers
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.strategies import grid_arrays
from mldojo.graders.stage2 import _layers_oracles as O
from mldojo.graders.stage2._layers_oracles import Net

VERSION = "1"
DRIVER = "mldojo.graders.stage2.layers_driver:"
RTOL, ATOL = 1e-9, 1e-12  # forwards against the judge's NumPy
MAX_RELATIVE_ERROR = 1e-7  # backwards against autograd and central differences


def examples(name: str, cases):
    """@example(name=case) for each case, in order: inputs tried on every grading."""
    def attach(function):
        for case in reversed(cases):
            function = example(**{name: case})(function)
        return function

    return attach


# -- inputs ---------------------------------------------------------------------------------------------
def gaussian(shape, seed: int, scale: float = 1.0, loc: float = 0.0) -> np.ndarray:
    return loc + scale * np.random.default_rng(seed).standard_normal(shape)


@st.composite
def values(draw, shape, low=-2.0, high=2.0) -> np.ndarray:
    """An array of quarters in [low, high], or a Gaussian one (std (high - low) / 4)."""
    if draw(st.booleans()):
        return draw(grid_arrays(tuple(shape), low, high, 0.25))
    return gaussian(shape, draw(st.integers(0, 2**32 - 1)), (high - low) / 4, (high + low) / 2)


def labels(n: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, c, n).astype(np.int64)


@dataclass
class AffineCase:
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    dout: np.ndarray


@st.composite
def affine_cases(draw) -> AffineCase:
    n = draw(st.integers(1, 5))
    extra = draw(st.sampled_from([(1,), (2,), (4,), (6,), (2, 3), (3, 1, 2)]))
    d, m = int(np.prod(extra)), draw(st.integers(1, 5))
    return AffineCase(draw(values((n, *extra))), draw(values((d, m))), draw(values((m,))), draw(values((n, m))))


def affine_case(shape, m, seed) -> AffineCase:
    d = int(np.prod(shape[1:]))
    return AffineCase(gaussian(shape, seed), gaussian((d, m), seed + 1), gaussian((m,), seed + 2), gaussian((shape[0], m), seed + 3))


AFFINE_EXAMPLES = [
    affine_case((3, 2, 3), 4, 10),  # x with extra axes
    affine_case((1, 5), 3, 20),  # one row
    affine_case((3, 3), 3, 30),  # N = D = M: a sum over the wrong axis, or a missing transpose, has the right shape
    affine_case((16, 6, 5), 20, 40),  # big enough that the central differences sample entries
]


@dataclass
class ReluCase:
    x: np.ndarray
    dout: np.ndarray


@st.composite
def relu_cases(draw) -> ReluCase:
    shape = draw(st.sampled_from([(5,), (1, 4), (3, 4), (2, 2, 3), (4, 2, 3)]))
    return ReluCase(draw(values(shape)), draw(values(shape)))


RELU_EXAMPLES = [
    ReluCase(np.array([[-1.0, 0.0, 0.5], [2.0, -0.25, 0.0]]), np.array([[1.0, 2.0, -1.0], [0.5, 3.0, -2.0]])),  # exact zeros
    ReluCase(gaussian((3, 2, 3), 1), gaussian((3, 2, 3), 2)),
    ReluCase(np.array([-1.0, 1.0, -2.0, 3.0]), np.array([-1.0, -1.0, 2.0, 2.0])),  # dout's sign is not x's
]


@dataclass
class ScoreCase:
    x: np.ndarray
    y: np.ndarray


@st.composite
def score_cases(draw) -> ScoreCase:
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return ScoreCase(draw(values((n, c), -3.0, 3.0)), labels(n, c, draw(st.integers(0, 2**32 - 1))))


SCORE_EXAMPLES = [
    ScoreCase(gaussian((4, 5), 3), np.array([0, 2, 4, 1])),
    ScoreCase(gaussian((4, 3), 4), np.array([1, 1, 1, 1])),  # every label names one class
    ScoreCase(gaussian((3, 1), 5), np.array([0, 0, 0])),  # a single class
    ScoreCase(gaussian((1, 4), 6), np.array([2])),  # one row
    ScoreCase(np.array([[1.0, 0.0, 2.5], [0.5, 1.5, -1.0]]), np.array([1, 0])),  # margins of exactly 0
]


@dataclass
class HugeCase:
    x: np.ndarray
    y: np.ndarray


HUGE_EXAMPLES = [
    HugeCase(np.array([[1e4, 0.0, -1e4], [5e3, 5e3 + 1.0, 5e3 - 2.0]]), np.array([1, 2])),
    HugeCase(np.array([[1e4, 1e4 - 3.0], [-1e4, -1e4 + 2.0]]), np.array([1, 0])),  # one row far below the other
    HugeCase(np.array([[-9999.0, -1e4, -9998.5]]), np.array([0])),
]


@st.composite
def huge_cases(draw) -> HugeCase:
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.uniform(-1e4, 1e4, (n, 1)) + rng.normal(0, draw(st.sampled_from([1.0, 30.0, 3e3])), (n, c))
    return HugeCase(x, rng.integers(0, c, n).astype(np.int64))


@dataclass
class NormCase:
    """A normalisation layer's inputs (batchnorm or layernorm) and the gradient to send back."""

    x: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    dout: np.ndarray
    eps: float = 1e-5


def spread(x: np.ndarray, axis: int) -> np.ndarray:
    """x with every column (axis 0) or row (axis 1) whose standard deviation is below 0.25 pulled
    apart (its values keep their order, each gap grows by 1). Near-constant groups make the
    normalisation vary on the scale of sqrt(eps), finer than central differences can follow; the
    explicit N = 1 (D = 1) examples keep the exactly constant case."""
    if x.shape[axis] < 2:
        return x
    small = x.std(axis=axis) < 0.25
    ranks = np.argsort(np.argsort(x, axis=axis), axis=axis)
    small = small[None, :] if axis == 0 else small[:, None]
    return np.where(small, x + ranks, x)


@st.composite
def norm_cases(draw, axis: int) -> NormCase:
    n, d = draw(st.integers(2, 6)), draw(st.integers(1, 5))
    if axis == 1:
        d = max(d, 2)
    x = spread(draw(values((n, d), -3.0, 3.0)), axis)
    gamma = draw(values((d,), 0.5, 2.0))
    return NormCase(x, gamma, draw(values((d,))), draw(values((n, d))), draw(st.sampled_from([1e-5, 1e-3])))


def norm_case(n, d, seed, eps=1e-5, spread=1.5) -> NormCase:
    return NormCase(gaussian((n, d), seed, spread, 0.7), gaussian((d,), seed + 1, 0.3, 1.0), gaussian((d,), seed + 2),
                    gaussian((n, d), seed + 3), eps)


BATCHNORM_EXAMPLES = [norm_case(4, 3, 50), norm_case(1, 3, 60), norm_case(5, 4, 70, eps=1e-3), norm_case(32, 12, 80)]
LAYERNORM_EXAMPLES = [norm_case(4, 3, 90), norm_case(3, 1, 100), norm_case(2, 6, 110, eps=1e-3), norm_case(12, 32, 120)]


@dataclass
class BatchnormScript:
    """Training batches through one bn_param dict, then a test batch."""

    batches: list
    gamma: np.ndarray
    beta: np.ndarray
    bn_param: dict
    test_x: np.ndarray

    def describe_for_learner(self) -> dict:
        shown = {"bn_param (first call)": {k: v for k, v in self.bn_param.items()}, "gamma": self.gamma, "beta": self.beta}
        for i, batch in enumerate(self.batches, 1):
            shown[f"training batch {i}"] = batch
        shown["test batch"] = self.test_x
        return shown


def batchnorm_script(n, d, count, seed, eps=None, momentum=None, running=False) -> BatchnormScript:
    rng = np.random.default_rng(seed)
    offset, spread = rng.normal(0, 2, d), rng.uniform(0.5, 3, d)
    batches = [offset + spread * rng.standard_normal((n, d)) for _ in range(count)]
    bn_param = {"mode": "train"}
    if eps is not None:
        bn_param["eps"] = eps
    if momentum is not None:
        bn_param["momentum"] = momentum
    if running:
        bn_param["running_mean"], bn_param["running_var"] = rng.normal(0, 1, d), rng.uniform(0.5, 2, d)
    return BatchnormScript(batches, rng.uniform(0.5, 2, d), rng.normal(0, 1, d), bn_param, offset + spread * rng.standard_normal((n + 1, d)))


BATCHNORM_SCRIPTS = [
    batchnorm_script(4, 3, 3, 1),  # several batches, then test mode
    batchnorm_script(5, 2, 2, 2, eps=1e-3, momentum=0.5, running=True),  # given eps, momentum and running averages
    batchnorm_script(3, 4, 0, 3),  # test mode before any training: the running averages start at zero
    batchnorm_script(1, 3, 2, 4),  # batches of one row
]


@st.composite
def batchnorm_scripts(draw) -> BatchnormScript:
    return batchnorm_script(draw(st.integers(2, 8)), draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(0, 2**31 - 1)),
                            draw(st.sampled_from([None, 1e-3])), draw(st.sampled_from([None, 0.5, 0.99])), draw(st.booleans()))


@dataclass
class DropoutCase:
    x: np.ndarray
    p: float
    seed: int
    mode: str
    dout: np.ndarray = field(repr=False, default=None)

    def param(self) -> dict:
        return {"mode": self.mode, "p": self.p, "seed": self.seed}

    def describe_for_learner(self) -> dict:
        return {"x": self.x, "dropout_param": self.param(), "dout": self.dout}


@st.composite
def dropout_cases(draw) -> DropoutCase:
    shape = draw(st.sampled_from([(4, 5), (2, 3, 4), (8, 6), (1, 7)]))
    x = gaussian(shape, draw(st.integers(0, 2**32 - 1)), 1.0, 0.5)
    return DropoutCase(x, draw(st.sampled_from([0.25, 0.5, 0.8])), draw(st.integers(0, 2**31 - 1)), draw(st.sampled_from(["train", "test"])),
                       gaussian(shape, draw(st.integers(0, 2**32 - 1))))


DROPOUT_EXAMPLES = [
    DropoutCase(gaussian((6, 5), 1, 1.0, 0.5), 0.5, 0, "train", gaussian((6, 5), 2)),
    DropoutCase(gaussian((3, 2, 3), 3, 1.0, 0.5), 0.8, 123, "train", gaussian((3, 2, 3), 4)),  # extra axes
    DropoutCase(gaussian((5, 4), 5, 1.0, 0.5), 0.25, 7, "train", gaussian((5, 4), 6)),
    DropoutCase(gaussian((4, 3), 7, 1.0, 0.5), 1.0, 11, "train", gaussian((4, 3), 8)),  # keep everything
    DropoutCase(gaussian((4, 5), 9, 1.0, 0.5), 0.5, 0, "test", gaussian((4, 5), 10)),
    DropoutCase(gaussian((2, 3, 2), 11, 1.0, 0.5), 0.25, 5, "test", gaussian((2, 3, 2), 12)),
]


# -- networks -------------------------------------------------------------------------------------------------
@dataclass
class NetCase:
    """A network with the judge's parameters, a training batch (X, y), and for the scores check,
    training batches and a test batch."""

    net: Net
    X: np.ndarray
    y: np.ndarray
    batches: list = field(default_factory=list)

    def describe_for_learner(self) -> dict:
        shown = {"net": self.net.call()}
        shown.update({k: v for k, v in self.net.params.items()})
        shown["X"], shown["y"] = self.X, self.y
        for i, batch in enumerate(self.batches, 1):
            shown[f"training batch {i} (X)"] = batch[0]
        return shown


def make_params(net: Net, seed: int) -> dict:
    """Weights of scale 1 / sqrt(fan_in), small biases, gammas near 1, betas near 0."""
    rng = np.random.default_rng(seed)
    sizes = [net.input_dim, *net.hidden_dims, net.num_classes]
    params = {}
    for i in range(1, len(sizes)):
        params[f"W{i}"] = rng.normal(0, 1.5 / np.sqrt(sizes[i - 1]), (sizes[i - 1], sizes[i]))
        params[f"b{i}"] = rng.normal(0, 0.3, sizes[i])
        if net.normalization and i < len(sizes) - 1:
            params[f"gamma{i}"] = rng.uniform(0.5, 1.5, sizes[i])
            params[f"beta{i}"] = rng.normal(0, 0.5, sizes[i])
    return params


def net_case(hidden, shape, classes, seed, normalization=None, keep=1.0, reg=0.0, batches=0) -> NetCase:
    rng = np.random.default_rng(seed)
    net = Net(list(hidden), int(np.prod(shape[1:])), classes, keep, normalization, reg, seed if keep != 1 else None)
    net.params = make_params(net, seed)
    X = rng.normal(0, 1, shape)
    y = rng.integers(0, classes, shape[0]).astype(np.int64)
    made = [(rng.normal(0.3, 1.2, shape), rng.integers(0, classes, shape[0]).astype(np.int64)) for _ in range(batches)]
    return NetCase(net, X, y, made)


NET_EXAMPLES = [
    net_case([], (3, 4), 3, 1),  # no hidden layer
    net_case([5, 4], (4, 2, 3), 3, 2, reg=0.7),  # x with extra axes, L2
    net_case([6, 5], (5, 4), 4, 3, normalization="batchnorm", batches=3),
    net_case([5], (4, 6), 3, 4, normalization="layernorm", keep=0.5, reg=0.3),
    net_case([7, 6], (6, 5), 4, 5, keep=0.75, batches=2),
    net_case([4, 3], (1, 5), 2, 6, normalization="batchnorm", keep=0.5, reg=0.2, batches=2),  # one row
    net_case([4], (3, 3), 3, 8, normalization="batchnorm", batches=0),  # test mode before training: zero averages
    # three hidden layers (drawn nets have at most two): layer i keeps its own bn_param and cache,
    # which an index such as i >> 1 (right for i = 1, 2) gets wrong only from layer 3 on
    net_case([5, 4, 3], (6, 4), 3, 16, normalization="batchnorm", batches=2),
]


# A normalised group (a batchnorm column, a layernorm row) narrower than this varies on the scale
# of sqrt(eps): central differences could not follow it (see spread), so such nets are not drawn.
MIN_SPREAD = 0.1


@st.composite
def net_cases(draw) -> NetCase:
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=2))
    shape = draw(st.sampled_from([(1, 3), (3, 2), (4, 5), (5, 2, 2), (6, 3)]))
    normalization = draw(st.sampled_from([None, "batchnorm", "layernorm"]))
    case = net_case(hidden, shape, draw(st.integers(1, 5)), draw(st.integers(0, 2**31 - 1)), normalization,
                    draw(st.sampled_from([1.0, 0.5, 0.75])), draw(st.sampled_from([0.0, 0.1, 1.3])), draw(st.integers(0, 3)))
    assume(O.narrowest_group(case.net, case.net.params, case.X) >= MIN_SPREAD)
    return case


# -- comparing gradients -----------------------------------------------------------------------------------
def compare_gradient(got, want: np.ndarray, what: str, diagnoses=()) -> np.ndarray:
    """The learner's gradient against autograd's at every entry (shape first: a wrong shape is
    named when a known mistake has exactly that shape and those values)."""
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is not None and array.shape != want.shape and array.dtype.kind == "f":
        fail(f"{what}: expected shape {want.shape} (the shape of the input it is the gradient of), got shape {array.shape}",
             got, diagnoses, passes=lambda value: value.shape == want.shape)
    assert_gradient_close(got, want, what=f"{what} (against PyTorch autograd)", max_relative_error=MAX_RELATIVE_ERROR,
                          diagnoses=diagnoses)
    return np.asarray(got, dtype=np.float64)


def compare_with_differences(got: np.ndarray, want: np.ndarray, what: str, forward, args: list, k: int, dout) -> None:
    """The learner's gradient against central differences of the judge's NumPy forward at
    sampled entries (see the module docstring)."""
    entries, numeric = [], []
    at = None
    for index in O.sampled_entries(want, args[k]):
        at = forward(*args) if at is None else at
        value = O.difference(forward, args, k, index, dout, at=at)
        if value is not None:
            entries.append(index)
            numeric.append(value)
    if not entries:
        return
    picked = np.array([got[index] for index in entries])
    shown = ", ".join(str(i) if len(i) > 1 else str(i[0]) for i in entries)
    assert_gradient_close(picked, np.array(numeric), what=f"{what} at entries {shown} (against central differences, h = {O.FD_H:g})",
                          max_relative_error=MAX_RELATIVE_ERROR)


def run_layer(learner, layer: str, args: list, dout, count: int) -> dict:
    """The learner's forward and backward on its own cache; the gradients it returned (checked in number)."""
    reply = learner._drive(DRIVER + "forward_backward", layer, args, dout)
    if reply.get("problem"):
        fail(reply["problem"])
    grads = reply["grads"]
    if len(grads) != count:
        fail(f"{layer}_backward(dout, cache) returned {len(grads)} value{'s' if len(grads) != 1 else ''}; expected "
             f"{count}: " + {1: "dx", 3: "(dx, dw, db)" if layer == "affine" else "(dx, dgamma, dbeta)"}[count])
    return reply


def check_backward(reply: dict, names: list, args: list, differentiable: list, torch_function, numpy_forward, dout,
                   diagnoses: dict, call: str) -> None:
    """Each returned gradient against autograd (every entry) and central differences (sampled)."""
    _, want = O.autograd(torch_function, args, differentiable, dout)
    named = iter(names)
    wanted = [(next(named), w, k) for k, (w, grad) in enumerate(zip(want, differentiable)) if grad]
    with after_calling(call):
        for (name, expected, k), got in zip(wanted, reply["grads"]):
            compare_gradient(got, expected, name, diagnoses.get(name, ()))
        for (name, expected, k), got in zip(wanted, reply["grads"]):
            compare_with_differences(np.asarray(got, dtype=np.float64), expected, name, numpy_forward, args, k, dout)


def diagnoses_from(wrong: dict, messages: dict) -> dict:
    """{gradient name: [Diagnosis]} from {mistake: {gradient name: wrong value}} and {mistake: message}."""
    found: dict = {}
    for mistake, values_ in wrong.items():
        for name, value in values_.items():
            found.setdefault(name, []).append(Diagnosis(messages[mistake], lambda value=value: value))
    return found


# -- affine ------------------------------------------------------------------------------------------------
@check(examples=25)
@examples("case", AFFINE_EXAMPLES)
@given(case=affine_cases())
def affine_forward_multiplies_the_rows_of_x_by_w_and_adds_b(learner, case):
    """affine_forward(x, w, b) gives x.reshape(N, -1) @ w + b, for x of shape (N, d1, ..., dk)."""
    x, w, b = case.x, case.w, case.b
    result = learner.affine_forward(x, w, b)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("affine_forward(x, w, b) should return a pair (out, cache)")
    expected = O.affine(x, w, b)[0]
    with after_calling("affine_forward(x, w, b)"):
        assert_close(result[0], expected, what="out", rtol=RTOL, atol=ATOL, diagnoses=[
            Diagnosis("the bias is missing: out = x_rows @ w + b", lambda: expected - b),
        ])


AFFINE_MISTAKES = {
    "dw_mean": "dw is averaged over the batch; the upstream gradient already carries the 1 / N of the loss, so dw = "
               "x_rows.T @ dout sums over the rows",
    "db_mean": "db is averaged over the batch: db = dout.sum(axis=0), a plain sum over the rows",
    "db_rows": "db is summed over the wrong axis: dout.sum(axis=1) gives one number per row; db has one entry per output "
               "unit, dout.sum(axis=0)",
    "dx_no_transpose": "dx uses w where it needs w.T: dx = dout @ w.T",
    "dx_rows": "dx is left in the shape of the rows, (N, D): reshape it to x's own shape, dx.reshape(x.shape)",
}


def affine_wrong(case: AffineCase) -> dict:
    x, w, dout = case.x, case.w, case.dout
    n, r = x.shape[0], O.rows(x)
    wrong = {"dw_mean": {"dw": r.T @ dout / n}, "db_mean": {"db": dout.mean(axis=0)}, "db_rows": {"db": dout.sum(axis=1)},
             "dx_rows": {"dx": dout @ w.T}}
    if w.shape[0] == w.shape[1]:
        wrong["dx_no_transpose"] = {"dx": (dout @ w).reshape(x.shape)}
    return wrong


@check(examples=25)
@examples("case", AFFINE_EXAMPLES)
@given(case=affine_cases())
def affine_backward_matches_autograd_and_central_differences(learner, case):
    """affine_backward(dout, cache) gives dx (x's own shape), dw and db equal to autograd's and to central differences (relative error <= 1e-7)."""
    args = [case.x, case.w, case.b]
    reply = run_layer(learner, "affine", args, case.dout, 3)
    check_backward(reply, ["dx", "dw", "db"], args, [True, True, True], O.torch_affine, O.affine, case.dout,
                   diagnoses_from(affine_wrong(case), AFFINE_MISTAKES), "affine_backward(dout, cache)")


# -- ReLU --------------------------------------------------------------------------------------------------------
@check(examples=25)
@examples("case", RELU_EXAMPLES)
@given(case=relu_cases())
def relu_forward_and_backward_match_autograd(learner, case):
    """relu_forward gives max(x, 0) for x of any shape; relu_backward passes dout where x > 0 only (autograd and central differences)."""
    x, dout = case.x, case.dout
    result = learner.relu_forward(x)
    if not isinstance(result, tuple) or len(result) != 2:
        fail("relu_forward(x) should return a pair (out, cache)")
    with after_calling("relu_forward(x)"):
        assert_close(result[0], np.maximum(x, 0), what="out", rtol=0, atol=0)
    reply = run_layer(learner, "relu", [x], dout, 1)
    check_backward(reply, ["dx"], [x], [True], O.torch_relu, O.relu, dout, {"dx": [
        Diagnosis("the mask is taken from dout; it comes from the forward input: dout where x > 0", lambda: dout * (dout > 0)),
        Diagnosis("the gradient passes everywhere: ReLU's derivative is 0 where x <= 0", lambda: dout),
        Diagnosis("the gradient passes where x == 0: at exactly 0 it is 0 (x > 0, not x >= 0)", lambda: dout * (x >= 0)),
    ]}, "relu_backward(dout, cache)")


# -- the losses ----------------------------------------------------------------------------------------------------
def loss_pair(result, name: str):
    if not isinstance(result, tuple) or len(result) != 2:
        fail(f"{name}(x, y) should return a pair (loss, dx)")
    return result


def check_loss(learner, name: str, case: ScoreCase, torch_function, numpy_loss, loss_mistakes: list, dx_mistakes: list) -> None:
    x, y = case.x, case.y
    got_loss, got_dx = loss_pair(getattr(learner, name)(x, y), name)
    value, (want_dx, _) = O.autograd(torch_function, [x, y], [True, False])
    value, own = float(value), numpy_loss(x, y)[0]
    with after_calling(f"{name}(x, y)"):
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, own, rtol=RTOL, atol=ATOL) or not np.isclose(got, value, rtol=RTOL, atol=ATOL):
            shown_got, shown_want = show_pair(got, own)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})", got, loss_mistakes,
                 passes=lambda v: bool(np.isclose(float(v), own, rtol=RTOL, atol=ATOL)))
        compare_gradient(got_dx, want_dx, "dx", dx_mistakes)
        compare_with_differences(np.asarray(got_dx, dtype=np.float64), want_dx, "dx", lambda x_: numpy_loss(x_, y), [x], 0, 1.0)


@check(examples=30)
@examples("case", SCORE_EXAMPLES)
@given(case=score_cases())
def softmax_loss_matches_cross_entropy(learner, case):
    """softmax_loss(x, y) gives the mean cross-entropy and a dx equal to autograd's and to central differences (1e-7)."""
    x, y = case.x, case.y
    n, right = x.shape[0], O.softmax_grad(x, y)
    loss = O.softmax_loss(x, y)[0]
    probs = np.exp(O.log_softmax(x))
    check_loss(learner, "softmax_loss", case, O.torch_softmax_loss, O.softmax_loss,
               [Diagnosis("the loss is summed over the rows: take the mean (divide by N)", lambda: loss * n)],
               [Diagnosis(f"dx is N = {n} times too big: the loss is a mean over the rows, so dx is divided by N", lambda: right * n),
                Diagnosis("dx misses the -1 at each row's correct class: dx = (softmax - one_hot(y)) / N", lambda: probs / n)])


OVERFLOW = ("exp overflows at scores this large: subtract each row's maximum before exp (softmax does not change when "
            "the same number is taken from a whole row)")
HUGE_MISTAKES = {
    "no_max_probs": OVERFLOW,
    "no_max_logsumexp": OVERFLOW,
    "batch_max": "the largest score of the whole batch is subtracted; a row whose scores all sit far below it underflows "
                 "to exp(...) = 0: subtract each row's own maximum, x.max(axis=1, keepdims=True)",
    "log_of_softmax": "log of a probability that underflowed to 0: compute the log-probabilities directly, shifted - "
                      "log(sum(exp(shifted))), not log(softmax)",
}


@check(examples=20)
@examples("case", HUGE_EXAMPLES)
@given(case=huge_cases())
def softmax_loss_stays_exact_at_huge_scores(learner, case):
    """softmax_loss stays finite and exact (1e-9) for scores as large as 1e4, rows far apart included."""
    x, y = case.x, case.y
    loss, dx = O.softmax_loss(x, y)[0], O.softmax_grad(x, y)
    got_loss, got_dx = loss_pair(learner.softmax_loss(x, y), "softmax_loss")
    with after_calling("softmax_loss(x, y) with scores up to 1e4"):
        try:
            loss_array, dx_array = np.asarray(got_loss, dtype=float), np.asarray(got_dx, dtype=float)
        except (TypeError, ValueError):
            loss_array = dx_array = None
        if loss_array is not None and not (np.isfinite(loss_array).all() and np.isfinite(dx_array).all()):
            found = [message for mistake, message in HUGE_MISTAKES.items() for wrong_loss, wrong_dx in huge_variants(x, y, mistake)
                     if same_numbers(loss_array, wrong_loss) and same_numbers(dx_array, wrong_dx)]
            where = "loss" if not np.isfinite(loss_array).all() else "dx"
            fail(f"{where}: got {show(loss_array if where == 'loss' else dx_array)}: not finite (expected loss {loss!r})",
                 diagnosis=name_mistakes(list(dict.fromkeys(found))))
        got = assert_scalar(got_loss, "loss")
        if not np.isclose(got, loss, rtol=RTOL, atol=1e-9):
            shown_got, shown_want = show_pair(got, loss)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})")
        assert_close(got_dx, dx, what="dx", rtol=RTOL, atol=ATOL)


SVM_COUNTED = ("the correct class's own margin is counted: x[i, y[i]] - x[i, y[i]] + 1 is always 1, so it adds 1 to every "
               "row; leave j = y[i] out of the sum (set that margin to 0)")


def svm_wrong_dx(x: np.ndarray, y: np.ndarray, mistake: str) -> np.ndarray:
    n, rows = x.shape[0], np.arange(x.shape[0])
    raw = x - x[rows, y][:, None] + 1.0
    active = (raw >= 0 if mistake == "zero_margin_active" else raw > 0).astype(float)
    if mistake != "correct_counted":
        active[rows, y] = 0.0
    active[rows, y] = -active.sum(axis=1)
    return active / n


@check(examples=30)
@examples("case", SCORE_EXAMPLES)
@given(case=score_cases())
def svm_loss_matches_the_hinge_loss(learner, case):
    """svm_loss(x, y) gives the mean over rows of sum_{j != y} max(0, x_j - x_y + 1), and a dx equal to autograd's and to central differences (1e-7)."""
    x, y = case.x, case.y
    n = x.shape[0]
    loss = O.svm_loss(x, y)[0]
    _, (right, _) = O.autograd(O.torch_svm_loss, [x, y], [True, False])
    check_loss(learner, "svm_loss", case, O.torch_svm_loss, O.svm_loss,
               [Diagnosis(SVM_COUNTED, lambda: loss + 1.0),
                Diagnosis("the loss is summed over the rows: take the mean (divide by N)", lambda: loss * n)],
               [Diagnosis(SVM_COUNTED, lambda: svm_wrong_dx(x, y, "correct_counted")),
                Diagnosis("a margin of exactly 0 is counted as active; max(0, m) has gradient 0 there (margins > 0, not >= 0)",
                          lambda: svm_wrong_dx(x, y, "zero_margin_active")),
                Diagnosis(f"dx is N = {n} times too big: the loss is a mean over the rows, so dx is divided by N", lambda: right * n)])


# -- batchnorm ------------------------------------------------------------------------------------------------------
def simulate_batchnorm(script: BatchnormScript, mistake: str | None = None) -> dict:
    """The script as CS231n's batchnorm computes it (or a known mistake), in NumPy."""
    eps = script.bn_param.get("eps", 1e-5)
    momentum = script.bn_param.get("momentum", 0.9)
    d = script.gamma.shape[0]
    mean_run = np.array(script.bn_param.get("running_mean", np.zeros(d)), dtype=float)
    var_run = np.array(script.bn_param.get("running_var", np.zeros(d)), dtype=float)
    out = {"outputs": [], "running_mean": [], "running_var": []}

    def normalise(x, mean, var):
        scale = np.sqrt(var) + eps if mistake == "eps_outside_sqrt" else np.sqrt(var + eps)
        return script.gamma * (x - mean) / scale + script.beta

    for x in script.batches:
        mean, var = x.mean(axis=0), x.var(axis=0)
        unbiased = x.var(axis=0, ddof=1) if x.shape[0] > 1 else np.full(d, np.nan)
        out["outputs"].append(normalise(x, mean, unbiased if mistake == "unbiased_var" else var))
        m = 1 - momentum if mistake == "momentum_flipped" else momentum
        start_mean, start_var = (np.zeros(d), np.zeros(d)) if mistake == "running_restarted" else (mean_run, var_run)
        mean_run = m * start_mean + (1 - m) * mean
        var_run = m * start_var + (1 - m) * (unbiased if mistake == "running_var_unbiased" else var)
        out["running_mean"].append(mean_run.copy())
        out["running_var"].append(var_run.copy())
    x = script.test_x
    out["test"] = normalise(x, x.mean(axis=0), x.var(axis=0)) if mistake == "batch_stats_in_test" else normalise(x, mean_run, var_run)
    return out


BATCHNORM_MISTAKES = {
    "unbiased_var": ("outputs", "the batch is normalised with the unbiased variance (divide by N - 1); use the biased one, "
                                "x.var(axis=0) (divide by N)"),
    "eps_outside_sqrt": ("outputs", "eps is added after the square root: divide by sqrt(var + eps)"),
    "momentum_flipped": ("running_mean", "the momentum weighs the new batch statistic (PyTorch's convention); here it weighs "
                                         "the old average: running = momentum * running + (1 - momentum) * batch statistic"),
    "running_restarted": ("running_mean", "the running averages start again from zeros at every call: read them from bn_param "
                                          "(bn_param.get('running_mean', zeros)) and store the new ones back there"),
    "running_var_unbiased": ("running_var", "running_var averages the unbiased variance (N - 1, PyTorch's running_var); here it "
                                            "averages the same biased variance that normalises the batch"),
    "batch_stats_in_test": ("test", "test mode normalises with the test batch's own statistics; it must use running_mean and "
                                    "running_var"),
}


def _batchnorm_diagnoses(script: BatchnormScript, observable: str, index: int | None) -> list:
    def answer(mistake):
        value = simulate_batchnorm(script, mistake)[observable]
        return value if index is None else value[index]

    return [Diagnosis(message, lambda mistake=mistake: answer(mistake))
            for mistake, (where, message) in BATCHNORM_MISTAKES.items() if where == observable or observable == "running_var"]


@check(examples=20)
@examples("script", BATCHNORM_SCRIPTS)
@given(script=batchnorm_scripts())
def batchnorm_forward_keeps_cs231n_running_averages_and_uses_them_in_test_mode(learner, script):
    """batchnorm_forward: training outputs, the running averages in bn_param after each batch, then the test-mode output = the formulas (1e-9)."""
    reply = learner._drive(DRIVER + "batchnorm_script", script.batches, script.gamma, script.beta, script.bn_param, script.test_x)
    if reply.get("problem"):
        fail(reply["problem"])
    want = simulate_batchnorm(script)
    for i in range(len(script.batches)):
        with after_calling(f"batchnorm_forward on training batch {i + 1} of {len(script.batches)}"):
            assert_close(reply["outputs"][i], want["outputs"][i], what="out", rtol=RTOL, atol=ATOL,
                         diagnoses=_batchnorm_diagnoses(script, "outputs", i))
            for k, key in enumerate(("running_mean", "running_var")):
                got = reply["running"][i][k]
                if got is None:
                    fail(f"bn_param has no {key!r} after a training call: store the updated running averages back into "
                         f"the bn_param dict you were given (bn_param[{key!r}] = ...)")
                assert_close(got, want[key][i], what=f"bn_param[{key!r}]", rtol=RTOL, atol=ATOL,
                             diagnoses=_batchnorm_diagnoses(script, key, i))
    trained = f"after {len(script.batches)} training batch{'es' if len(script.batches) != 1 else ''}"
    with after_calling(f"batchnorm_forward in test mode, {trained}"):
        assert_close(reply["test"], want["test"], what="out", rtol=RTOL, atol=ATOL, diagnoses=_batchnorm_diagnoses(script, "test", None))
        if script.batches and any(
                got is None or not np.allclose(got, want[key][-1], rtol=RTOL, atol=ATOL)
                for got, key in zip(reply["after_test"], ("running_mean", "running_var"))):
            fail("test mode changed the running averages in bn_param: in test mode nothing is updated")


BATCHNORM_BACKWARD_MISTAKES = {
    "no_var_path": "dx leaves out the path through the variance: the simplified formula needs all three terms, "
                   "dx = gamma * inv_std / N * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)), sums over the batch",
    "no_mean_path": "dx leaves out the path through the mean: the simplified formula needs all three terms, "
                    "dx = gamma * inv_std / N * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)), sums over the batch",
    "constant_statistics": "dx treats the batch mean and variance as constants (dx = gamma * dout / sqrt(var + eps)); both "
                           "depend on every row of x, which adds two more terms",
    "dgamma_without_x_hat": "dgamma = sum over the rows of dout * x_hat (the normalised input), not of dout alone",
    "dgamma_rows": "dgamma is summed over the wrong axis: sum over the rows (axis 0), one entry per feature",
    "dbeta_rows": "dbeta is summed over the wrong axis: dbeta = dout.sum(axis=0), one entry per feature",
}


def norm_wrong(case: NormCase, axis: int) -> dict:
    """The known mistakes of a normalisation backward (axis 0: batchnorm, 1: layernorm)."""
    x, gamma, dout, eps = case.x, case.gamma, case.dout, case.eps
    mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
    inv, x_hat = 1 / np.sqrt(var + eps), (x - mean) / np.sqrt(var + eps)
    g = dout * gamma
    wrong = {
        "no_var_path": {"dx": inv * (g - g.mean(axis=axis, keepdims=True))},
        "no_mean_path": {"dx": inv * (g - x_hat * (g * x_hat).mean(axis=axis, keepdims=True))},
        "constant_statistics": {"dx": inv * g},
        "dgamma_without_x_hat": {"dgamma": dout.sum(axis=0)},
        "dgamma_rows": {"dgamma": (dout * x_hat).sum(axis=1)},
        "dbeta_rows": {"dbeta": dout.sum(axis=1)},
    }
    if axis == 1:  # layernorm written with batchnorm's sums over the batch
        n = x.shape[0]
        wrong["batch_sums"] = {"dx": inv / n * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))}
    return wrong


@check(examples=25)
@examples("case", BATCHNORM_EXAMPLES)
@given(case=norm_cases(axis=0))
def batchnorm_backward_matches_autograd_and_central_differences(learner, case):
    """batchnorm_backward(dout, cache) after a training-mode forward gives dx, dgamma, dbeta equal to autograd's and to central differences (1e-7)."""
    args = [case.x, case.gamma, case.beta, {"mode": "train", "eps": case.eps}]
    reply = run_layer(learner, "batchnorm", args, case.dout, 3)
    check_backward(reply, ["dx", "dgamma", "dbeta"], args[:3], [True, True, True], O.torch_batchnorm_train(case.eps),
                   lambda x, g, b: O.batchnorm_train(x, g, b, case.eps), case.dout,
                   diagnoses_from(norm_wrong(case, 0), BATCHNORM_BACKWARD_MISTAKES), "batchnorm_backward(dout, cache)")


# -- layernorm ---------------------------------------------------------------------------------------------------------
@check(examples=25)
@examples("case", LAYERNORM_EXAMPLES)
@given(case=norm_cases(axis=1))
def layernorm_forward_normalises_each_row(learner, case):
    """layernorm_forward(x, gamma, beta, ln_param) normalises each row over its features (biased variance, eps inside the square root)."""
    x, gamma, beta, eps = case.x, case.gamma, case.beta, case.eps
    result = learner.layernorm_forward(x, gamma, beta, {"eps": eps})
    if not isinstance(result, tuple) or len(result) != 2:
        fail("layernorm_forward(x, gamma, beta, ln_param) should return a pair (out, cache)")
    expected = O.layernorm(x, gamma, beta, eps)[0]
    with after_calling(f"layernorm_forward(x, gamma, beta, {{'eps': {eps!r}}})"):
        assert_close(result[0], expected, what="out", rtol=RTOL, atol=ATOL, diagnoses=[
            Diagnosis("the statistics are taken over the batch (axis 0), as in batchnorm; layernorm normalises each row over "
                      "its own features (axis 1)", lambda: O.batchnorm_train(x, gamma, beta, eps)[0]),
            Diagnosis("the rows are normalised with the unbiased variance (D - 1); use the biased one, x.var(axis=1)",
                      lambda: gamma * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps) + beta),
            Diagnosis("eps is added after the square root: divide by sqrt(var + eps)",
                      lambda: gamma * (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + eps) + beta),
            Diagnosis("ln_param['eps'] is ignored: the default 1e-5 is only for an ln_param without it",
                      lambda: O.layernorm(x, gamma, beta, 1e-5)[0]),
        ])


LAYERNORM_BACKWARD_MISTAKES = {
    **BATCHNORM_BACKWARD_MISTAKES,
    "no_var_path": "dx leaves out the path through each row's variance: dx = gamma-weighted dout minus its row mean minus "
                   "x_hat times the row mean of (that * x_hat), all times inv_std",
    "no_mean_path": "dx leaves out the path through each row's mean: dx = gamma-weighted dout minus its row mean minus "
                    "x_hat times the row mean of (that * x_hat), all times inv_std",
    "constant_statistics": "dx treats each row's mean and variance as constants; both depend on every feature of the row",
    "batch_sums": "dx sums over the batch (axis 0), as batchnorm does; layernorm's statistics are per row, so the sums in dx "
                  "run over the features (axis 1, keepdims=True)",
}


@check(examples=25)
@examples("case", LAYERNORM_EXAMPLES)
@given(case=norm_cases(axis=1))
def layernorm_backward_matches_autograd_and_central_differences(learner, case):
    """layernorm_backward(dout, cache) gives dx, dgamma, dbeta equal to autograd's (F.layer_norm) and to central differences (1e-7)."""
    args = [case.x, case.gamma, case.beta, {"eps": case.eps}]
    reply = run_layer(learner, "layernorm", args, case.dout, 3)
    check_backward(reply, ["dx", "dgamma", "dbeta"], args[:3], [True, True, True], O.torch_layernorm(case.eps),
                   lambda x, g, b: O.layernorm(x, g, b, case.eps), case.dout,
                   diagnoses_from(norm_wrong(case, 1), LAYERNORM_BACKWARD_MISTAKES), "layernorm_backward(dout, cache)")


# -- dropout --------------------------------------------------------------------------------------------------------
def dropout_variants(case: DropoutCase) -> list:
    x, p, seed = case.x, case.p, case.seed
    r = np.random.RandomState(seed).random_sample(x.shape)
    mask = (r < p) / p
    if case.mode == "test":
        return [
            Diagnosis("test mode scales the units by p: with inverted dropout the scaling happened in training, so test mode "
                      "is the identity, out = x", lambda: x * p),
            Diagnosis("test mode divides by p: with inverted dropout test mode is the identity, out = x", lambda: x / p),
            Diagnosis("test mode applies a dropout mask: in test mode out = x", lambda: x * mask),
        ]
    variants = [
        Diagnosis("the kept units are not scaled by 1 / p: mask = (np.random.rand(*x.shape) < p) / p, so that the expected "
                  "output equals x", lambda: x * (r < p)),
        Diagnosis("p is used as the probability of dropping a unit; it is the probability of keeping one: mask = "
                  "(np.random.rand(*x.shape) < p) / p", lambda: x * (r >= p) / (1 - p) if p < 1 else x),
        Diagnosis("p is used as the probability of dropping a unit; it is the probability of keeping one: mask = "
                  "(np.random.rand(*x.shape) < p) / p", lambda: x * (r < 1 - p) / (1 - p) if p < 1 else x),
        Diagnosis("the mask comes from np.random.default_rng(seed); this exercise draws it from NumPy's global generator: "
                  "np.random.seed(seed), then np.random.rand(*x.shape)",
                  lambda: x * (np.random.default_rng(seed).random(x.shape) < p) / p),
    ]
    return variants


@check(examples=20)
@examples("case", DROPOUT_EXAMPLES)
@given(case=dropout_cases())
def dropout_forward_keeps_units_with_probability_p_and_scales_them(learner, case):
    """dropout_forward in train mode gives x * (np.random.rand(*x.shape) < p) / p after np.random.seed(seed); in test mode, x itself."""
    x = case.x
    result = learner.dropout_forward(x, case.param())
    if not isinstance(result, tuple) or len(result) != 2:
        fail("dropout_forward(x, dropout_param) should return a pair (out, cache)")
    expected = x * O.dropout_mask(x.shape, case.p, case.seed) if case.mode == "train" else x
    with after_calling(f"dropout_forward(x, {case.param()})"):
        assert_close(result[0], expected, what="out", rtol=RTOL, atol=ATOL, diagnoses=dropout_variants(case))


@check(examples=15)
@examples("case", DROPOUT_EXAMPLES)
@given(case=dropout_cases())
def dropout_backward_uses_the_same_mask(learner, case):
    """dropout_backward gives dout * mask after a training forward (the mask already holds the 1 / p) and dout after a test forward."""
    mask = O.dropout_mask(case.x.shape, case.p, case.seed) if case.mode == "train" else np.ones_like(case.x)
    reply = run_layer(learner, "dropout", [case.x, case.param()], case.dout, 1)
    dout = case.dout
    check_backward(reply, ["dx"], [case.x], [True], O.torch_dropout(mask), lambda x: O.dropout(x, mask), dout, {"dx": [
        Diagnosis("dx is scaled by 1 / p once more: the mask already holds the 1 / p, dx = dout * mask", lambda: dout * mask / case.p),
        Diagnosis("the mask is ignored: in train mode dx = dout * mask, the same mask as the forward pass", lambda: dout),
    ]}, f"dropout_backward(dout, cache) after dropout_forward(x, {case.param()})")


# -- the network ---------------------------------------------------------------------------------------------------
@dataclass
class LayoutCase:
    hidden_dims: list
    input_dim: int
    num_classes: int
    normalization: str | None
    dropout_keep_ratio: float
    weight_scale: float
    seed: int | None
    dtype: str = "float64"

    def config(self) -> dict:
        return {"hidden_dims": self.hidden_dims, "input_dim": self.input_dim, "num_classes": self.num_classes,
                "normalization": self.normalization, "dropout_keep_ratio": self.dropout_keep_ratio,
                "weight_scale": self.weight_scale, "seed": self.seed}

    def describe_for_learner(self) -> dict:
        return {"call": "FullyConnectedNet(" + ", ".join(f"{k}={v!r}" for k, v in self.config().items()) + f", dtype=np.{self.dtype})"}


LAYOUT_EXAMPLES = [
    LayoutCase([50], 40, 30, None, 1, 1e-2, None),  # enough weights to see their scale
    LayoutCase([60, 40], 30, 10, "batchnorm", 0.5, 0.1, 3),
    LayoutCase([], 20, 5, None, 1, 5e-2, None),
    LayoutCase([8, 7], 6, 4, "layernorm", 0.75, 1e-3, 11, "float32"),
]


@check(examples=10)
@examples("case", LAYOUT_EXAMPLES)
@given(case=st.builds(LayoutCase, st.lists(st.integers(1, 8), max_size=3), st.integers(1, 8), st.integers(1, 6),
                      st.sampled_from([None, "batchnorm", "layernorm"]), st.sampled_from([1, 0.5]),
                      st.sampled_from([1e-2, 1e-3]), st.sampled_from([None, 0, 5]), st.sampled_from(["float64", "float32"])))
def net_parameters_have_the_documented_layout(learner, case):
    """FullyConnectedNet(...).params holds W1, b1, ... (and gamma, beta per hidden layer with normalization) of the documented shapes and dtype: W normal with std weight_scale, b 0, gamma 1, beta 0."""
    reply = learner._drive(DRIVER + "net_layout", case.config(), case.dtype)
    if reply.get("problem"):
        fail(reply["problem"])
    call = case.describe_for_learner()["call"]
    sizes = [case.input_dim, *case.hidden_dims, case.num_classes]
    expected = {}
    for i in range(1, len(sizes)):
        expected[f"W{i}"], expected[f"b{i}"] = (sizes[i - 1], sizes[i]), (sizes[i],)
        if case.normalization and i < len(sizes) - 1:
            expected[f"gamma{i}"], expected[f"beta{i}"] = (sizes[i],), (sizes[i],)
    params = reply["params"]
    if sorted(params) != sorted(expected):
        fail(f"{call}.params has the keys {sorted(params)}; expected {sorted(expected)}")
    for name, shape in expected.items():
        array = as_array(params[name], f"{call}.params[{name!r}]", shape)
        if reply["dtypes"][name] != case.dtype:
            fail(f"{call}.params[{name!r}] has dtype {reply['dtypes'][name]}; every parameter should have dtype {case.dtype} "
                 "(.astype(dtype))")
        constant = {"b": 0.0, "gamma": 1.0, "beta": 0.0}.get(name.rstrip("0123456789"))
        if constant is not None and not np.all(array == constant):
            fail(f"{call}.params[{name!r}] = {show(array)}; it should start as all {constant:g}")
        if name.startswith("W") and array.size >= 1000:
            std, mean = float(array.std()), float(array.mean())
            if not (0.9 * case.weight_scale <= std <= 1.1 * case.weight_scale) or abs(mean) > 0.15 * case.weight_scale:
                fail(f"{call}.params[{name!r}] has mean {mean:.3g} and standard deviation {std:.3g} over {array.size} "
                     f"weights; a normal with mean 0 and std weight_scale = {case.weight_scale:g} gives a std within 10 % of "
                     "it (weight_scale * np.random.randn(...))")
        if name.startswith("W") and array.size > 1 and np.all(array == array.flat[0]):
            fail(f"{call}.params[{name!r}] has every entry equal: random weights break the symmetry between units")
    dropout_param = reply["dropout_param"]
    if dropout_param is None:
        fail(f"{call} has no dropout_param dict: keep self.dropout_param = {{'mode': 'train', 'p': dropout_keep_ratio}}")
    if float(dropout_param.get("p", np.nan)) != case.dropout_keep_ratio:
        fail(f"{call}.dropout_param = {show(dropout_param)}; its 'p' is the keep ratio {case.dropout_keep_ratio!r}")
    if case.seed is not None and float(dropout_param.get("seed", np.nan)) != case.seed:
        fail(f"{call}.dropout_param = {show(dropout_param)}; with seed={case.seed} it holds 'seed': {case.seed}, so that "
             "dropout is deterministic")
    if case.normalization and reply["bn_params"] != len(case.hidden_dims):
        fail(f"{call} has {reply['bn_params']} bn_params; expected a list of {len(case.hidden_dims)} dicts, one per "
             "normalisation layer")


def run_net(learner, case: NetCase, calls: list) -> list:
    reply = learner._drive(DRIVER + "net_run", case.net.config(), case.net.params, calls)
    if reply.get("problem"):
        fail(reply["problem"])
    return reply["results"]


@check(examples=15)
@examples("case", NET_EXAMPLES)
@given(case=net_cases())
def net_scores_in_test_mode_follow_the_layers(learner, case):
    """loss(X) (no y: test mode, after the training calls loss(X_k, y_k)) gives the scores of affine - [norm] - relu - [dropout] ... - affine, dropout off and batchnorm on its running averages (1e-9)."""
    net, params = case.net, case.net.params
    calls = [[X, y] for X, y in case.batches] + [[case.X, None]]
    results = run_net(learner, case, calls)
    running = O.running_statistics(net, params, [X for X, _ in case.batches]) if net.normalization == "batchnorm" else None
    expected = O.net_forward(net, params, case.X, "test", running)[0]
    trained = f" after {len(case.batches)} training call{'s' if len(case.batches) != 1 else ''} loss(X_k, y_k)" if case.batches else ""
    diagnoses = [Diagnosis(message, lambda variant=variant: O.net_forward(net, params, case.X, "test", running, variant)[0])
                 for variant, message in (
                     ("batch_stats_in_test", "batchnorm runs in train mode when y is None: set every bn_param['mode'] to "
                                             "'test' so that it uses its running averages"),
                     ("dropout_in_test", "dropout is still on when y is None: set dropout_param['mode'] to 'test'"),
                     ("relu_before_norm", "the ReLU comes before the normalisation; the order is affine - norm - relu"))]
    with after_calling(f"{net.call()}.loss(X){trained}"):
        assert_close(results[-1].get("scores"), expected, what="scores", rtol=RTOL, atol=ATOL, diagnoses=diagnoses)


ROUNDING = 1e-10


def cancelled_by_batchnorm(net: Net) -> set:
    """The biases right before a batchnorm layer: the mean subtraction removes any shift they add,
    so their gradient is exactly 0 in theory, and in floating point whatever rounding leaves of a
    sum that cancels (no relative error can be asked of it)."""
    return {f"b{i}" for i in range(1, net.layers)} if net.normalization == "batchnorm" else set()


def zero_up_to_rounding(got, shape, what: str) -> None:
    array = as_array(got, what, shape)
    if np.abs(array).max(initial=0.0) > ROUNDING:
        fail(f"{what}: got {show(array)}; expected 0 up to rounding (|entry| <= {ROUNDING:g}): a bias right before "
             "batchnorm shifts every row of its column alike, and the mean subtraction takes that shift away again, "
             "so the loss does not depend on it")


NET_MISTAKES = {
    "reg_without_half": "the L2 term lacks its 0.5: loss += 0.5 * reg * sum(W**2), whose gradient is reg * W",
    "reg_on_every_parameter": "the biases (and gammas, betas) are regularised too; only the weights W1..WL are",
    "reg_missing": "the L2 regularisation is missing: loss += 0.5 * reg * sum(W**2) for every weight, grads[W] += reg * W",
    "reg_missing_in_the_loss": "the loss lacks the L2 term 0.5 * reg * sum(W**2) (the gradients have it)",
    "reg_missing_in_the_grads": "the gradients lack the L2 term reg * W (the loss has it)",
    "relu_before_norm": "the ReLU comes before the normalisation; the order is affine - norm - relu",
    "dropout_ignored": "dropout is not applied in train mode: with dropout_keep_ratio < 1 every hidden ReLU is followed by "
                       "dropout_forward(h, self.dropout_param)",
}


@check(examples=20)
@examples("case", NET_EXAMPLES)
@given(case=net_cases())
def net_loss_and_gradients_match_autograd_and_central_differences(learner, case):
    """loss(X, y) gives the softmax loss plus 0.5 * reg * sum(W**2) (1e-9) and grads equal to autograd's and to central differences (1e-7), with and without batchnorm, layernorm, dropout."""
    net, params, X, y = case.net, case.net.params, case.X, case.y
    (result,) = run_net(learner, case, [[X, y]])
    loss, grads = O.torch_net_loss(net, params, X, y)
    computed: dict = {}

    def wrong(variant):  # only when a diagnosis is asked for
        if variant not in computed:
            computed[variant] = O.torch_net_loss(net, params, X, y, variant)
        return computed[variant]

    with after_calling(f"{net.call()}.loss(X, y)"):
        got = assert_scalar(result["loss"], "loss")
        numpy_loss = O.net_loss(net, params, X, y)[0]
        if not (np.isclose(got, loss, rtol=RTOL, atol=ATOL) and np.isclose(got, numpy_loss, rtol=RTOL, atol=ATOL)):
            shown_got, shown_want = show_pair(got, loss)
            fail(f"loss: got {shown_got}, expected {shown_want} (rtol={RTOL:g})", got,
                 [Diagnosis(NET_MISTAKES[v], lambda v=v: wrong(v)[0]) for v in NET_MISTAKES],
                 passes=lambda value: bool(np.isclose(float(value), loss, rtol=RTOL, atol=ATOL)))
        got_grads = result["grads"]
        if sorted(got_grads) != sorted(params):
            fail(f"grads has the keys {sorted(got_grads)}; expected the keys of params, {sorted(params)}")
        for name in params:
            if name in cancelled_by_batchnorm(net):
                zero_up_to_rounding(got_grads[name], params[name].shape, f"grads[{name!r}]")
                continue
            compare_gradient(got_grads[name], grads[name], f"grads[{name!r}]",
                             [Diagnosis(NET_MISTAKES[v], lambda v=v, name=name: wrong(v)[1][name]) for v in NET_MISTAKES])
        for name in params:
            if name in cancelled_by_batchnorm(net):
                continue

            def forward(value, name=name):
                return O.net_loss(net, {**params, name: value}, X, y)

            compare_with_differences(np.asarray(got_grads[name], dtype=np.float64), grads[name], f"grads[{name!r}]", forward,
                                     [params[name]], 0, 1.0)
