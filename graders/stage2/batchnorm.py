"""Grader for stage2/batchnorm: a hand-written BatchNorm1d against nn.BatchNorm1d.

The same script runs on the learner's module (batchnorm_driver.run, in the learner's process)
and on nn.BatchNorm1d here: a few training batches (outputs and running statistics after
each), a backward pass through the last one (gradients of x, weight and bias), then an
evaluation batch. Everything is compared to 1e-9 in float64 (1e-5 in float32). The explicit
examples run on every grading: (N, C) and (N, C, L) inputs, momentum None (a plain average),
a non-default eps and momentum, the smallest batch (N = 2), float32. Known mistakes are
simulated in NumPy on the same script and named when the learner's numbers are theirs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from mldojo.graders.engine.driver_support import backward_along
from mldojo.graders.kit import Diagnosis, check, example, fail, given
from mldojo.graders.kit.asserts import assert_close

VERSION = "1"
DRIVER = "mldojo.graders.stage2.batchnorm_driver:"
TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-6)}


@dataclass(frozen=True)
class Script:
    """What the module goes through: its options, the training batches, the evaluation batch."""

    num_features: int
    eps: float
    momentum: float | None
    batches: tuple  # of (N, C) or (N, C, L) arrays
    grad_out: np.ndarray
    eval_batch: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    dtype: str = "float64"

    def describe_for_learner(self) -> dict:
        """How a failure shows the input."""
        shown = {"BatchNorm1d": f"BatchNorm1d({self.num_features}, eps={self.eps!r}, momentum={self.momentum!r}), {self.dtype}",
                 "weight": self.weight, "bias": self.bias}
        for i, batch in enumerate(self.batches, 1):
            shown[f"training batch {i}"] = batch
        shown["evaluation batch"] = self.eval_batch
        return shown

    def config(self) -> dict:
        """The constructor's arguments."""
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}


def make_script(n, c, length, batches, momentum, eps, dtype="float64", seed=0) -> Script:
    """A script with Gaussian batches around feature-specific offsets and scales."""
    rng = np.random.default_rng(seed)
    shape = (n, c) if length is None else (n, c, length)
    offset = rng.normal(0, 3, c)[None, :, None] if length else rng.normal(0, 3, c)[None, :]
    spread = rng.uniform(0.5, 4, c)[None, :, None] if length else rng.uniform(0.5, 4, c)[None, :]
    made = tuple(offset + spread * rng.standard_normal(shape) for _ in range(batches))
    return Script(c, eps, momentum, made, rng.standard_normal(shape), offset + spread * rng.standard_normal(shape),
                  rng.uniform(0.5, 2.0, c), rng.normal(0, 1, c), dtype)


@st.composite
def scripts(draw) -> Script:
    """Batches of 2..12 rows, 1..5 features, with or without a length dimension."""
    return make_script(draw(st.integers(2, 12)), draw(st.integers(1, 5)), draw(st.sampled_from([None, 1, 3])),
                       draw(st.integers(1, 4)), draw(st.sampled_from([0.1, 0.3, None])), draw(st.sampled_from([1e-5, 1e-3])),
                       seed=draw(st.integers(0, 2**31 - 1)))


# -- the oracle and the mistakes ------------------------------------------------------------------------
def torch_run(script: Script) -> dict:
    """The script on nn.BatchNorm1d."""
    dtype = getattr(torch, script.dtype)
    norm = torch.nn.BatchNorm1d(script.num_features, eps=script.eps, momentum=script.momentum).to(dtype)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor(script.weight, dtype=dtype))
        norm.bias.copy_(torch.tensor(script.bias, dtype=dtype))
    out = {"outputs": [], "running_mean": [], "running_var": [], "tracked": []}
    for i, batch in enumerate(script.batches):
        x = torch.tensor(batch, dtype=dtype, requires_grad=i == len(script.batches) - 1)
        y = norm(x)
        out["outputs"].append(y.detach().double().numpy())
        out["running_mean"].append(norm.running_mean.double().numpy().copy())
        out["running_var"].append(norm.running_var.double().numpy().copy())
        out["tracked"].append(int(norm.num_batches_tracked))
        if x.requires_grad:
            backward_along(y, torch.tensor(script.grad_out, dtype=dtype))
            out["grads"] = {"x": x.grad.double().numpy(), "weight": norm.weight.grad.double().numpy(),
                            "bias": norm.bias.grad.double().numpy()}
    norm.eval()
    out["eval"] = norm(torch.tensor(script.eval_batch, dtype=dtype)).detach().double().numpy()
    return out


def simulate(script: Script, mistake: str) -> dict:
    """The script as a known mistake computes it (NumPy, float64; no gradients)."""
    c = script.num_features
    mean_run, var_run, tracked = np.zeros(c), np.ones(c), 0
    out = {"outputs": [], "running_mean": [], "running_var": []}

    def normalise(x, mean, var):
        shape = (1, *mean.shape) if mean.ndim > 1 else ((1, -1) if x.ndim == 2 else (1, -1, 1))
        scale = np.sqrt(var) + script.eps if mistake == "eps_outside_sqrt" else np.sqrt(var + script.eps)
        y = (x - mean.reshape(shape)) / scale.reshape(shape)
        if mistake == "no_affine":
            return y
        affine = (1, -1) if x.ndim == 2 else (1, -1, 1)
        return y * script.weight.reshape(affine) + script.bias.reshape(affine)

    for x in script.batches:
        axes = (0,) if x.ndim == 2 or mistake == "3d_over_batch_only" else (0, 2)
        mean, biased = x.mean(axis=axes), x.var(axis=axes)
        n = x.size // mean.size
        unbiased = biased * n / (n - 1)
        out["outputs"].append(normalise(x, mean, unbiased if mistake == "unbiased_var_normalises" else biased))
        tracked += 1
        m = 1.0 / tracked if script.momentum is None else script.momentum
        if mistake == "momentum_none_as_default" and script.momentum is None:
            m = 0.1
        if mistake == "momentum_flipped":
            m = 1 - m
        if mistake != "no_running_update" and mean.shape == (c,):
            mean_run = (1 - m) * mean_run + m * mean
            var_run = (1 - m) * var_run + m * (biased if mistake == "biased_running_var" else unbiased)
        out["running_mean"].append(mean_run.copy())
        out["running_var"].append(var_run.copy())
    if mistake == "batch_stats_in_eval":
        axes = (0,) if script.eval_batch.ndim == 2 else (0, 2)
        out["eval"] = normalise(script.eval_batch, script.eval_batch.mean(axis=axes), script.eval_batch.var(axis=axes))
    else:
        out["eval"] = normalise(script.eval_batch, mean_run, var_run)
    return out


MISTAKES = {
    "unbiased_var_normalises": ("outputs", "the batch is normalised with the unbiased variance (n - 1); nn.BatchNorm1d "
                                "normalises with the biased one (divide by n) and keeps the unbiased one for running_var"),
    "eps_outside_sqrt": ("outputs", "eps is added after the square root: divide by sqrt(var + eps)"),
    "no_affine": ("outputs", "weight and bias are not applied: y = x_hat * weight + bias"),
    "3d_over_batch_only": ("outputs", "for an (N, C, L) input the statistics are taken over N only; take them over N and L"),
    "momentum_flipped": ("running_mean", "the momentum weighs the old running value: running = (1 - momentum) * running "
                         "+ momentum * batch statistic, as torch defines it"),
    "no_running_update": ("running_mean", "the running statistics are never updated in training mode"),
    "momentum_none_as_default": ("running_mean", "momentum=None means a plain average of all batches so far: "
                                 "m = 1 / num_batches_tracked"),
    "biased_running_var": ("running_var", "running_var averages the biased variance; torch keeps the unbiased one, "
                           "var * n / (n - 1)"),
    "batch_stats_in_eval": ("eval", "in evaluation mode the batch's own statistics are used; eval() must use "
                            "running_mean and running_var"),
}


def _diagnoses(script: Script, observable: str, index: int | None) -> list[Diagnosis]:
    def answer(mistake):
        value = simulate(script, mistake)[observable]
        return value if index is None else value[index]

    return [Diagnosis(message, lambda mistake=mistake: answer(mistake))
            for mistake, (where, message) in MISTAKES.items() if where == observable or observable == "running_var"]


# -- comparing -------------------------------------------------------------------------------------------------
def compare(learner, script: Script) -> None:
    """Run the script on both and compare every observable, in the order they happen."""
    reply = learner._drive(DRIVER + "run", script.config(), list(script.batches), script.grad_out, script.eval_batch,
                           script.weight, script.bias, script.dtype)
    if reply.get("refused"):
        fail(f"your code called torch's {reply['refused']}: write the normalisation with tensor operations")
    if reply.get("problem"):
        fail(reply["problem"])
    want = torch_run(script)
    rtol, atol = TOLERANCE[script.dtype]
    for i in range(len(script.batches)):
        step = f"after training batch {i + 1} of {len(script.batches)}"
        assert_close(reply["outputs"][i], want["outputs"][i], what=f"forward(x) in training mode, batch {i + 1}", rtol=rtol,
                     atol=atol, diagnoses=_diagnoses(script, "outputs", i))
        assert_close(reply["running_mean"][i], want["running_mean"][i], what=f"running_mean {step}", rtol=rtol, atol=atol,
                     diagnoses=_diagnoses(script, "running_mean", i))
        assert_close(reply["running_var"][i], want["running_var"][i], what=f"running_var {step}", rtol=rtol, atol=atol,
                     diagnoses=_diagnoses(script, "running_var", i))
        if reply["tracked"][i] != want["tracked"][i]:
            fail(f"num_batches_tracked {step} is {reply['tracked'][i]}, expected {want['tracked'][i]}: add 1 per training batch")
    grads = reply.get("grads") or {}
    for name in ("x", "weight", "bias"):
        if grads.get(name) is None:
            fail(f"after backward through the last training batch, {name}.grad is None: {name} is not connected to the output")
        assert_close(grads[name], want["grads"][name], what=f"{name}.grad (backward through training batch "
                     f"{len(script.batches)})", rtol=max(rtol, 1e-8), atol=atol)
    assert_close(reply["eval"], want["eval"], what="forward(x) in evaluation mode", rtol=rtol, atol=atol,
                 diagnoses=_diagnoses(script, "eval", None))
    after = reply["after_eval"]
    if after["tracked"] != want["tracked"][-1] or not np.allclose(after["running_mean"], want["running_mean"][-1], rtol=rtol):
        fail("evaluation changed the running statistics: in eval mode nothing is updated")


# -- checks ------------------------------------------------------------------------------------------------------
@check(examples=20)
@example(script=make_script(8, 3, None, 3, 0.1, 1e-5, seed=1))
@example(script=make_script(4, 2, 5, 2, 0.1, 1e-5, seed=2))
@example(script=make_script(6, 3, None, 4, None, 1e-5, seed=3))
@example(script=make_script(5, 4, 2, 3, 0.3, 1e-3, seed=4))
@example(script=make_script(2, 1, None, 2, 0.1, 1e-5, seed=5))
@given(script=scripts())
def matches_nn_batchnorm1d_in_float64(learner, script):
    """Training outputs, running statistics, gradients and evaluation outputs = nn.BatchNorm1d's (1e-9, float64)."""
    compare(learner, script)


@check(examples=5)
@example(script=make_script(16, 4, None, 3, 0.1, 1e-5, dtype="float32", seed=6))
@example(script=make_script(8, 2, 6, 2, None, 1e-3, dtype="float32", seed=7))
@given(script=scripts().map(lambda s: Script(**{**s.__dict__, "dtype": "float32"})))
def matches_nn_batchnorm1d_in_float32(learner, script):
    """The same in float32, to 1e-5: the module works in the dtype it was moved to."""
    compare(learner, script)


@check(examples=1)
def loads_nn_batchnorm1ds_state_dict(learner):
    """nn.BatchNorm1d's state dict (weight, bias, running_mean, running_var, num_batches_tracked) loads strictly, and
    evaluation with it gives nn.BatchNorm1d's output."""
    rng = np.random.default_rng(11)
    reference = torch.nn.BatchNorm1d(4).double()
    with torch.no_grad():
        for tensor in (reference.weight, reference.bias, reference.running_mean):
            tensor.copy_(torch.tensor(rng.normal(0, 1, 4)))
        reference.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, 4)))
        reference.num_batches_tracked.fill_(7)
    x = rng.normal(0, 2, (5, 4))
    state = {k: v.numpy() for k, v in reference.state_dict().items()}
    reply = learner._drive(DRIVER + "load_and_evaluate", 4, state, x)
    if reply.get("problem"):
        fail(reply["problem"])
    want = reference.eval()(torch.tensor(x)).detach().numpy()
    assert_close(reply["out"], want, what="forward(x) in eval mode after load_state_dict", rtol=1e-9, atol=1e-12)


@check(examples=1)
def keeps_badly_scaled_tanh_layers_out_of_saturation(learner):
    """With weights five times too large, five tanh layers saturate (|t| > 0.97) for most units; each followed by
    your BatchNorm1d, fewer than 10 % saturate in every layer."""
    fractions = learner._drive(DRIVER + "saturation", [40, 100, 100, 100, 100, 100], 5.0, 0)
    worst = max(fractions)
    if worst >= 0.10:
        shown = ", ".join(f"{100 * f:.0f} %" for f in fractions)
        fail(f"saturated tanh units per layer: {shown}; batch-normalised pre-activations have unit variance, where "
             "tanh is far from saturation: is the batch really standardised (mean 0, variance 1 per feature) in training mode?")


@check(examples=1)
def written_without_torchs_batch_norm(learner):
    """The module is written from tensor operations: nn.BatchNorm1d, F.batch_norm and friends are refused
    (read in your file, and refused again while your code runs)."""
    learner._drive(DRIVER + "construct", 3)  # an unwritten module is "not implemented", not a pass
    hits = uses_torch_batch_norm(learner._session.module.file)
    if hits:
        fail("your file uses torch's own batch normalisation, which this exercise asks you to write:\n  " + "\n  ".join(hits))


def uses_torch_batch_norm(path) -> list[str]:
    """Lines of the learner's file that name torch's batch-norm modules or functions (read, never run)."""
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError):
        return []
    return sorted({f"line {node.lineno}: {node.attr}" for node in ast.walk(tree)
                   if isinstance(node, ast.Attribute) and node.attr in ("BatchNorm1d", "batch_norm", "BatchNorm2d")
                   and not (isinstance(node.value, ast.Name) and node.value.id == "self")})
