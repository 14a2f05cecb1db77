"""Trusted code that runs inside the learner process for stage2/diagnose (and, with the judge's
own statistics, in the judge: the same networks, the same steps).

- `fraction(module, array, dtype)`: the learner's dead_relu_fraction on a tensor made here.
- `ratios(module, function, spec, lr)`: the learner's gradient_to_data_ratios or
  update_to_data_ratios on a Probe holding the judge's weights and gradients.
- `record(module, net, steps)`: the judge's network (seeded, so the same numbers on both sides)
  trained `steps` plain SGD steps, the learner's three statistics recorded at every step.

Everything sent back is plain numbers (or a line saying what came back instead). Every call
checks that the learner's code left the model as it found it. It decides nothing.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

INPUTS, CLASSES, BATCH, WIDTH = 20, 10, 64, 64


def one_thread():
    """Grading tensors are tiny: a second intra-op thread only spins (and costs seconds on a busy machine)."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def number(value):
    """A float from what a statistic returned (a Python number, a NumPy scalar or a one-element
    tensor), or a line describing what it is instead."""
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return f"a tensor of shape {tuple(value.shape)}"
        return float(value.detach().double().item())
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    return f"{type(value).__name__} {str(value)[:60]}"


def numbers(value):
    """{name: float} from what a ratio function returned, or a line describing it."""
    if not isinstance(value, dict):
        return f"{type(value).__name__} {str(value)[:60]}"
    return {str(k): number(v) for k, v in value.items()}


def fraction(module, array, dtype="float64"):
    """module.dead_relu_fraction on the array as a tensor: {"value": float or a description, "problem"}."""
    one_thread()
    tensor = torch.tensor(np.asarray(array), dtype=getattr(torch, dtype))
    kept = tensor.clone()
    value = number(module.dead_relu_fraction(tensor))
    changed = not torch.equal(tensor, kept)
    problem = "dead_relu_fraction changed the tensor it was given: it should only measure" if changed else None
    return {"value": value, "problem": problem, "changed": changed}


# -- a probe: every kind of parameter a ratio function must keep or leave out ---------------------------------
class Probe(nn.Module):
    """Weight matrices (an embedding, linear layers, one nested), 1-D biases and norm gains, a 3-D
    convolution kernel and a frozen linear layer."""

    def __init__(self, vocab, embed, hidden, out):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.hidden = nn.Linear(embed, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.conv = nn.Conv1d(hidden, 2, 3)
        self.out = nn.Linear(hidden, out, bias=False)
        self.blocks = nn.Sequential(nn.Linear(out, out))
        self.frozen = nn.Linear(hidden, out)


def probe(spec):
    """A float64 Probe with spec's sizes, weights and gradients (none for the frozen layer)."""
    one_thread()
    model = Probe(*spec["sizes"]).double()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(np.asarray(spec["data"][name])))
            if name.startswith("frozen."):
                p.requires_grad_(False)
            else:
                p.grad = torch.tensor(np.asarray(spec["grad"][name]))
    return model


def _snapshot(model):
    return [(p.detach().clone(), None if p.grad is None else p.grad.clone()) for p in model.parameters()]


def _unchanged(model, before):
    for p, (data, grad) in zip(model.parameters(), before):
        if not torch.equal(p.detach(), data):
            return False
        if (p.grad is None) != (grad is None) or (grad is not None and not torch.equal(p.grad, grad)):
            return False
    return True


def measure(stats, function, model, lr=None):
    """(stats.<function>(model[, lr]) as {name: float} or a description, a problem line or None)."""
    before = _snapshot(model)
    got = numbers(getattr(stats, function)(model) if lr is None else getattr(stats, function)(model, lr))
    if not _unchanged(model, before):
        return None, f"{function} changed the model's weights or gradients: it should only measure"
    return got, None


def ratios(module, function, spec, lr=None):
    """The learner's ratio function on the probe: {"ratios": {name: float} or a description, "problem"}."""
    got, problem = measure(module, function, probe(spec), lr)
    return {"ratios": got, "problem": problem, "changed": problem is not None}


# -- the judge's networks --------------------------------------------------------------------------------------------
def build(net):
    """nn.Sequential of Linear and ReLU layers and the batch (x, y), all drawn from net["seed"].

    net["depth"] hidden layers of WIDTH units with weights N(0, (gain / sqrt(fan_in))**2), gain =
    net["gain"], and biases net["bias"]; a last Linear to CLASSES logits with gain 1 and bias 0."""
    one_thread()
    generator = torch.Generator().manual_seed(int(net["seed"]))
    sizes = [INPUTS] + [WIDTH] * int(net["depth"]) + [CLASSES]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        linear = nn.Linear(fan_in, fan_out).double()
        with torch.no_grad():
            gain = 1.0 if last else float(net["gain"])
            linear.weight.copy_(torch.randn(fan_out, fan_in, generator=generator, dtype=torch.float64) * gain / math.sqrt(fan_in))
            linear.bias.fill_(0.0 if last else float(net["bias"]))
        layers.append(linear)
        if not last:
            layers.append(nn.ReLU())
    x = torch.randn(BATCH, INPUTS, generator=generator, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (BATCH,), generator=generator)
    return nn.Sequential(*layers), x, y


def run(stats, net, steps):
    """Train the net `steps` SGD steps (lr = net["lr"]), recording stats' numbers at every step.

    {"loss": [float], "dead": [[per hidden layer]], "grad": [{name: float}], "update": [{name: float}],
     "problem": None or a line saying what came back that is not a number, "changed": whether stats changed the model}"""
    model, x, y = build(net)
    lr = float(net["lr"])
    history = {"loss": [], "dead": [], "grad": [], "update": [], "problem": None, "changed": False}
    for _ in range(int(steps)):
        pre = []  # the input of every ReLU, (BATCH, WIDTH)
        h = x
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.Linear) and layer is not model[-1]:
                pre.append(h)
        loss = F.cross_entropy(h, y)
        model.zero_grad()
        loss.backward()
        history["loss"].append(float(loss.item()))
        dead = [number(stats.dead_relu_fraction(z.detach().clone())) for z in pre]
        grad, changed = measure(stats, "gradient_to_data_ratios", model)
        update, changed = (None, changed) if changed else measure(stats, "update_to_data_ratios", model, lr)
        if changed:
            history["problem"], history["changed"] = changed, True
            return history
        for what, got in (("dead_relu_fraction", dead), ("gradient_to_data_ratios(model)", grad),
                          ("update_to_data_ratios(model, lr)", update)):
            bad = _not_numbers(got)
            if bad:
                history["problem"] = f"{what} on the training network: {bad}"
                return history
        history["dead"].append(dead)
        history["grad"].append(grad)
        history["update"].append(update)
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return history


def _not_numbers(got):
    if isinstance(got, str):
        return f"returned {got}; expected a dict name -> float"
    values = got.values() if isinstance(got, dict) else got
    for value in values:
        if isinstance(value, str):
            return f"returned {value} where a number was expected"
    return None


def record(module, net, steps):
    """run() with the learner's statistics."""
    return run(module, net, steps)
