"""Grader for stage3/conv: a convolutional layer and max pooling, forward and backward (NumPy, loops).

Forwards are compared with torch.nn.functional.conv2d / max_pool2d in float64 (1e-10) and
backwards with torch autograd of sum(out * dout) (CS231n's relative error, at most 1e-8). Max
pooling is compared with torch only on Gaussian inputs, where no window has a tie; ties are a
property of their own: with the gradient of window k set to 2**k, dx tells exactly which
position each window's gradient went to, and each must go to one of its maxima, whole, once.
A small case checks both backwards against central differences of the learner's own forwards.
The explicit examples run on every grading: stride 1 and 2, padding 0 and 1, non-square
kernels, 1x1 kernels, N, C and F >= 2 at once, a single image and filter, overlapping pooling
windows (a position that is the maximum of all nine windows around it), gaps between windows,
and tied windows. Known mistakes (the flipped kernel, padding forgotten, stride ignored, the
bias left out, dx still padded or empty, averaged gradients, the gradient of a pooling window
spread over the window or assigned where it must accumulate) are named when the numbers are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, as_array, assert_close, assert_gradient_close, check, example, fail, given, numerical_gradient
from mldojo.graders.kit.asserts import assert_shape, returned_parts
from mldojo.graders.kit.formatting import show

VERSION = "1"
RTOL, ATOL = 1e-10, 1e-12  # forwards
AUTOGRAD_ERROR = 1e-8  # backwards against torch autograd (relative error)
FD_ERROR, FD_H = 1e-7, 1e-3  # central differences (exact up to rounding: piecewise linear functions)


# -- inputs ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvCase:
    """conv_forward_naive's arguments and the upstream gradient dout (N, F, H_out, W_out)."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    conv_param: dict
    dout: np.ndarray


@dataclass(frozen=True)
class PoolCase:
    """max_pool_forward_naive's arguments and the upstream gradient dout (N, C, H_out, W_out)."""

    x: np.ndarray
    pool_param: dict
    dout: np.ndarray


def _values(rng, shape, grid: bool) -> np.ndarray:
    """Gaussian floats, or quarters in [-2, 2]."""
    return rng.integers(-8, 9, shape) * 0.25 if grid else rng.standard_normal(shape)


def conv_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return 1 + (size + 2 * pad - kernel) // stride


def make_conv(n, c, h, w, f, hh, ww, stride, pad, seed=0, grid=False) -> ConvCase:
    """A case whose output sizes are whole numbers (the stub promises exact divisions)."""
    assert (h + 2 * pad - hh) % stride == 0 and (w + 2 * pad - ww) % stride == 0, "sizes must divide"
    rng = np.random.default_rng(seed)
    out_shape = (n, f, conv_size(h, hh, stride, pad), conv_size(w, ww, stride, pad))
    return ConvCase(_values(rng, (n, c, h, w), grid), _values(rng, (f, c, hh, ww), grid), _values(rng, (f,), grid),
                    {"stride": stride, "pad": pad}, _values(rng, out_shape, grid))


@st.composite
def conv_cases(draw) -> ConvCase:
    """1-3 images, channels and filters, kernels 1-3 by 1-3, stride 1-3, padding 0-2, outputs 1-4 by 1-4."""
    n, c, f, hh, ww, stride = (draw(st.integers(1, 3)) for _ in range(6))
    h_out, w_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pad = min(draw(st.integers(0, 2)), ((h_out - 1) * stride + hh - 1) // 2, ((w_out - 1) * stride + ww - 1) // 2)
    h, w = (h_out - 1) * stride + hh - 2 * pad, (w_out - 1) * stride + ww - 2 * pad
    return make_conv(n, c, h, w, f, hh, ww, stride, pad, draw(st.integers(0, 2**31 - 1)), draw(st.booleans()))


CONV_EXAMPLES = [
    make_conv(2, 3, 5, 5, 2, 3, 3, stride=1, pad=1, seed=1),  # 'same' padding, N, C, F >= 2
    make_conv(2, 2, 7, 6, 3, 3, 2, stride=2, pad=0, seed=2),  # stride 2, non-square kernel
    make_conv(2, 2, 6, 5, 2, 2, 3, stride=2, pad=1, seed=3, grid=True),  # stride 2 and padding, grid values
    make_conv(2, 3, 3, 5, 2, 1, 1, stride=2, pad=1, seed=4),  # 1x1 kernel: padded borders hold the bias only
    make_conv(1, 1, 3, 4, 1, 2, 2, stride=1, pad=0, seed=5, grid=True),  # a single image, channel and filter
    make_conv(2, 2, 2, 3, 2, 4, 5, stride=1, pad=1, seed=6),  # the kernel covers the whole padded image
]


def pool_size(size: int, window: int, stride: int) -> int:
    return 1 + (size - window) // stride


def make_pool(n, c, h, w, ph, pw, stride, seed=0, values="gaussian", peak=None) -> PoolCase:
    """Gaussian values (no ties), quarters, or small integers (many ties); `peak` (a row and a column) puts
    each channel's maximum where several windows overlap."""
    assert (h - ph) % stride == 0 and (w - pw) % stride == 0, "sizes must divide"
    rng = np.random.default_rng(seed)
    shape = (n, c, h, w)
    x = {"gaussian": lambda: rng.standard_normal(shape), "grid": lambda: _values(rng, shape, True),
         "ties": lambda: rng.integers(0, 3, shape).astype(np.float64)}[values]()
    if peak is not None:
        x[:, :, peak[0], peak[1]] = np.abs(x).max() + 1.0 + np.arange(n * c).reshape(n, c)  # distinct: no ties
    return PoolCase(x, {"pool_height": ph, "pool_width": pw, "stride": stride},
                    rng.standard_normal((n, c, pool_size(h, ph, stride), pool_size(w, pw, stride))))


@st.composite
def pool_cases(draw, values=st.sampled_from(["gaussian", "grid"])) -> PoolCase:
    """1-2 images, 1-3 channels, windows 1-3 by 1-3, stride 1-3, outputs 1-4 by 1-4."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    ph, pw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = (draw(st.integers(1, 4)) - 1) * stride + ph, (draw(st.integers(1, 4)) - 1) * stride + pw
    return make_pool(n, c, h, w, ph, pw, stride, draw(st.integers(0, 2**31 - 1)), draw(values))


POOL_EXAMPLES = [
    make_pool(2, 3, 4, 6, 2, 2, 2, seed=11),  # the classic 2x2 windows, stride 2
    make_pool(2, 2, 5, 5, 3, 3, 1, seed=12, peak=(2, 2)),  # overlapping 3x3 windows: the centre is all nine maxima
    make_pool(2, 2, 4, 5, 2, 3, 1, seed=13, peak=(2, 2)),  # non-square overlapping windows: six share a maximum
    make_pool(1, 2, 7, 7, 3, 3, 2, seed=14, peak=(2, 4)),  # stride 2 < window 3: four windows share a maximum
    make_pool(1, 2, 5, 7, 2, 1, 3, seed=15),  # stride 3 > window: positions in no window
    make_pool(1, 1, 2, 2, 2, 2, 2, seed=16, values="grid"),  # one window, one image
]


# -- torch's answers -------------------------------------------------------------------------------------------
def _t(array: np.ndarray) -> torch.Tensor:
    torch.set_num_threads(1)  # tiny tensors: more threads only spin (and cost seconds on a busy machine)
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def torch_conv(case: ConvCase):
    """out, and the gradients of sum(out * dout) for x, w, b."""
    x, w, b = _t(case.x), _t(case.w), _t(case.b)
    out = F.conv2d(x, w, b, stride=case.conv_param["stride"], padding=case.conv_param["pad"])
    (out * torch.tensor(case.dout)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


def torch_pool(case: PoolCase):
    """out, and the gradient of sum(out * dout) for x."""
    x = _t(case.x)
    p = case.pool_param
    out = F.max_pool2d(x, (p["pool_height"], p["pool_width"]), stride=p["stride"])
    (out * torch.tensor(case.dout)).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


# -- known mistakes, as NumPy ----------------------------------------------------------------------------------------
def conv_numpy(case: ConvCase, *, stride=None, pad=None, step=None, flip=False, bias=True) -> np.ndarray:
    """The forward with some rule changed: the stride used for the size (`stride`) and for the
    window offsets (`step`), the padding, the kernel flipped, the bias left out."""
    stride = case.conv_param["stride"] if stride is None else stride
    pad = case.conv_param["pad"] if pad is None else pad
    step = stride if step is None else step
    w = case.w[:, :, ::-1, ::-1] if flip else case.w
    n, _, h, wd = case.x.shape
    f, _, hh, ww = w.shape
    h_out, w_out = conv_size(h, hh, stride, pad), conv_size(wd, ww, stride, pad)
    if h_out < 1 or w_out < 1:
        raise ValueError("no output")
    xp = np.pad(case.x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * step:i * step + hh, j * step:j * step + ww]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + (case.b if bias else 0.0)
    return out


def conv_grads_numpy(case: ConvCase, step=None) -> tuple[np.ndarray, np.ndarray]:
    """dx_pad (the gradient of the padded x) and dw, with windows offset by `step` (the stride by default)."""
    stride, pad = case.conv_param["stride"], case.conv_param["pad"]
    step = stride if step is None else step
    xp = np.pad(case.x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    _, _, hh, ww = case.w.shape
    dxp, dw = np.zeros_like(xp), np.zeros_like(case.w)
    for i in range(case.dout.shape[2]):
        for j in range(case.dout.shape[3]):
            rows, cols = slice(i * step, i * step + hh), slice(j * step, j * step + ww)
            dw += np.tensordot(case.dout[:, :, i, j], xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(case.dout[:, :, i, j], case.w, axes=([1], [0]))
    return dxp, dw


def crop(dxp: np.ndarray, pad: int) -> np.ndarray:
    return dxp[:, :, pad:dxp.shape[2] - pad, pad:dxp.shape[3] - pad]


def windows(case: PoolCase, *, ph=None, pw=None, stride=None, step=None):
    """(i, j, rows, cols) of every pooling window, with some rule changed."""
    p = case.pool_param
    ph, pw = p["pool_height"] if ph is None else ph, p["pool_width"] if pw is None else pw
    stride = p["stride"] if stride is None else stride
    step = stride if step is None else step
    _, _, h, w = case.x.shape
    h_out, w_out = pool_size(h, ph, stride), pool_size(w, pw, stride)
    if h_out < 1 or w_out < 1:
        raise ValueError("no output")
    return h_out, w_out, [(i, j, slice(i * step, i * step + ph), slice(j * step, j * step + pw))
                          for i in range(h_out) for j in range(w_out)]


def pool_numpy(case: PoolCase, reduce=np.max, **changes) -> np.ndarray:
    """The pooling forward with some rule changed (see `windows`), or another reduction."""
    h_out, w_out, all_windows = windows(case, **changes)
    out = np.zeros((*case.x.shape[:2], h_out, w_out))
    for i, j, rows, cols in all_windows:
        out[:, :, i, j] = reduce(case.x[:, :, rows, cols], axis=(2, 3))
    return out


def pool_backward_mistake(case: PoolCase, mistake: str) -> np.ndarray:
    """dx of a max-pool backward with a known mistake; where a window ties, "its maximum" is the first in
    row-major order (torch's choice)."""
    _, _, all_windows = windows(case)
    x, dout = case.x, case.dout
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i, j, rows, cols in all_windows:
                window, g = x[n, c, rows, cols], dout[n, c, i, j]
                mask = window == window.max()
                a, e = np.unravel_index(np.argmax(window), window.shape)
                at = (n, c, rows.start + a, cols.start + e)
                if mistake == "whole_window":
                    dx[n, c, rows, cols] += g
                elif mistake == "every_max":
                    dx[n, c, rows, cols] += mask * g
                elif mistake == "assigned_at_max":
                    dx[at] = g
                elif mistake == "window_assigned":
                    dx[n, c, rows, cols] = mask * g
                elif mistake == "no_dout":
                    dx[at] += 1.0
    return dx


ASSIGNED = ("where overlapping windows share a position, the later window's gradient replaced the earlier one's: the "
            "gradients were assigned (=) where they must be added (dx[...] += ...)")
POOL_BACKWARD_MISTAKES = {
    "whole_window": "every position of a window gets the window's gradient; only the position of its maximum does "
                    "(the others did not change the output)",
    "assigned_at_max": ASSIGNED,  # dx[argmax] = dout
    "window_assigned": ASSIGNED,  # dx[window] = mask * dout: also erases what earlier windows left at the other positions
    "no_dout": "dx holds 1 at each maximum: multiply by the window's upstream gradient dout[n, c, i, j]",
}
TIE_MISTAKES = {
    "every_max": "the gradient goes to every tied maximum of a window (a mask window == max): send it to one of them, "
                 "e.g. the first, np.unravel_index(np.argmax(window), window.shape)",
    **POOL_BACKWARD_MISTAKES,
}


def _pool_diagnoses(case: PoolCase, mistakes: dict, confirm=None) -> list[Diagnosis]:
    return [Diagnosis(message, lambda k=k: pool_backward_mistake(case, k), None if confirm is None else lambda k=k: confirm(k))
            for k, message in mistakes.items()]


def tie_violation(case: PoolCase, dx: np.ndarray) -> str | None:
    """What is wrong with dx when dout of window k is 2**k (None when each window's gradient went whole to one of its
    maxima): the binary digits of dx[n, c, r, q] are the windows that sent (r, q) their gradient."""
    h_out, w_out, all_windows = windows(case)
    count = h_out * w_out
    legend = f"(here dout[n, c, i, j] = 2**(i * {w_out} + j), so that dx tells which windows sent each position their gradient)"
    for n in range(dx.shape[0]):
        for c in range(dx.shape[1]):
            chosen = {k: [] for k in range(count)}  # window -> positions that received its gradient
            for r, q in np.ndindex(*dx.shape[2:]):
                value = dx[n, c, r, q]
                if value < 0 or value >= 2.0**count or value != np.floor(value):
                    return f"dx[{n}, {c}, {r}, {q}] = {show(float(value))} is not a sum of whole window gradients {legend}"
                for k in range(count):
                    if int(value) >> k & 1:
                        chosen[k].append((r, q))
            for k, positions in chosen.items():
                i, j, rows, cols = all_windows[k]
                window = case.x[n, c, rows, cols]
                maxima = [(int(rows.start + a), int(cols.start + e)) for a, e in zip(*np.nonzero(window == window.max()))]
                where = (f"window (i={i}, j={j}) of image {n}, channel {c} (rows {rows.start}..{rows.stop - 1}, columns "
                         f"{cols.start}..{cols.stop - 1}, values {show(window)}, maxima at {maxima})")
                if not positions:
                    return f"the gradient of {where} reached no position {legend}"
                outside = [p for p in positions if p not in maxima]
                if outside:
                    return f"the gradient of {where} went to {outside}, not to one of its maxima {legend}"
                if len(positions) > 1:
                    return (f"the gradient of {where} went to {len(positions)} positions, {positions}; it must go to exactly one "
                            f"of its tied maxima {legend}")
    return None


# -- calling the learner, and shapes -------------------------------------------------------------------------------
def _pair(result, call: str):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{call} should return a pair (out, cache); got {type(result).__name__}")
    return result


def _conv_call(case: ConvCase) -> str:
    return f"conv_forward_naive(x, w, b, conv_param={case.conv_param})"


def _pool_call(case: PoolCase) -> str:
    return f"max_pool_forward_naive(x, pool_param={case.pool_param})"


def _conv_examples(function):
    for case in reversed(CONV_EXAMPLES):
        function = example(case=case)(function)
    return function


def _pool_examples(tie_free=False):
    def attach(function):
        for case in reversed(POOL_EXAMPLES):
            if not tie_free or np.unique(case.x).size == case.x.size:
                function = example(case=case)(function)
        return function

    return attach


# -- checks ---------------------------------------------------------------------------------------------------------
@check(examples=20)
@_conv_examples
@given(case=conv_cases())
def conv_forward_matches_torch(learner, case):
    """conv_forward_naive(x, w, b, conv_param) = F.conv2d(x, w, b, stride, padding) in float64 (1e-10)."""
    out, _cache = _pair(learner.conv_forward_naive(case.x, case.w, case.b, case.conv_param), _conv_call(case))
    want = torch_conv(case)[0]
    what = f"{_conv_call(case)}[0]"
    stride, pad = case.conv_param["stride"], case.conv_param["pad"]
    assert_shape(out, want.shape, what, diagnoses=[
        Diagnosis(f"x was not padded: with pad = {pad} the output is (H + 2 pad - HH) / stride + 1 rows", lambda: conv_numpy(case, pad=0)),
        Diagnosis(f"the stride is ignored: with stride {stride} the windows move {stride} positions at a time", lambda: conv_numpy(case, stride=1)),
    ])
    assert_close(out, want, what=what, rtol=RTOL, atol=ATOL, diagnoses=[
        Diagnosis("the kernel is flipped (true convolution); conv2d slides w as it is: x_pad[n, :, i*s + a, j*s + e] * w[f, :, a, e]",
                  lambda: conv_numpy(case, flip=True)),
        Diagnosis("the bias is not added: out[n, f] = ... + b[f]", lambda: conv_numpy(case, bias=False)),
        Diagnosis(f"the windows start at (i, j) instead of (i * stride, j * stride): the stride ({stride}) moves each window",
                  lambda: conv_numpy(case, step=1)),
    ])


@check(examples=20)
@_conv_examples
@given(case=conv_cases())
def conv_backward_matches_autograd(learner, case):
    """conv_backward_naive(dout, cache) gives torch autograd's dx, dw, db for sum(out * dout) (relative error <= 1e-8)."""
    _out, cache = _pair(learner.conv_forward_naive(case.x, case.w, case.b, case.conv_param), _conv_call(case))
    dx, dw, db = returned_parts(learner.conv_backward_naive(case.dout, cache), 3, "conv_backward_naive(dout, cache)")
    _, want_dx, want_dw, want_db = torch_conv(case)
    n, pad = case.x.shape[0], case.conv_param["pad"]
    positions = case.dout.shape[2] * case.dout.shape[3]
    assert_shape(db, want_db.shape, "db", diagnoses=[
        Diagnosis("db keeps the spatial axes: sum dout over the batch AND every position, dout.sum(axis=(0, 2, 3))",
                  lambda: case.dout.sum(axis=0))])
    assert_gradient_close(db, want_db, what="db", max_relative_error=AUTOGRAD_ERROR, diagnoses=[
        Diagnosis("db is averaged over the batch: the gradient is a sum, dout.sum(axis=(0, 2, 3))", lambda: want_db / n),
        Diagnosis("db is averaged (a mean over the batch and the positions): it is the sum, dout.sum(axis=(0, 2, 3))",
                  lambda: want_db / (n * positions))])
    stepped = []  # the backward with windows at (i, j): only wrong when the stride is not 1
    if case.conv_param["stride"] > 1:
        message = "the windows start at (i, j) instead of (i * stride, j * stride) in the backward pass"
        stepped = [Diagnosis(message, lambda: crop(conv_grads_numpy(case, step=1)[0], pad)),
                   Diagnosis(message, lambda: conv_grads_numpy(case, step=1)[1])]
    if pad > 0:
        unpadded = Diagnosis(f"dx is the gradient of x_pad: cut the {pad} padded rows and columns off each side",
                             lambda: conv_grads_numpy(case)[0])
    else:
        unpadded = Diagnosis("dx is empty: with pad = 0, dx_pad[:, :, pad:-pad, pad:-pad] is dx_pad[:, :, 0:0, 0:0]; slice "
                             "up to pad + H and pad + W instead", lambda: np.zeros((*case.x.shape[:2], 0, 0)))
    assert_shape(dx, want_dx.shape, "dx", diagnoses=[unpadded])
    assert_gradient_close(dx, want_dx, what="dx", max_relative_error=AUTOGRAD_ERROR, diagnoses=stepped[:1])
    assert_gradient_close(dw, want_dw, what="dw", max_relative_error=AUTOGRAD_ERROR, diagnoses=[
        Diagnosis("dw is averaged over the batch: the gradient of sum(out * dout) is a sum over the images", lambda: want_dw / n),
        *stepped[1:]])


@check(examples=15)
@_pool_examples()
@given(case=pool_cases())
def max_pool_forward_matches_torch(learner, case):
    """max_pool_forward_naive(x, pool_param) = F.max_pool2d(x, (pool_height, pool_width), stride) exactly."""
    out, _cache = _pair(learner.max_pool_forward_naive(case.x, case.pool_param), _pool_call(case))
    want = torch_pool(case)[0]
    what = f"{_pool_call(case)}[0]"
    p = case.pool_param
    swapped = dict(ph=p["pool_width"], pw=p["pool_height"])
    assert_shape(out, want.shape, what, diagnoses=[
        Diagnosis(f"the stride is ignored: with stride {p['stride']} the windows move {p['stride']} positions at a time",
                  lambda: pool_numpy(case, stride=1)),
        Diagnosis("pool_height and pool_width are swapped: pool_height counts rows (H), pool_width columns (W)",
                  lambda: pool_numpy(case, **swapped)),
    ])
    assert_close(out, want, what=what, rtol=0, atol=0, diagnoses=[
        Diagnosis("pool_height and pool_width are swapped: pool_height counts rows (H), pool_width columns (W)",
                  lambda: pool_numpy(case, **swapped)),
        Diagnosis(f"the windows start at (i, j) instead of (i * stride, j * stride): the stride ({p['stride']}) moves each window",
                  lambda: pool_numpy(case, step=1)),
        Diagnosis("the windows are averaged: max pooling keeps each window's maximum", lambda: pool_numpy(case, reduce=np.mean)),
    ])


@check(examples=15)
@_pool_examples(tie_free=True)
@given(case=pool_cases(values=st.just("gaussian")))
def max_pool_backward_matches_autograd(learner, case):
    """On inputs without ties, max_pool_backward_naive(dout, cache) gives torch autograd's dx (relative error <= 1e-8),
    overlapping windows adding their gradients where they share a maximum."""
    _out, cache = _pair(learner.max_pool_forward_naive(case.x, case.pool_param), _pool_call(case))
    dx = learner.max_pool_backward_naive(case.dout, cache)
    want = torch_pool(case)[1]
    assert_shape(dx, want.shape, "max_pool_backward_naive(dout, cache)")
    assert_gradient_close(dx, want, what="max_pool_backward_naive(dout, cache)", max_relative_error=AUTOGRAD_ERROR,
                          diagnoses=_pool_diagnoses(case, POOL_BACKWARD_MISTAKES))


def tie_case(n, c, h, w, ph, pw, stride, seed=0, zeros=False) -> PoolCase:
    """Small integers (0, 1, 2: ties everywhere), or all zeros; dout of window k = i * W_out + j is 2**k."""
    case = make_pool(n, c, h, w, ph, pw, stride, seed, values="ties")
    x = np.zeros_like(case.x) if zeros else case.x
    h_out, w_out = pool_size(h, ph, stride), pool_size(w, pw, stride)
    dout = np.broadcast_to(2.0 ** np.arange(h_out * w_out).reshape(h_out, w_out), (n, c, h_out, w_out)).copy()
    return PoolCase(x, case.pool_param, dout)


# Overlapping windows, some tied and some not: on it the tie mistakes all give different answers.
SECOND_TIE_CASE = tie_case(1, 2, 5, 5, 3, 3, 1, seed=23)


def same_mistake_again(learner, mistake: str) -> bool:
    """The learner's dx on SECOND_TIE_CASE is this mistake's, and the mistake breaks the property there."""
    wrong = pool_backward_mistake(SECOND_TIE_CASE, mistake)
    if tie_violation(SECOND_TIE_CASE, wrong) is None:
        return False
    _out, cache = _pair(learner.max_pool_forward_naive(SECOND_TIE_CASE.x, SECOND_TIE_CASE.pool_param), "")
    got = np.asarray(learner.max_pool_backward_naive(SECOND_TIE_CASE.dout, cache), dtype=float)
    return got.shape == wrong.shape and bool(np.allclose(got, wrong, rtol=1e-9, atol=0))


@st.composite
def tie_cases(draw) -> PoolCase:
    """Up to 16 windows per channel (2**15 is exact in float64), overlapping or not."""
    ph, pw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = (draw(st.integers(1, 4)) - 1) * stride + ph, (draw(st.integers(1, 4)) - 1) * stride + pw
    return tie_case(draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w, ph, pw, stride, draw(st.integers(0, 2**31 - 1)))


@check(examples=10)
@example(case=tie_case(1, 2, 4, 4, 2, 2, 2, zeros=True))  # every window a four-way tie
@example(case=tie_case(2, 2, 5, 5, 3, 3, 1, seed=21))  # overlapping windows with ties
@example(case=tie_case(1, 2, 6, 7, 2, 3, 2, seed=22))  # overlapping in width only
@given(case=tie_cases())
def max_pool_backward_sends_each_window_to_one_maximum(learner, case):
    """With ties, each window's gradient goes whole to exactly one of its maxima (torch: the first in row-major order),
    and a position that several windows chose receives the sum of their gradients."""
    _out, cache = _pair(learner.max_pool_forward_naive(case.x, case.pool_param), _pool_call(case))
    got = learner.max_pool_backward_naive(case.dout, cache)
    assert_shape(got, case.x.shape, "max_pool_backward_naive(dout, cache)")
    dx = as_array(got, "max_pool_backward_naive(dout, cache)", case.x.shape)
    problem = tie_violation(case, dx)
    if problem:
        fail(problem, got, _pool_diagnoses(case, TIE_MISTAKES, lambda mistake: same_mistake_again(learner, mistake)),
             passes=lambda value: tie_violation(case, value) is None)


@check(examples=1)
def backwards_match_central_differences(learner):
    """On small cases (stride 2 and padding 1; overlapping pooling windows), dx, dw, db and the pooling dx match central
    differences of sum(out * dout) through your own forwards (relative error <= 1e-7)."""
    conv = make_conv(2, 1, 3, 5, 2, 3, 3, stride=2, pad=1, seed=31)
    rng = np.random.default_rng(32)
    spaced = (rng.permutation(40) * 0.25 - 5.0 + rng.uniform(0, 0.05, 40)).reshape(1, 2, 4, 5)  # gaps >= 0.2 >> h
    pool = PoolCase(spaced, {"pool_height": 2, "pool_width": 3, "stride": 1}, rng.standard_normal((1, 2, 3, 3)))

    _out, cache = _pair(learner.conv_forward_naive(conv.x, conv.w, conv.b, conv.conv_param), _conv_call(conv))
    grads = returned_parts(learner.conv_backward_naive(conv.dout, cache), 3, "conv_backward_naive(dout, cache)")
    inputs = [conv.x, conv.w, conv.b]
    for index, (name, grad) in enumerate(zip(("dx", "dw", "db"), grads)):
        def objective(value, index=index):
            args = [np.array(a, copy=True) for a in inputs]
            args[index] = value
            return float(np.sum(np.asarray(learner.conv_forward_naive(*args, conv.conv_param)[0], dtype=float) * conv.dout))

        numeric = numerical_gradient(objective, np.array(inputs[index]), h=FD_H)
        assert_gradient_close(grad, numeric, what=f"conv: {name} against central differences (stride 2, pad 1)",
                              max_relative_error=FD_ERROR)

    _out, cache = _pair(learner.max_pool_forward_naive(pool.x, pool.pool_param), _pool_call(pool))
    dx = learner.max_pool_backward_naive(pool.dout, cache)
    numeric = numerical_gradient(lambda value: float(np.sum(np.asarray(
        learner.max_pool_forward_naive(value, pool.pool_param)[0], dtype=float) * pool.dout)), pool.x, h=FD_H)
    assert_gradient_close(dx, numeric, what="max pool: dx against central differences (2x3 windows, stride 1)",
                          max_relative_error=FD_ERROR)
