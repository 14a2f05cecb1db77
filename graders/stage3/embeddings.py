"""Grader for stage3/embeddings: a word-embedding lookup, a temporal affine layer, a masked temporal softmax loss and
the skip-gram negative-sampling loss, forward and backward, in NumPy.

Everything is compared with torch in float64: forwards (F.embedding, x @ w + b, cross_entropy masked and divided by
N, logsigmoid) to 1e-10, backwards with torch autograd of sum(out * upstream) or of the loss (CS231n's relative
error, at most 1e-8), and on small fixed cases with central differences of the learner's own forwards (1e-7). The
backward passes run on the learner's own cache.

The structural cases run on every grading as explicit examples: an index repeated within a sequence, across the
batch and everywhere, a vocabulary row never used; N = 1, T = 1 and T = M, N = M (where db summed over the wrong
axes has the right shape); masks with positions masked out, a whole sequence masked out and the number of
masked-in positions unlike N and N * T; scores and dot products of +-1000; K = 1 and a negative word drawn twice.
A property check changes x and y only where the mask is False and asks for the same loss and a dx that is 0 there.

Known mistakes are simulated in NumPy on the same input and named only when the learner's numbers are theirs (and
differ from the right ones): fancy-index += losing repeated indices, db summed over the wrong axes or averaged, dw
from the last step only, the mask ignored, the loss divided by the masked-in count or by N * T, softmax without
its maximum subtracted, and sign errors or a missing term in the skip-gram gradients.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from mldojo.graders.kit import (Diagnosis, after_calling, as_array, assert_close, assert_gradient_close, assert_scalar, check,
                                example, fail, given, numerical_gradient)
from mldojo.graders.kit.asserts import assert_shape, name_mistakes, returned_parts
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.softmax_mistakes import same_numbers

VERSION = "1"
RTOL, ATOL = 1e-10, 1e-12  # forwards and losses against torch
AUTOGRAD_ERROR = 1e-8  # backwards against torch autograd (relative error)
FD_ERROR, FD_H, FD_ATOL = 1e-7, 1e-5, 1e-9  # central differences of the learner's own forwards
HUGE_RTOL, HUGE_ATOL = 1e-9, 1e-9  # at scores of +-1000


def _attach(cases, name: str = "case"):
    """@example(case=...) for each case, in order: inputs tried on every grading."""
    def attach(function):
        for case in reversed(cases):
            function = example(**{name: case})(function)
        return function

    return attach


def _draw(rng: np.random.Generator, shape, grid: bool, scale: float = 1.0) -> np.ndarray:
    """Quarters in [-1, 1] (readable counterexamples) or Gaussian values."""
    return rng.integers(-4, 5, shape) * 0.25 if grid else rng.standard_normal(shape) * scale


def _t(array, grad: bool = True) -> torch.Tensor:
    torch.set_num_threads(1)  # tiny tensors: more threads only spin
    return torch.tensor(np.asarray(array, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def _diagnoses(simulate, mistakes: dict, key: str) -> list[Diagnosis]:
    return [Diagnosis(message, lambda m=m: simulate(m)[key]) for m, message in mistakes.items()]


# -- word embedding -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """x (N, T) indices into W (V, D), and dout (N, T, D), the upstream gradient of out."""

    x: np.ndarray
    W: np.ndarray
    dout: np.ndarray

    def describe_for_learner(self) -> dict:
        return {"x": self.x, "W": self.W, "dout": self.dout}


def make_lookup(x, d: int, seed: int, grid: bool = False, vocab: int | None = None) -> Lookup:
    x = np.asarray(x, dtype=np.int64)
    rng = np.random.default_rng(seed)
    v = int(x.max()) + 1 if vocab is None else vocab
    return Lookup(x, _draw(rng, (v, d), grid), _draw(rng, (*x.shape, d), grid))


@st.composite
def lookups(draw) -> Lookup:
    """N 1-3, T 1-4, V 1-5 (few words for many positions: repeats are common), D 1-4."""
    n, t, v, d = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    x = np.random.default_rng(seed + 1).integers(0, v, (n, t))
    return make_lookup(x, d, seed, draw(st.booleans()), vocab=v)


LOOKUP_EXAMPLES = [
    make_lookup([[0, 2, 0], [2, 2, 1]], 3, seed=1, vocab=4),  # repeats in a row and across rows; row 3 never used
    make_lookup([[1], [1], [0]], 2, seed=2, grid=True),  # T = 1: the repeat is across the batch only
    make_lookup([[3, 3, 3, 3]], 2, seed=3, vocab=5),  # N = 1: one word everywhere
    make_lookup([[0, 1], [2, 3]], 4, seed=4, grid=True),  # no repeat at all
]


def lookup_dW(case: Lookup, mistake: str | None = None) -> np.ndarray:
    """dW as the right np.add.at, or as a known way of losing repeated indices, computes it."""
    x, dout = case.x, case.dout
    dW = np.zeros_like(case.W)
    if mistake is None:
        np.add.at(dW, x, dout)
    elif mistake == "fancy":
        dW[x] += dout
    elif mistake == "rows":
        for n in range(x.shape[0]):
            dW[x[n]] += dout[n]
    elif mistake == "steps":
        for t in range(x.shape[1]):
            dW[x[:, t]] += dout[:, t]
    return dW


LOOKUP_MISTAKES = {
    "fancy": "repeated indices are not added up: dW[x] += dout is buffered, so a word that appears at several positions "
             "keeps the gradient of only one of them; np.add.at(dW, x, dout) adds every one",
    "rows": "a word repeated within one sequence keeps the gradient of only one position: dW[x[n]] += dout[n] still loses "
            "the repeats inside x[n]; np.add.at(dW, x, dout) adds every one",
    "steps": "a word repeated across the batch at one time step keeps the gradient of only one sequence: "
             "dW[x[:, t]] += dout[:, t] still loses the repeats inside x[:, t]; np.add.at(dW, x, dout) adds every one",
}


def torch_lookup(case: Lookup) -> dict:
    W = _t(case.W)
    out = F.embedding(torch.tensor(case.x), W)
    (out * torch.tensor(case.dout)).sum().backward()
    return {"out": out.detach().numpy(), "dW": W.grad.numpy()}


@check(examples=25)
@_attach(LOOKUP_EXAMPLES)
@given(case=lookups())
def word_embedding_forward_matches_torch(learner, case):
    """word_embedding_forward(x, W) gives out[n, t] = W[x[n, t]], torch.nn.functional.embedding's output (1e-10)."""
    result = returned_parts(learner.word_embedding_forward(case.x, case.W), 2, "word_embedding_forward(x, W)", "out, cache")
    want = torch_lookup(case)["out"]
    assert_shape(result[0], want.shape, "out from word_embedding_forward(x, W)", diagnoses=[
        Diagnosis("out is indexed with x transposed: out[n, t] = W[x[n, t]], of shape (N, T, D)", lambda: case.W[case.x.T])])
    assert_close(result[0], want, what="out from word_embedding_forward(x, W)", rtol=RTOL, atol=ATOL)


@check(examples=25)
@_attach(LOOKUP_EXAMPLES)
@given(case=lookups())
def word_embedding_backward_adds_up_repeated_indices(learner, case):
    """word_embedding_backward(dout, cache) gives autograd's dW, repeated words summed, unused words 0 (1e-8).

    A word used at several positions (within a sequence or across the batch) gets the sum of their gradients."""
    _out, cache = returned_parts(learner.word_embedding_forward(case.x, case.W), 2, "word_embedding_forward(x, W)", "out, cache")
    dW = learner.word_embedding_backward(case.dout, cache)
    assert_gradient_close(dW, torch_lookup(case)["dW"], what="dW from word_embedding_backward(dout, cache)",
                          max_relative_error=AUTOGRAD_ERROR, diagnoses=_diagnoses(lambda m: {"dW": lookup_dW(case, m)}, LOOKUP_MISTAKES, "dW"))


# -- temporal affine -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Affine:
    """x (N, T, D), w (D, M), b (M,), and dout (N, T, M)."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    dout: np.ndarray

    def describe_for_learner(self) -> dict:
        return {"x": self.x, "w": self.w, "b": self.b, "dout": self.dout}


def make_affine(n: int, t: int, d: int, m: int, seed: int, grid: bool = False) -> Affine:
    rng = np.random.default_rng(seed)
    return Affine(_draw(rng, (n, t, d), grid), _draw(rng, (d, m), grid), _draw(rng, (m,), grid), _draw(rng, (n, t, m), grid))


@st.composite
def affines(draw) -> Affine:
    """N 1-3, T 1-4, D 1-4, M 1-4."""
    n, t, d, m = (draw(st.integers(1, k)) for k in (3, 4, 4, 4))
    return make_affine(n, t, d, m, draw(st.integers(0, 2**31 - 1)), draw(st.booleans()))


AFFINE_SHAPES = [(2, 3, 4, 5, False), (1, 1, 2, 3, False), (3, 3, 2, 3, True), (2, 4, 3, 2, False), (3, 2, 3, 3, False)]  # (N, T, D, M, grid)
AFFINE_EXAMPLES = [make_affine(n, t, d, m, seed=30 + k, grid=grid) for k, (n, t, d, m, grid) in enumerate(AFFINE_SHAPES)]


def affine_numpy(case: Affine, mistake: str | None = None) -> dict:
    """The temporal affine layer's output and gradients with one known mistake (None: the right numbers)."""
    x, w, b, dout = case.x, case.w, case.b, case.dout
    n, t, d = x.shape
    m = w.shape[1]
    out = x @ w + (0.0 if mistake == "no_bias" else b)
    dx = dout @ (w if mistake == "dx_no_transpose" else w.T)
    dw = x[:, -1].T @ dout[:, -1] if mistake == "dw_last_step" else x.reshape(-1, d).T @ dout.reshape(-1, m)
    if mistake == "dw_mean":
        dw = dw / (n * t)
    db = {"db_axis0": lambda: dout.sum(axis=0), "db_axes_02": lambda: dout.sum(axis=(0, 2)),
          "db_axes_12": lambda: dout.sum(axis=(1, 2)), "db_mean": lambda: dout.mean(axis=(0, 1))}.get(mistake, lambda: dout.sum(axis=(0, 1)))()
    return {"out": out, "flat_out": (x @ w + b).reshape(n * t, m), "dx": dx, "dw": dw, "db": db}


AFFINE_BACKWARD_MISTAKES = {
    "dx_no_transpose": "dx = dout @ w multiplies by w where its transpose belongs: dx = dout @ w.T, of shape (N, T, D)",
    "dw_last_step": "dw comes from the last time step only: w is used at every step, so dw adds x[:, t].T @ dout[:, t] over "
                    "every t (and the batch): x.reshape(N * T, D).T @ dout.reshape(N * T, M)",
    "dw_mean": "dw is averaged over the N * T positions: the gradient of a shared weight is a sum",
    "db_axis0": "db keeps the time axis: the bias is shared by every example and every step, so sum over both, "
                "dout.sum(axis=(0, 1))",
    "db_axes_02": "db is summed over the batch and the output axis: it keeps M, and sums over N and T, dout.sum(axis=(0, 1))",
    "db_axes_12": "db is summed over the time and output axes: it keeps M, and sums over N and T, dout.sum(axis=(0, 1))",
    "db_mean": "db is averaged over N and T: the gradient of a shared bias is a sum, dout.sum(axis=(0, 1))",
}


def torch_affine(case: Affine) -> dict:
    x, w, b = _t(case.x), _t(case.w), _t(case.b)
    out = x @ w + b
    (out * torch.tensor(case.dout)).sum().backward()
    return {"out": out.detach().numpy(), "dx": x.grad.numpy(), "dw": w.grad.numpy(), "db": b.grad.numpy()}


@check(examples=25)
@_attach(AFFINE_EXAMPLES)
@given(case=affines())
def temporal_affine_forward_matches_torch(learner, case):
    """temporal_affine_forward(x, w, b) gives x @ w + b at every time step, of shape (N, T, M) (1e-10)."""
    result = returned_parts(learner.temporal_affine_forward(case.x, case.w, case.b), 2, "temporal_affine_forward(x, w, b)", "out, cache")
    want = torch_affine(case)["out"]
    what = "out from temporal_affine_forward(x, w, b)"
    assert_shape(result[0], want.shape, what, diagnoses=[
        Diagnosis("out keeps the flattened shape (N * T, M): reshape it back to (N, T, M)", lambda: affine_numpy(case)["flat_out"])])
    assert_close(result[0], want, what=what, rtol=RTOL, atol=ATOL, diagnoses=[
        Diagnosis("the bias b is not added: out = x @ w + b", lambda: affine_numpy(case, "no_bias")["out"])])


@check(examples=25)
@_attach(AFFINE_EXAMPLES)
@given(case=affines())
def temporal_affine_backward_matches_autograd(learner, case):
    """temporal_affine_backward(dout, cache) gives autograd's dx, dw, db, with dw and db summed over N and T (1e-8)."""
    _out, cache = returned_parts(learner.temporal_affine_forward(case.x, case.w, case.b), 2, "temporal_affine_forward(x, w, b)",
                         "out, cache")
    call = "temporal_affine_backward(dout, cache)"
    grads = dict(zip(("dx", "dw", "db"), returned_parts(learner.temporal_affine_backward(case.dout, cache), 3, call, "dx, dw, db")))
    want = torch_affine(case)
    simulate = lambda m: affine_numpy(case, m)  # noqa: E731
    for name, value in grads.items():
        diagnoses = _diagnoses(simulate, AFFINE_BACKWARD_MISTAKES, name)
        assert_shape(value, want[name].shape, f"{name} from {call}", diagnoses=diagnoses)
        assert_gradient_close(value, want[name], what=f"{name} from {call}", max_relative_error=AUTOGRAD_ERROR, diagnoses=diagnoses)


# -- temporal softmax loss --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scores:
    """x (N, T, V) scores, y (N, T) targets, mask (N, T) booleans."""

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray

    def describe_for_learner(self) -> dict:
        return {"x": self.x, "y": self.y, "mask": self.mask}


def make_scores(mask, v: int, seed: int, grid: bool = False, scale: float = 1.0) -> Scores:
    mask = np.asarray(mask, dtype=bool)
    rng = np.random.default_rng(seed)
    x = _draw(rng, (*mask.shape, v), grid, scale)
    return Scores(x, rng.integers(0, v, mask.shape).astype(np.int64), mask)


@st.composite
def score_cases(draw) -> Scores:
    """N 1-3, T 1-4, V 2-5, a random mask (a masked-out position most of the time)."""
    n, t, v = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    mask = np.random.default_rng(seed + 1).random((n, t)) < draw(st.sampled_from([0.5, 0.8, 1.0]))
    return make_scores(mask, v, seed, draw(st.booleans()), draw(st.sampled_from([1.0, 3.0])))


SCORE_EXAMPLES = [
    make_scores([[1, 1, 0], [1, 0, 0]], 4, seed=50),  # 3 masked-in positions, N = 2, N * T = 6
    make_scores([[1, 1, 1, 0]], 3, seed=51, grid=True),  # N = 1: only the mask tells the conventions apart
    make_scores([[1, 0], [0, 0], [1, 1]], 5, seed=52),  # a whole sequence masked out
    make_scores([[1, 1], [1, 1]], 3, seed=53),  # nothing masked out: N * T = 4, N = 2
]


def softmax_numpy(case: Scores, mistake: str | None = None) -> dict:
    """The masked temporal softmax loss and dx with one known mistake (None: the right numbers)."""
    x, y, mask = case.x, case.y, case.mask
    n, t, v = x.shape
    flat, targets, keep = x.reshape(-1, v), y.reshape(-1), mask.reshape(-1).astype(float)
    shifted = flat - flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n * t)
    one_hot = np.zeros_like(flat)
    one_hot[rows, targets] = 1.0
    probs = np.exp(log_probs)
    with np.errstate(all="ignore"):
        divide = {"per_token": keep.sum(), "per_position": float(n * t), "no_divide": 1.0}.get(mistake, float(n))
    weight = np.ones_like(keep) if mistake == "mask_ignored" else keep
    loss = -np.sum(log_probs[rows, targets] * weight)
    dx = (probs - (0.0 if mistake == "no_minus_one" else one_hot)) * (np.ones_like(keep) if mistake == "dx_unmasked" else weight)[:, None]
    with np.errstate(all="ignore"):
        return {"loss": loss / divide, "dx": (dx / divide).reshape(n, t, v)}


SOFTMAX_LOSS_MISTAKES = {
    "mask_ignored": "the mask is ignored: positions with mask False are counted in the loss; sum only over the positions "
                    "with mask True",
    "per_token": "the loss is divided by the number of masked-in positions, mask.sum(); the convention here (CS231n's) "
                 "divides the masked sum by N, the batch size",
    "per_position": "the loss is divided by N * T; the convention here divides the masked sum by N, the batch size",
    "no_divide": "the loss is not divided by N, the batch size",
}
SOFTMAX_DX_MISTAKES = {
    "mask_ignored": "dx is not 0 where mask is False: those positions are not in the loss, so multiply dx by the mask",
    "per_token": "dx is divided by the number of masked-in positions; like the loss, it is divided by N, the batch size",
    "per_position": "dx is divided by N * T; like the loss, it is divided by N, the batch size",
    "no_divide": "dx is not divided by N, the batch size, as the loss is",
    "no_minus_one": "dx misses the -1 at each target: dx = mask * (softmax(x) - one_hot(y)) / N",
}


def torch_softmax(case: Scores) -> dict:
    n, t, v = case.x.shape
    x = _t(case.x)
    each = F.cross_entropy(x.reshape(n * t, v), torch.tensor(case.y.reshape(-1)), reduction="none")
    loss = (each * torch.tensor(case.mask.reshape(-1), dtype=torch.float64)).sum() / n
    loss.backward()
    return {"loss": float(loss.detach()), "dx": x.grad.numpy()}


def _loss_and_dx(learner, case: Scores, call: str = "temporal_softmax_loss(x, y, mask)"):
    return returned_parts(learner.temporal_softmax_loss(case.x, case.y, case.mask), 2, call, "loss, dx")


def _compare_loss(got, want: float, what: str, rtol: float, atol: float, diagnoses=()) -> float:
    value = assert_scalar(got, what)
    if not np.isclose(value, want, rtol=rtol, atol=atol):
        shown_got, shown_want = show_pair(value, want)
        fail(f"{what}: got {shown_got}, expected {shown_want} (rtol={rtol:g})", value, diagnoses,
             passes=lambda v: bool(np.isclose(float(v), want, rtol=rtol, atol=atol)))
    return value


@check(examples=30)
@_attach(SCORE_EXAMPLES)
@given(case=score_cases())
def temporal_softmax_loss_matches_torch(learner, case):
    """temporal_softmax_loss(x, y, mask) gives the masked cross-entropy summed and divided by N, and autograd's dx.

    The loss is torch's cross_entropy at every position, times the mask, summed, divided by N (1e-10); dx is compared with
    autograd (1e-8)."""
    loss, dx = _loss_and_dx(learner, case)
    want = torch_softmax(case)
    simulate = lambda m: softmax_numpy(case, m)  # noqa: E731
    with after_calling("temporal_softmax_loss(x, y, mask)"):
        _compare_loss(loss, want["loss"], "loss", RTOL, ATOL, _diagnoses(simulate, SOFTMAX_LOSS_MISTAKES, "loss"))
        assert_gradient_close(dx, want["dx"], what="dx", max_relative_error=AUTOGRAD_ERROR,
                              diagnoses=_diagnoses(simulate, SOFTMAX_DX_MISTAKES, "dx"))


@dataclass(frozen=True)
class Masked:
    """A scores case, and the same case with x and y changed only where mask is False."""

    scores: Scores
    x_changed: np.ndarray
    y_changed: np.ndarray

    def describe_for_learner(self) -> dict:
        return {**self.scores.describe_for_learner(), "x_changed": self.x_changed, "y_changed": self.y_changed}


def make_masked(scores: Scores, seed: int) -> Masked:
    rng = np.random.default_rng(seed)
    out = ~scores.mask
    x2, y2 = scores.x.copy(), scores.y.copy()
    x2[out] = rng.uniform(-20.0, 20.0, x2[out].shape)
    y2[out] = (y2[out] + rng.integers(1, scores.x.shape[2], y2[out].shape)) % scores.x.shape[2]
    return Masked(scores, x2, y2)


@st.composite
def masked_cases(draw) -> Masked:
    """A score case with at least one masked-out position, changed there."""
    scores = draw(score_cases())
    if scores.mask.all():
        mask = scores.mask.copy()
        mask.flat[draw(st.integers(0, mask.size - 1))] = False
        scores = Scores(scores.x, scores.y, mask)
    return make_masked(scores, draw(st.integers(0, 2**31 - 1)))


MASKED_EXAMPLES = [make_masked(s, seed=60 + k) for k, s in enumerate(SCORE_EXAMPLES[:3])]


@check(examples=25)
@_attach(MASKED_EXAMPLES)
@given(case=masked_cases())
def temporal_softmax_loss_ignores_masked_out_positions(learner, case):
    """Changing x and y only where mask is False changes neither the loss nor dx, and dx is 0 at those positions."""
    s = case.scores
    changed = Scores(case.x_changed, case.y_changed, s.mask)
    loss1, dx1 = _loss_and_dx(learner, s)
    loss2, dx2 = _loss_and_dx(learner, changed, "temporal_softmax_loss(x_changed, y_changed, mask)")
    shape = s.x.shape
    first = assert_scalar(loss1, "loss from temporal_softmax_loss(x, y, mask)")
    second = assert_scalar(loss2, "loss from temporal_softmax_loss(x_changed, y_changed, mask)")
    if not np.isclose(second, first, rtol=1e-12, atol=1e-15):
        fail(f"x and y were changed only where mask is False, and the loss moved from {show(first)} to {show(second)}: positions "
             "with mask False contribute nothing", second,
             [Diagnosis(SOFTMAX_LOSS_MISTAKES["mask_ignored"], lambda: softmax_numpy(changed, "mask_ignored")["loss"])],
             passes=lambda v: bool(np.isclose(float(v), first, rtol=1e-12, atol=1e-15)))
    out = ~s.mask
    for dx, where, inputs in ((dx1, "temporal_softmax_loss(x, y, mask)", s), (dx2, "temporal_softmax_loss(x_changed, y_changed, mask)", changed)):
        array = as_array(dx, f"dx from {where}", shape)
        if np.any(array[out] != 0):
            fail(f"dx from {where} is not 0 where mask is False: got {show(array[out])} at those positions (one row of V per "
                 "masked-out position); they are not in the loss", dx,
                 [Diagnosis(SOFTMAX_DX_MISTAKES["mask_ignored"], lambda inputs=inputs: softmax_numpy(inputs, "dx_unmasked")["dx"])],
                 passes=lambda v: not np.any(v[out] != 0))
    first_dx, second_dx = np.asarray(dx1, dtype=float), np.asarray(dx2, dtype=float)
    assert_close(second_dx[s.mask], first_dx[s.mask], what="dx where mask is True, after x and y changed only where mask is False",
                 rtol=1e-12, atol=1e-15)


def huge_variants(case: Scores) -> list[tuple[str, float, np.ndarray]]:
    """(mistake, loss, dx) as known unstable shortcuts compute them, NaN and inf included: no maximum subtracted
    (log of the sum of exps, or log of the probabilities), the whole batch's maximum, log of the softmax; the mask
    applied by multiplying or by selecting, dx from the probabilities or as exp of the log-probabilities."""
    x, y, mask = case.x, case.y, case.mask
    n, t, v = x.shape
    flat, targets, keep = x.reshape(-1, v), y.reshape(-1), mask.reshape(-1)
    rows = np.arange(n * t)
    found = []
    with np.errstate(all="ignore"):
        for mistake in ("no_max_logsumexp", "no_max_probs", "batch_max", "log_of_softmax"):
            top = {"no_max_logsumexp": 0.0, "no_max_probs": 0.0, "batch_max": flat.max()}.get(mistake, flat.max(axis=1, keepdims=True))
            e = np.exp(flat - top)
            probs = e / e.sum(axis=1, keepdims=True)
            log_probs = np.log(probs) if mistake in ("no_max_probs", "log_of_softmax") else (flat - top) - np.log(e.sum(axis=1, keepdims=True))
            picked = log_probs[rows, targets]
            losses = (-np.sum(picked * keep) / n, -np.sum(picked[keep]) / n)
            for loss, d, masking in itertools.product(losses, (probs, np.exp(log_probs)), ("multiply", "select")):
                d = d.copy()
                d[rows, targets] -= 1.0
                if masking == "multiply":
                    d = d * keep[:, None]
                else:
                    d[~keep] = 0.0
                found.append((mistake, float(loss), (d / n).reshape(n, t, v)))
    return found


OVERFLOW = ("exp overflows (or every exp underflows to 0) at scores this large: subtract the maximum over the V scores of each "
            "position before exp; softmax does not change when one number is taken from all V scores")
HUGE_MISTAKES = {
    "no_max_logsumexp": OVERFLOW,
    "no_max_probs": OVERFLOW,
    "batch_max": "the largest score of the whole batch is subtracted; a position whose scores all sit far below it underflows "
                 "to exp(...) = 0: subtract each position's own maximum, x.max(axis=-1, keepdims=True)",
    "log_of_softmax": "log of a probability that underflowed to 0: compute the log-probabilities directly, shifted - "
                      "log(sum(exp(shifted))), not log(softmax)",
}


def make_huge_scores(x, y, mask) -> Scores:
    return Scores(np.asarray(x, dtype=float), np.asarray(y, dtype=np.int64), np.asarray(mask, dtype=bool))


HUGE_SCORE_EXAMPLES = [
    make_huge_scores([[[1000.0, -1000.0, 0.0], [-1000.0, -999.0, -1000.0]], [[999.0, 1000.0, 998.0], [0.0, 1000.0, -1000.0]]],
                     [[1, 2], [0, 1]], [[1, 1], [1, 0]]),
    make_huge_scores([[[-1000.0, -999.5, -1001.0], [1000.0, 1000.0, -1000.0], [5.0, -1000.0, 1000.0]]], [[0, 1, 0]], [[1, 1, 1]]),
]


@st.composite
def huge_score_cases(draw) -> Scores:
    """Scores around +-1000 (each position's own level, spreads of 1 to 1000), a random mask."""
    n, t, v = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.choice([-1000.0, 1000.0], (n, t, 1)) + rng.normal(0, draw(st.sampled_from([1.0, 30.0, 1000.0])), (n, t, v))
    return Scores(x, rng.integers(0, v, (n, t)).astype(np.int64), rng.random((n, t)) < 0.7)


@check(examples=25)
@_attach(HUGE_SCORE_EXAMPLES)
@given(case=huge_score_cases())
def temporal_softmax_loss_stays_exact_at_huge_scores(learner, case):
    """temporal_softmax_loss stays finite and exact (1e-9) for scores of +-1000, positions far apart included."""
    want = torch_softmax(case)
    loss, dx = _loss_and_dx(learner, case)
    with after_calling("temporal_softmax_loss(x, y, mask) with scores of +-1000"):
        try:
            loss_array, dx_array = np.asarray(loss, dtype=float), np.asarray(dx, dtype=float)
        except (TypeError, ValueError):
            loss_array = dx_array = None
        if loss_array is not None and not (np.isfinite(loss_array).all() and np.isfinite(dx_array).all()):
            found = [HUGE_MISTAKES[mistake] for mistake, wrong_loss, wrong_dx in huge_variants(case)
                     if same_numbers(loss_array, wrong_loss) and same_numbers(dx_array, wrong_dx)]
            where = "loss" if not np.isfinite(loss_array).all() else "dx"
            fail(f"{where}: got {show(loss_array if where == 'loss' else dx_array)}: not finite (expected loss {want['loss']!r})",
                 diagnosis=name_mistakes(list(dict.fromkeys(found))))
        _compare_loss(loss, want["loss"], "loss", HUGE_RTOL, HUGE_ATOL)
        assert_close(dx, want["dx"], what="dx", rtol=HUGE_RTOL, atol=HUGE_ATOL)


# -- skip-gram with negative sampling -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Skipgram:
    """center_vec (D,), context_vec (D,), negative_vecs (K, D)."""

    center_vec: np.ndarray
    context_vec: np.ndarray
    negative_vecs: np.ndarray

    def describe_for_learner(self) -> dict:
        return {"center_vec": self.center_vec, "context_vec": self.context_vec, "negative_vecs": self.negative_vecs}


def make_skipgram(d: int, k: int, seed: int, grid: bool = False, repeat: bool = False) -> Skipgram:
    rng = np.random.default_rng(seed)
    negatives = _draw(rng, (k, d), grid)
    if repeat:  # the same word drawn twice as a negative
        negatives[-1] = negatives[0]
    return Skipgram(_draw(rng, (d,), grid), _draw(rng, (d,), grid), negatives)


@st.composite
def skipgrams(draw) -> Skipgram:
    """D 1-5, K 1-5, Gaussian or grid values (dot products well inside +-10)."""
    d, k = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return make_skipgram(d, k, draw(st.integers(0, 2**31 - 1)), draw(st.booleans()), draw(st.booleans()) and k > 1)


SKIPGRAM_EXAMPLES = [make_skipgram(3, 2, seed=70), make_skipgram(1, 1, seed=71, grid=True), make_skipgram(4, 4, seed=72, repeat=True),
                     make_skipgram(5, 3, seed=73, grid=True)]


def softplus(z):
    return np.logaddexp(0.0, z)


def stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def skipgram_numpy(case: Skipgram, mistake: str | None = None) -> dict:
    """The skip-gram loss and its gradients with one known mistake (None: the right numbers)."""
    c, o, negs = case.center_vec, case.context_vec, case.negative_vecs
    pos, neg = o @ c, negs @ c
    k = negs.shape[0]
    loss = softplus(-pos) + (np.mean(softplus(neg)) if mistake == "mean_negatives" else np.sum(softplus(-neg if mistake == "loss_neg_sign" else neg)))
    g_pos = 1.0 - stable_sigmoid(pos) if mistake == "pos_sign" else stable_sigmoid(pos) - 1.0
    g_neg = {"neg_sign": lambda: -stable_sigmoid(neg), "neg_flip": lambda: stable_sigmoid(-neg),
             "mean_negatives": lambda: stable_sigmoid(neg) / k}.get(mistake, lambda: stable_sigmoid(neg))()
    center_neg = {"center_neg_sign": -g_neg, "center_no_negatives": 0.0 * g_neg}.get(mistake, g_neg)
    return {"loss": float(loss), "d_center": g_pos * o + center_neg @ negs, "d_context": g_pos * c, "d_negatives": np.outer(g_neg, c)}


SKIPGRAM_LOSS_MISTAKES = {
    "loss_neg_sign": "the negative words' term is -log sigmoid(u_k . v_c); it is -log sigmoid(-u_k . v_c): a negative word "
                     "should score low",
    "mean_negatives": "the negative words' terms are averaged over K; the loss sums them",
}
SKIPGRAM_GRADIENT_MISTAKES = {
    "pos_sign": "the context word's gradient has the wrong sign: d loss / d(u_o . v_c) = sigmoid(u_o . v_c) - 1, which is "
                "negative (a higher score for the true context lowers the loss)",
    "neg_sign": "the negative words' gradient has the wrong sign: d loss / d(u_k . v_c) = sigmoid(u_k . v_c), which is "
                "positive (a higher score for a negative word raises the loss)",
    "neg_flip": "the negative words' gradient uses sigmoid(-u_k . v_c); the derivative of -log sigmoid(-s) with respect to s "
                "is sigmoid(s) = 1 - sigmoid(-s)",
    "center_neg_sign": "d_center subtracts the negative words' term: d_center = (sigmoid(u_o . v_c) - 1) * u_o "
                       "+ sum_k sigmoid(u_k . v_c) * u_k",
    "center_no_negatives": "d_center leaves out the negative words: every u_k . v_c depends on v_c too, adding "
                           "sigmoid(u_k . v_c) * u_k for each k",
    "mean_negatives": "the negative words' gradients are divided by K: the loss sums their terms",
}
SKIPGRAM_NAMES = ("loss", "d_center", "d_context", "d_negatives")
SKIPGRAM_CALL = "skipgram_negative_sampling_loss(center_vec, context_vec, negative_vecs)"


def torch_skipgram(case: Skipgram) -> dict:
    c, o, negs = _t(case.center_vec), _t(case.context_vec), _t(case.negative_vecs)
    loss = -F.logsigmoid(o @ c) - F.logsigmoid(-(negs @ c)).sum()
    loss.backward()
    return {"loss": float(loss.detach()), "d_center": c.grad.numpy(), "d_context": o.grad.numpy(), "d_negatives": negs.grad.numpy()}


def _skipgram(learner, case: Skipgram) -> dict:
    result = learner.skipgram_negative_sampling_loss(case.center_vec, case.context_vec, case.negative_vecs)
    return dict(zip(SKIPGRAM_NAMES, returned_parts(result, 4, SKIPGRAM_CALL, ", ".join(SKIPGRAM_NAMES))))


@check(examples=30)
@_attach(SKIPGRAM_EXAMPLES)
@given(case=skipgrams())
def skipgram_loss_and_gradients_match_torch(learner, case):
    """skipgram_negative_sampling_loss gives torch's loss (1e-10) and autograd's d_center, d_context, d_negatives (1e-8).

    The loss is -logsigmoid(u_o . v_c) - sum_k logsigmoid(-u_k . v_c)."""
    got = _skipgram(learner, case)
    want = torch_skipgram(case)
    simulate = lambda m: skipgram_numpy(case, m)  # noqa: E731
    with after_calling(SKIPGRAM_CALL):
        _compare_loss(got["loss"], want["loss"], "loss", RTOL, ATOL, _diagnoses(simulate, SKIPGRAM_LOSS_MISTAKES, "loss"))
        passed = []
        # d_center last: it mixes both kinds of terms, and a mistake is only named there when it leaves the gradients
        # already found right (d_context, d_negatives) right too.
        for name in ("d_context", "d_negatives", "d_center"):
            mistakes = {m: message for m, message in SKIPGRAM_GRADIENT_MISTAKES.items()
                        if all(np.allclose(simulate(m)[earlier], want[earlier], rtol=1e-6, atol=1e-9) for earlier in passed)}
            diagnoses = _diagnoses(simulate, mistakes, name)
            assert_shape(got[name], want[name].shape, name, diagnoses=diagnoses)
            assert_gradient_close(got[name], want[name], what=name, max_relative_error=AUTOGRAD_ERROR, diagnoses=diagnoses)
            passed.append(name)


def skipgram_huge_variants(case: Skipgram) -> list[tuple[list[str], dict]]:
    """(the unstable parts, outputs) of the ways learners write the loss and its gradients, NaN and inf included: the
    sigmoid as 1 / (1 + exp(-z)), as exp(z) / (1 + exp(z)), or stable; the loss as log of sigmoids (of -s or 1 -
    sigmoid(s)) or with logaddexp; the gradients from sigmoid(s) - 1 or -sigmoid(-s), sigmoid(s) or 1 - sigmoid(-s)."""
    c, o, negs = case.center_vec, case.context_vec, case.negative_vecs
    pos, neg = o @ c, negs @ c
    sigmoids = {"exp_neg": lambda z: 1.0 / (1.0 + np.exp(-z)), "exp_pos": lambda z: np.exp(z) / (1.0 + np.exp(z)), "stable": stable_sigmoid}
    found = []
    with np.errstate(all="ignore"):
        for (sig_name, sig), loss_form, pos_form, neg_form in itertools.product(sigmoids.items(), ("log_minus", "log_one_minus", "stable"),
                                                                               ("minus_one", "of_minus"), ("direct", "one_minus")):
            if loss_form == "log_minus":
                loss = -np.log(sig(pos)) - np.sum(np.log(sig(-neg)))
            elif loss_form == "log_one_minus":
                loss = -np.log(sig(pos)) - np.sum(np.log(1.0 - sig(neg)))
            else:
                loss = softplus(-pos) + np.sum(softplus(neg))
            g_pos = sig(pos) - 1.0 if pos_form == "minus_one" else -sig(-pos)
            g_neg = sig(neg) if neg_form == "direct" else 1.0 - sig(-neg)
            outputs = {"loss": loss, "d_center": g_pos * o + g_neg @ negs, "d_context": g_pos * c, "d_negatives": np.outer(g_neg, c)}
            # the arguments this combination hands to its sigmoid: a NaN there is the sigmoid's own doing
            used = [pos if pos_form == "minus_one" else -pos, neg if neg_form == "direct" else -neg]
            if loss_form != "stable":
                used += [pos, -neg if loss_form == "log_minus" else neg]
            unstable = []
            if loss_form != "stable" and np.isinf(loss):
                unstable.append(SKIPGRAM_LOG_OF_SIGMOID)
            if np.isnan(np.concatenate([np.atleast_1d(sig(z)) for z in used])).any():
                unstable.append(SKIPGRAM_NAN_SIGMOID)
            found.append((unstable, outputs))
    return found


SKIPGRAM_LOG_OF_SIGMOID = ("log of a sigmoid that rounded to 0: -log sigmoid(s) is log(1 + exp(-s)); compute it as "
                           "np.logaddexp(0, -s), which never overflows")
SKIPGRAM_NAN_SIGMOID = ("the sigmoid computed as exp(s) / (1 + exp(s)) is inf / inf = NaN at s = 1000: use 1 / (1 + exp(-s)) "
                        "for s >= 0 and exp(s) / (1 + exp(s)) for s < 0")


def make_huge_skipgram(c, o, negs) -> Skipgram:
    return Skipgram(np.asarray(c, dtype=float), np.asarray(o, dtype=float), np.asarray(negs, dtype=float))


HUGE_SKIPGRAM_EXAMPLES = [
    make_huge_skipgram([20.0, 0.0, -10.0], [-50.0, 0.0, 0.0], [[50.0, 0.0, 0.0], [0.0, 3.0, 0.5]]),  # u_o . v_c = -1000, u_1 . v_c = 1000
    make_huge_skipgram([1000.0], [1.0], [[-1.0], [1.0]]),  # u_o . v_c = 1000, u_k . v_c = -1000 and 1000
    make_huge_skipgram([25.0, 25.0], [20.0, 20.0], [[-20.0, -20.0]]),  # everything right: the loss is about 0
]


@st.composite
def huge_skipgrams(draw) -> Skipgram:
    """Vectors of size 10 to 40 per entry: dot products in the hundreds and thousands, of both signs."""
    d, k = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    scale = draw(st.sampled_from([10.0, 20.0, 40.0]))
    return Skipgram(rng.standard_normal(d) * scale, rng.standard_normal(d) * scale, rng.standard_normal((k, d)) * scale)


@check(examples=25)
@_attach(HUGE_SKIPGRAM_EXAMPLES)
@given(case=huge_skipgrams())
def skipgram_loss_stays_exact_at_huge_dot_products(learner, case):
    """skipgram_negative_sampling_loss stays finite and exact (1e-9) when u_o . v_c and u_k . v_c are as large as +-1000."""
    got = _skipgram(learner, case)
    want = torch_skipgram(case)
    with after_calling(f"{SKIPGRAM_CALL} with dot products of +-1000"):
        try:
            arrays = {name: np.asarray(got[name], dtype=float) for name in SKIPGRAM_NAMES}
        except (TypeError, ValueError):
            arrays = None
        if arrays is not None and all(arrays[name].shape == np.shape(want[name]) for name in SKIPGRAM_NAMES):
            broken = [name for name in SKIPGRAM_NAMES if not np.isfinite(arrays[name]).all()]
            if broken:
                found = [message for unstable, outputs in skipgram_huge_variants(case)
                         if unstable and all(same_numbers(arrays[name], outputs[name]) for name in SKIPGRAM_NAMES) for message in unstable]
                fail(f"{broken[0]}: got {show(arrays[broken[0]])}: not finite (expected {show(want[broken[0]])})",
                     diagnosis=name_mistakes(list(dict.fromkeys(found))))
        _compare_loss(got["loss"], want["loss"], "loss", HUGE_RTOL, HUGE_ATOL)
        for name in SKIPGRAM_NAMES[1:]:
            assert_close(got[name], want[name], what=name, rtol=HUGE_RTOL, atol=HUGE_ATOL)


# -- central differences ------------------------------------------------------------------------------------------------
FD_LOOKUP = make_lookup([[0, 2, 0], [2, 2, 1]], 3, seed=81, vocab=4)
FD_AFFINE = make_affine(2, 3, 3, 2, seed=82)
FD_SCORES = make_scores([[1, 1, 0], [1, 0, 1]], 4, seed=83)
FD_SKIPGRAM = make_skipgram(3, 2, seed=84)


def _against_differences(grad, objective, point: np.ndarray, what: str) -> None:
    """grad against central differences of objective at point. Entries within FD_ATOL of each other count as equal:
    the differences' own rounding (about 1e-11 here) makes a relative error meaningless next to a true 0."""
    what = f"{what} against central differences"
    array = as_array(grad, what, np.shape(point))
    numeric = numerical_gradient(objective, np.array(point, dtype=float), h=FD_H)
    numeric = np.where(np.abs(array - numeric) <= FD_ATOL, array, numeric)
    assert_gradient_close(array, numeric, what=what, max_relative_error=FD_ERROR)


def _output(result, shape: tuple, call: str, names: str, what: str) -> np.ndarray:
    """The first value a forward returned, as float64 of the expected shape (central differences sum it)."""
    return as_array(returned_parts(result, len(names.split(", ")), call, names)[0], what, shape)


def _replaced(inputs: list, index: int, value) -> list:
    args = [np.array(a, copy=True) for a in inputs]
    args[index] = value
    return args


@check(examples=1)
def backwards_match_central_differences(learner):
    """Every gradient matches central differences of your own forward or loss on small fixed cases (1e-7).

    dW; dx, dw, db; the softmax loss's dx; d_center, d_context, d_negatives (relative error <= 1e-7; entries within 1e-9
    of each other count as equal)."""
    s = FD_LOOKUP
    _out, cache = returned_parts(learner.word_embedding_forward(s.x, s.W), 2, "word_embedding_forward(x, W)", "out, cache")
    dW = learner.word_embedding_backward(s.dout, cache)

    def lookup_objective(W):
        out = _output(learner.word_embedding_forward(s.x, W), s.dout.shape, "word_embedding_forward(x, W)", "out, cache",
                      "out from word_embedding_forward(x, W)")
        return float(np.sum(out * s.dout))

    _against_differences(dW, lookup_objective, s.W, "dW from word_embedding_backward")

    a = FD_AFFINE
    inputs = [a.x, a.w, a.b]
    _out, cache = returned_parts(learner.temporal_affine_forward(*inputs), 2, "temporal_affine_forward(x, w, b)", "out, cache")
    grads = returned_parts(learner.temporal_affine_backward(a.dout, cache), 3, "temporal_affine_backward(dout, cache)", "dx, dw, db")

    def affine_objective(value, index):
        out = _output(learner.temporal_affine_forward(*_replaced(inputs, index, value)), a.dout.shape,
                      "temporal_affine_forward(x, w, b)", "out, cache", "out from temporal_affine_forward(x, w, b)")
        return float(np.sum(out * a.dout))

    for index, (name, grad) in enumerate(zip(("dx", "dw", "db"), grads)):
        _against_differences(grad, lambda value, index=index: affine_objective(value, index), inputs[index],
                             f"{name} from temporal_affine_backward")

    c = FD_SCORES
    _loss, dx = _loss_and_dx(learner, c)
    _against_differences(dx, lambda x: assert_scalar(_loss_and_dx(learner, Scores(x, c.y, c.mask))[0], "loss from temporal_softmax_loss"),
                         c.x, "dx from temporal_softmax_loss")

    g = FD_SKIPGRAM
    inputs = [g.center_vec, g.context_vec, g.negative_vecs]
    got = _skipgram(learner, g)
    for index, name in enumerate(SKIPGRAM_NAMES[1:]):
        _against_differences(got[name], lambda value, index=index: assert_scalar(
            _skipgram(learner, Skipgram(*_replaced(inputs, index, value)))["loss"], "loss from skipgram_negative_sampling_loss"),
            inputs[index], f"{name} from skipgram_negative_sampling_loss")
