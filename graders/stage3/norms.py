"""Grader for stage3/norms: LayerNorm and RMSNorm over the last axis, forward and backward.

Forwards are compared with torch.nn.functional.layer_norm / rms_norm and backwards with torch
autograd of the same, in float64 to 1e-10; a small case is also checked against central
differences. The explicit examples run on every grading: a single vector (no leading axis),
three leading axes, one feature (D = 1), and an eps large enough to matter. Known mistakes
(the unbiased variance, eps outside the root, statistics over the wrong axes, the short dx
that forgets the mean's dependence on x) are named when the learner's numbers are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, assert_close, assert_gradient_close, check, example, fail, given, numerical_gradient
from mldojo.graders.kit.asserts import returned_parts

VERSION = "1"
RTOL, ATOL = 1e-10, 1e-12


@dataclass(frozen=True)
class Case:
    """x (..., D), the per-feature parameters, eps and the upstream gradient."""

    x: np.ndarray
    scale: np.ndarray  # gamma / weight
    shift: np.ndarray  # beta (unused by RMSNorm)
    eps: float
    dout: np.ndarray


def make_case(shape, eps, seed=0) -> Case:
    """Gaussian x around per-feature offsets, parameters away from 1 and 0."""
    rng = np.random.default_rng(seed)
    d = shape[-1]
    x = rng.normal(0, 1, d) * 3 + rng.uniform(0.5, 3, d) * rng.standard_normal(shape)
    return Case(x, rng.uniform(0.5, 2, d), rng.normal(0, 1, d), eps, rng.standard_normal(shape))


@st.composite
def cases(draw) -> Case:
    """Up to three leading axes, D from 1 to 6, eps from tiny to large."""
    lead = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    shape = (*lead, draw(st.integers(1, 6)))
    return make_case(shape, draw(st.sampled_from([1e-5, 1e-3, 0.5])), draw(st.integers(0, 2**31 - 1)))


EXPLICIT = [make_case((5,), 1e-5, 1), make_case((2, 3, 4), 1e-5, 2), make_case((3, 1), 1e-5, 3),
            make_case((4, 6), 0.5, 4), make_case((2, 2, 2, 3), 1e-3, 5)]


# -- torch's answers ---------------------------------------------------------------------------------------
def torch_layernorm(case: Case):
    """out, and the gradients of sum(out * dout) for x, gamma, beta."""
    x, g, b = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (case.x, case.scale, case.shift))
    out = torch.nn.functional.layer_norm(x, (case.x.shape[-1],), g, b, case.eps)
    (out * torch.tensor(case.dout)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), g.grad.numpy(), b.grad.numpy()


def torch_rmsnorm(case: Case):
    """out, and the gradients of sum(out * dout) for x and weight."""
    x, w = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (case.x, case.scale))
    out = torch.nn.functional.rms_norm(x, (case.x.shape[-1],), w, case.eps)
    (out * torch.tensor(case.dout)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), w.grad.numpy()


# -- known mistakes, as NumPy ------------------------------------------------------------------------------------
def layernorm_mistake(case: Case, mistake: str) -> np.ndarray:
    """A wrong LayerNorm forward."""
    x = case.x
    axes = None if mistake == "all_axes" else (0 if mistake == "axis_0" else -1)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=1 if mistake == "unbiased" and x.shape[-1] > 1 else 0)
    denominator = np.sqrt(var) + case.eps if mistake == "eps_outside" else np.sqrt(var + case.eps)
    xhat = (x - mean) / denominator
    return xhat if mistake == "no_affine" else xhat * case.scale + case.shift


LAYERNORM_MISTAKES = {
    "unbiased": "the variance divides by D - 1; LayerNorm uses the biased one, the mean of (x - mean)**2",
    "eps_outside": "eps is added after the square root: divide by sqrt(var + eps)",
    "all_axes": "the mean and variance are taken over the whole array; LayerNorm takes them over the last axis of each vector",
    "axis_0": "the statistics are taken over axis 0 (across the batch: that is batch norm); LayerNorm normalises over the last axis",
    "no_affine": "gamma and beta are not applied: out = xhat * gamma + beta",
}


def rmsnorm_mistake(case: Case, mistake: str) -> np.ndarray:
    """A wrong RMSNorm forward."""
    x = case.x
    centred = x - x.mean(axis=-1, keepdims=True) if mistake == "subtracts_mean" else x
    square = (centred**2).sum(axis=-1, keepdims=True) if mistake == "sum_not_mean" else (centred**2).mean(axis=-1, keepdims=True)
    rms = np.sqrt(square) + case.eps if mistake == "eps_outside" else np.sqrt(square + case.eps)
    return centred / rms * case.scale


RMSNORM_MISTAKES = {
    "subtracts_mean": "the mean is subtracted first: that is LayerNorm; RMSNorm divides x itself by its root mean square",
    "eps_outside": "eps is added after the square root: rms = sqrt(mean(x**2) + eps)",
    "sum_not_mean": "the sum of squares, not their mean: rms = sqrt(mean(x**2) + eps)",
}


def short_layernorm_dx(case: Case) -> np.ndarray:
    """dx as if the mean and variance did not depend on x: dout * gamma / sqrt(var + eps)."""
    return case.dout * case.scale / np.sqrt(case.x.var(axis=-1, keepdims=True) + case.eps)


def short_rmsnorm_dx(case: Case) -> np.ndarray:
    """dx as if the rms did not depend on x."""
    return case.dout * case.scale / np.sqrt((case.x**2).mean(axis=-1, keepdims=True) + case.eps)


# -- calling the learner ------------------------------------------------------------------------------------------
def _pair(result, call: str):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{call} should return a pair (out, cache); got {type(result).__name__}")
    return result


# -- checks ---------------------------------------------------------------------------------------------------------------
def _examples(function):
    for case in reversed(EXPLICIT):
        function = example(case=case)(function)
    return function


@check(examples=25)
@_examples
@given(case=cases())
def layernorm_forward_matches_torch(learner, case):
    """layernorm_forward(x, gamma, beta, eps) = torch.nn.functional.layer_norm over the last axis (1e-10)."""
    out, _cache = _pair(learner.layernorm_forward(case.x, case.scale, case.shift, case.eps), "layernorm_forward(x, gamma, beta, eps)")
    want = torch_layernorm(case)[0]
    assert_close(out, want, what="layernorm_forward(x, gamma, beta, eps)[0]", rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis(m, lambda k=k: layernorm_mistake(case, k)) for k, m in LAYERNORM_MISTAKES.items()])


@check(examples=25)
@_examples
@given(case=cases())
def layernorm_backward_matches_autograd(learner, case):
    """layernorm_backward(dout, cache) gives torch autograd's dx, dgamma, dbeta (dgamma, dbeta summed over the leading axes)."""
    _out, cache = _pair(learner.layernorm_forward(case.x, case.scale, case.shift, case.eps), "layernorm_forward(x, gamma, beta, eps)")
    dx, dgamma, dbeta = returned_parts(learner.layernorm_backward(case.dout, cache), 3, "layernorm_backward(dout, cache)")
    _, want_dx, want_dgamma, want_dbeta = torch_layernorm(case)
    assert_close(dbeta, want_dbeta, what="dbeta", rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis("dbeta is averaged; it is the sum of dout over every leading axis", lambda: want_dbeta / max(1, case.x.size // case.x.shape[-1]))])
    assert_close(dgamma, want_dgamma, what="dgamma", rtol=RTOL, atol=ATOL)
    assert_close(dx, want_dx, what="dx", rtol=1e-8, atol=1e-10, diagnoses=[Diagnosis(
        "dx = dout * gamma / sqrt(var + eps) leaves out that the mean and the variance depend on x too: subtract the mean "
        "of dxhat and xhat times the mean of dxhat * xhat", lambda: short_layernorm_dx(case))])


@check(examples=25)
@_examples
@given(case=cases())
def rmsnorm_forward_matches_torch(learner, case):
    """rmsnorm_forward(x, weight, eps) = torch.nn.functional.rms_norm over the last axis (1e-10)."""
    out, _cache = _pair(learner.rmsnorm_forward(case.x, case.scale, case.eps), "rmsnorm_forward(x, weight, eps)")
    want = torch_rmsnorm(case)[0]
    assert_close(out, want, what="rmsnorm_forward(x, weight, eps)[0]", rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis(m, lambda k=k: rmsnorm_mistake(case, k)) for k, m in RMSNORM_MISTAKES.items()])


@check(examples=25)
@_examples
@given(case=cases())
def rmsnorm_backward_matches_autograd(learner, case):
    """rmsnorm_backward(dout, cache) gives torch autograd's dx and dweight."""
    _out, cache = _pair(learner.rmsnorm_forward(case.x, case.scale, case.eps), "rmsnorm_forward(x, weight, eps)")
    dx, dweight = returned_parts(learner.rmsnorm_backward(case.dout, cache), 2, "rmsnorm_backward(dout, cache)")
    _, want_dx, want_dweight = torch_rmsnorm(case)
    assert_close(dweight, want_dweight, what="dweight", rtol=RTOL, atol=ATOL)
    assert_close(dx, want_dx, what="dx", rtol=1e-8, atol=1e-10, diagnoses=[Diagnosis(
        "dx = dout * weight / rms leaves out that rms depends on x: subtract xhat times the mean of dxhat * xhat",
        lambda: short_rmsnorm_dx(case))])


@check(examples=1)
def both_backwards_match_central_differences(learner):
    """On a (2, 3, 4) input, every gradient matches central differences of sum(out * dout) (relative error <= 1e-6: the
    normalisations subtract nearly equal numbers, which costs central differences a digit)."""
    case = make_case((2, 3, 4), 1e-3, 6)
    for name, forward, backward, params in (
        ("layernorm", learner.layernorm_forward, learner.layernorm_backward, (case.scale, case.shift)),
        ("rmsnorm", learner.rmsnorm_forward, learner.rmsnorm_backward, (case.scale,)),
    ):
        _out, cache = _pair(forward(case.x, *params, case.eps), f"{name}_forward")
        grads = returned_parts(backward(case.dout, cache), 1 + len(params), f"{name}_backward")
        inputs = [case.x, *params]
        for i, (label, grad) in enumerate(zip(("dx", "dgamma" if name == "layernorm" else "dweight", "dbeta"), grads)):
            def objective(value, i=i):
                args = [np.array(a, copy=True) for a in inputs]
                args[i] = value
                return float(np.sum(np.asarray(forward(args[0], *args[1:], case.eps)[0]) * case.dout))

            numeric = numerical_gradient(objective, np.array(inputs[i], dtype=np.float64))
            assert_gradient_close(grad, numeric, what=f"{name}: {label} against central differences", max_relative_error=1e-6)
