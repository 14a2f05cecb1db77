"""Trusted code that runs inside the learner process for stage2/batchnorm.

Each call builds the learner's BatchNorm1d and runs a scripted sequence on it (training
batches, a backward pass, evaluation), under a torch function mode that refuses torch's own
batch-norm kernels, and sends back plain arrays. It decides nothing: the judge runs the same
script on nn.BatchNorm1d and compares.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from mldojo.graders.engine.driver_support import backward_along

REFUSED = ("batch_norm", "instance_norm", "group_norm", "layer_norm")


class NormGuard(TorchFunctionMode):
    """Refuses torch's normalisation kernels while the learner's code runs."""

    def __init__(self):
        super().__init__()
        self.refused = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "") or str(func)
        if any(fragment in name for fragment in REFUSED):
            self.refused.append(name)
            raise RuntimeError(f"mldojo: torch's {name} is refused here; normalise with tensor operations")
        return func(*args, **(kwargs or {}))


def _tensor(array, dtype, requires_grad=False):
    return torch.tensor(np.asarray(array), dtype=getattr(torch, dtype), requires_grad=requires_grad)


def _array(tensor):
    return tensor.detach().to(torch.float64).cpu().numpy().copy()  # a copy: buffers change in place later


def run(module, config, batches, grad_out, eval_batch, weight, bias, dtype="float64"):
    """Train on each batch, backward through the last one, then evaluate; every observable as arrays.

    Reply: {"outputs": [...], "running_mean": [...], "running_var": [...], "tracked": [...], "grads": {x, weight, bias},
            "eval": array, "after_eval": {running_mean, running_var, tracked}, "refused": name or None, "problem": str or None}
    """
    guard = NormGuard()
    try:
        with guard:
            return _script(module, config, batches, grad_out, eval_batch, weight, bias, dtype)
    except RuntimeError:
        if guard.refused:
            return {"refused": guard.refused[0], "problem": None}
        raise


def _script(module, config, batches, grad_out, eval_batch, weight, bias, dtype):
    norm = module.BatchNorm1d(config["num_features"], eps=config["eps"], momentum=config["momentum"])
    problem = _missing_names(norm)
    if problem:
        return {"refused": None, "problem": problem}
    norm = norm.to(getattr(torch, dtype))
    with torch.no_grad():
        norm.weight.copy_(_tensor(weight, dtype))
        norm.bias.copy_(_tensor(bias, dtype))
    norm.train()
    reply = {"outputs": [], "running_mean": [], "running_var": [], "tracked": [], "refused": None, "problem": None}
    for i, batch in enumerate(batches):
        last = i == len(batches) - 1
        x = _tensor(batch, dtype, requires_grad=last)
        out = norm(x)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(x.shape):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            return {"refused": None, "problem": f"forward(x) returned {shape} for x of shape {tuple(x.shape)}; expected the same shape"}
        reply["outputs"].append(_array(out))
        reply["running_mean"].append(_array(norm.running_mean))
        reply["running_var"].append(_array(norm.running_var))
        reply["tracked"].append(int(norm.num_batches_tracked))
        if last:
            if not out.requires_grad:
                return {"refused": None, "problem": "the output does not require grad: gradients cannot reach x, weight and bias"}
            backward_along(out, _tensor(grad_out, dtype))
            grads = {}
            for name, tensor in (("x", x), ("weight", norm.weight), ("bias", norm.bias)):
                grads[name] = None if tensor.grad is None else _array(tensor.grad)
            reply["grads"] = grads
    norm.eval()
    reply["eval"] = _array(norm(_tensor(eval_batch, dtype)))
    reply["after_eval"] = {"running_mean": _array(norm.running_mean), "running_var": _array(norm.running_var),
                           "tracked": int(norm.num_batches_tracked)}
    return reply


def _missing_names(norm):
    if not isinstance(norm, torch.nn.Module):
        return f"BatchNorm1d(...) made a {type(norm).__name__}; it must be an nn.Module (subclass nn.Module, call super().__init__())"
    names = dict(norm.named_parameters())
    buffers = dict(norm.named_buffers())
    for name in ("weight", "bias"):
        if name not in names:
            return f"BatchNorm1d has no parameter {name!r} (parameters: {sorted(names)}): make it an nn.Parameter"
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        if name not in buffers:
            return f"BatchNorm1d has no buffer {name!r} (buffers: {sorted(buffers)}): self.register_buffer({name!r}, ...)"
    return ""


def construct(module, num_features):
    """Build the learner's BatchNorm1d (an unwritten stub raises NotImplementedError here)."""
    module.BatchNorm1d(num_features)
    return None


def load_and_evaluate(module, num_features, state, x):
    """Load nn.BatchNorm1d's state dict (strict) into the learner's module, evaluate x."""
    guard = NormGuard()
    with guard:
        norm = module.BatchNorm1d(num_features).to(torch.float64)
        tensors = {k: torch.tensor(np.asarray(v)) for k, v in state.items()}
        tensors["num_batches_tracked"] = tensors["num_batches_tracked"].to(torch.long)
        try:
            norm.load_state_dict(tensors, strict=True)
        except RuntimeError as exc:
            return {"problem": "load_state_dict(nn.BatchNorm1d's state dict) failed:\n" + str(exc).strip()}
        norm.eval()
        return {"problem": None, "out": _array(norm(_tensor(x, "float64")))}


def saturation(module, widths, scale, seed):
    """Fraction of saturated tanh units (|t| > 0.97) per layer of a tanh MLP whose linear layers
    are scaled `scale` times too large, each followed by the learner's BatchNorm1d."""
    generator = torch.Generator().manual_seed(int(seed))
    h = torch.randn(512, widths[0], generator=generator, dtype=torch.float64)
    fractions = []
    with NormGuard():
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            w = torch.randn(fan_in, fan_out, generator=generator, dtype=torch.float64) * scale / fan_in**0.5
            norm = module.BatchNorm1d(fan_out).to(torch.float64).train()
            h = torch.tanh(norm(h @ w))
            fractions.append(float((h.abs() > 0.97).double().mean()))
    return fractions
