"""Grader for stage2/diagnose: dead ReLUs, gradient-to-data and update-to-data ratios.

Each statistic is first compared with the judge's own (torch, float64, to 1e-10) on inputs built
to tell the definitions apart: units dead on all examples but one, inputs exactly 0, batches of
sequences (N, T, H); a probe module holding every kind of parameter (weight matrices, a nested
one, 1-D biases and norm gains, a 3-D convolution kernel, a frozen layer) with gradients whose
means and scales differ from layer to layer, a zero gradient, several learning rates. Then four
small ReLU networks are trained a few plain SGD steps in the learner's process with the
learner's statistics recorded at every step, and the same networks here with the judge's: a
healthy one, and three broken on purpose (large negative biases kill the ReLUs, tiny weights
make the gradients vanish, a huge learning rate makes training diverge). The learner's numbers
must be the judge's and show what is wrong with each. Known mistakes are recomputed on the same
input and named when the learner's numbers are theirs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, after_calling, assert_close, check, example, fail, given
from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL
from mldojo.graders.stage2 import diagnose_driver as driver

VERSION = "1"
DRIVER = "mldojo.graders.stage2.diagnose_driver:"
RTOL, ATOL = 1e-10, 1e-300
SEEDS = st.integers(0, 2**31 - 1)


# -- the judge's statistics, and the known mistakes ----------------------------------------------------------------
def dead_fraction(t: torch.Tensor, mistake: str | None = None) -> float:
    """dead_relu_fraction as defined (mistake None) or as a known mistake computes it."""
    rows = t.reshape(-1, t.shape[-1])  # (examples, H)
    if mistake == "any_example":
        return (rows <= 0).any(dim=0).double().mean().item()
    if mistake == "entries":
        return (t <= 0).double().mean().item()
    if mistake == "strict":
        return (rows < 0).all(dim=0).double().mean().item()
    if mistake == "count":
        return (rows <= 0).all(dim=0).double().sum().item()
    if mistake == "examples_as_units":
        return (rows <= 0).all(dim=1).double().mean().item()
    if mistake == "first_axis_only":
        return (t <= 0).all(dim=0).double().mean().item()
    return (rows <= 0).all(dim=0).double().mean().item()


DEAD_MISTAKES = {
    "any_example": "a unit counts as dead as soon as its input is <= 0 on ONE example; it is dead only when that holds "
                   "on every example of the batch (all over the examples, not any)",
    "entries": "this is the fraction of all entries that are <= 0; count units: a unit (a column) is dead when every one "
               "of its entries is <= 0",
    "strict": "an input of exactly 0 is dead too (ReLU gives 0 and passes no gradient there): test <= 0, not < 0",
    "count": "this is the number of dead units; return their fraction (divide by H)",
    "examples_as_units": "the axes are swapped: the units are the LAST axis, and a unit is dead when its whole column "
                         "is <= 0",
    "first_axis_only": "for an (N, T, H) input every (n, t) position is an example: flatten the leading axes "
                       "(reshape(-1, H)) before asking whether a unit is dead on all of them",
}


def _kept(model):
    """(name, p) for every parameter the ratios report: exactly 2-D, with a gradient."""
    return [(name, p) for name, p in model.named_parameters() if p.ndim == 2 and p.grad is not None]


def _whole_net(kept):
    grads = torch.cat([p.grad.reshape(-1) for _, p in kept])
    data = torch.cat([p.detach().reshape(-1) for _, p in kept])
    return grads, data


def grad_ratios(model, mistake: str | None = None) -> dict:
    """gradient_to_data_ratios as defined or as a known mistake computes it."""
    kept = _kept(model)
    if mistake == "whole_net":
        g, d = _whole_net(kept)
        return {name: (g.std() / d.std()).item() for name, _ in kept}
    found = {}
    for name, p in kept:
        g, d = p.grad, p.detach()
        ratio = {"norm": lambda: g.norm() / d.norm(),
                 "abs_mean": lambda: g.abs().mean() / d.abs().mean(),
                 "no_division": lambda: g.std(),
                 "inverted": lambda: d.std() / g.std(),
                 "variance": lambda: g.var() / d.var(),
                 "elementwise": lambda: (g / d).abs().mean()}.get(mistake, lambda: g.std() / d.std())()
        found[name] = ratio.item()
    return found


GRAD_MISTAKES = {
    "norm": "this is the ratio of the norms, p.grad.norm() / p.norm(); the definition uses standard deviations, "
            "p.grad.std() / p.std() (they differ whenever a tensor's mean is not 0)",
    "abs_mean": "this is the ratio of mean absolute values; the definition is p.grad.std() / p.std()",
    "no_division": "this is p.grad.std() alone: divide by the weight's own p.std(), so the ratio says how big the "
                   "gradient is next to the weight",
    "inverted": "the ratio is upside down: p.grad.std() / p.std(), gradient over data",
    "variance": "these are ratios of variances (the squares): use std, not var",
    "elementwise": "this is the mean of |p.grad / p| entry by entry, which a few tiny weights blow up; the definition "
                   "compares the spreads of the two tensors: p.grad.std() / p.std()",
    "whole_net": "every weight got the same number, computed over the whole network; each ratio comes from its own "
                 "tensor alone (one per layer)",
}


def update_ratios(model, lr: float, mistake: str | None = None) -> dict:
    """update_to_data_ratios as defined or as a known mistake computes it."""
    kept = _kept(model)
    if mistake == "whole_net":
        g, d = _whole_net(kept)
        return {name: torch.log10((lr * g).std() / d.std()).item() for name, _ in kept}
    found = {}
    for name, p in kept:
        g, d = p.grad, p.detach()
        step = g if mistake == "no_lr" else lr * g
        if mistake == "norm":
            ratio = step.norm() / d.norm()
        else:
            ratio = step.std() / d.std()
        if mistake == "no_log":
            found[name] = ratio.item()
        elif mistake == "natural_log":
            found[name] = torch.log(ratio).item()
        else:
            found[name] = torch.log10(ratio).item()
    return found


UPDATE_MISTAKES = {
    "no_lr": "the learning rate is missing: the step is lr * p.grad, so the ratio is log10((lr * p.grad).std() / p.std())",
    "no_log": "the ratio is not in log10: return log10((lr * p.grad).std() / p.std())",
    "natural_log": "this is the natural logarithm; the definition takes log10 (so -3 means a step a thousandth of the "
                   "weight)",
    "norm": "this uses norms; the definition uses standard deviations: log10((lr * p.grad).std() / p.std())",
    "whole_net": "every weight got the same number, computed over the whole network; each ratio comes from its own "
                 "tensor alone (one per layer)",
}


class Stats:
    """The three statistics as the judge computes them, or with one known mistake (for the diagnoses)."""

    def __init__(self, mistake: str | None = None):
        self.mistake = mistake

    def dead_relu_fraction(self, t):
        return dead_fraction(t, self.mistake if self.mistake in DEAD_MISTAKES else None)

    def gradient_to_data_ratios(self, model):
        return grad_ratios(model, self.mistake if self.mistake in GRAD_MISTAKES else None)

    def update_to_data_ratios(self, model, lr):
        return update_ratios(model, lr, self.mistake if self.mistake in UPDATE_MISTAKES else None)


CHANGED = ("your function wrote into what it was given (an in-place operation such as *=, += or mul_ on p.grad, p.data "
           "or the tensor, or a step taken inside it): make new tensors, e.g. lr * p.grad, and leave the model as it was")


def refuse_changes(reply: dict, context: str = "") -> None:
    """Fail on a problem the driver reported; a changed model or tensor is named for what it is."""
    if reply.get("problem"):
        fail(context + reply["problem"], diagnosis=CHANGED if reply.get("changed") else None)


# -- comparing ------------------------------------------------------------------------------------------------------
def compare_fraction(got, want: float, what: str, wrong, confirm=None) -> None:
    """One dead fraction (exact up to rounding), the dead-ReLU mistakes as diagnoses."""
    if isinstance(got, str):
        fail(f"{what} returned {got}; expected a float")
    assert_close(got, want, what=what, rtol=1e-12, atol=1e-15,
                 diagnoses=[Diagnosis(message, lambda k=k: wrong(k), None if confirm is None else lambda k=k: confirm(k))
                            for k, message in DEAD_MISTAKES.items()])


def compare_ratios(got, want: dict, what: str, wrong, mistakes: dict, confirm=None) -> None:
    """{name: float} = the judge's: the same names, -inf where the judge has it, the rest to RTOL."""
    if not isinstance(got, dict):
        fail(f"{what} returned {got}; expected a dict name -> float")
    if set(got) != set(want):
        fail(f"{what} returned the names {sorted(got)}\n  expected {sorted(want)}", diagnosis=key_diagnosis(set(got), set(want)))
    names = list(want)  # the order of model.named_parameters()
    for name in names:
        if isinstance(got[name], str):
            fail(f"{what}[{name!r}] is {got[name]}; expected a float")
    values = np.array([got[name] for name in names], dtype=float)
    expected = np.array([want[name] for name in names], dtype=float)
    stopped = np.isneginf(expected)
    for name, value, is_stopped in zip(names, values, stopped):
        if is_stopped and not np.isneginf(value):
            fail(f"{what}[{name!r}] is {value!r}; expected -inf: its gradient is all zeros, so lr * grad has std 0 and "
                 "log10(0) = -inf (the weight does not move)")
        if np.isneginf(value) and not is_stopped:
            fail(f"{what}[{name!r}] is -inf; expected {want[name]!r}: the gradient is not all zeros")
    keep = ~stopped

    def wrong_values(mistake):
        answer = wrong(mistake)
        return np.array([answer[name] for name in names], dtype=float)[keep]

    label = f"{what} for {[n for n, k in zip(names, keep) if k]}"
    assert_close(values[keep], expected[keep], what=label, rtol=RTOL, atol=ATOL,
                 diagnoses=[Diagnosis(message, lambda k=k: wrong_values(k), None if confirm is None else lambda k=k: confirm(k))
                            for k, message in mistakes.items()])


def key_diagnosis(got: set, want: set) -> str | None:
    """What the names the learner returned say about the parameters chosen (certain: read off the names)."""
    extra, missing = got - want, want - got
    if missing or not extra:
        return None
    reasons = []
    one_d = {name for name in extra if name.endswith("bias") or name.startswith("norm.")}
    if one_d:
        reasons.append("biases and norm gains (1-D) are included")
    if "conv.weight" in extra:
        reasons.append("the 3-D convolution kernel is included")
    if "frozen.weight" in extra:
        reasons.append("the frozen layer's weight is included, which has no gradient (p.grad is None)")
    if one_d | {"conv.weight", "frozen.weight"} != extra | {"conv.weight", "frozen.weight"}:
        return None
    return "; ".join(reasons) + ": only parameters with p.ndim == 2 whose p.grad is not None are measured"


# -- the probe ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProbeCase:
    """A Probe's sizes, weights and gradients, and the learning rate for update_to_data_ratios."""

    spec: dict
    lr: float

    def describe_for_learner(self) -> dict:
        """How a failure shows the input."""
        vocab, embed, hidden, out = self.spec["sizes"]
        return {"model": f"nn.Embedding({vocab}, {embed}), nn.Linear({embed}, {hidden}), nn.LayerNorm({hidden}), "
                         f"nn.Conv1d({hidden}, 2, 3), nn.Linear({hidden}, {out}, bias=False), "
                         f"nn.Sequential(nn.Linear({out}, {out})), a frozen nn.Linear({hidden}, {out}); float64",
                "gradients": {name: f"mean {np.mean(g):.3g}, std {np.std(g, ddof=1):.3g}" for name, g in self.spec["grad"].items()},
                "lr": self.lr}


def make_probe(sizes, seed, lr=0.1, zero=()) -> ProbeCase:
    """Weights and gradients of a different mean and scale in every tensor; the names in `zero` get zero gradients."""
    rng = np.random.default_rng(seed)
    model = driver.Probe(*sizes)
    data, grad = {}, {}
    for name, p in model.named_parameters():
        shape = tuple(p.shape)
        data[name] = rng.normal(rng.normal(0, 0.5), rng.uniform(0.2, 2.0), shape)
        if not name.startswith("frozen."):  # a frozen parameter has no gradient
            grad[name] = np.zeros(shape) if name in zero else rng.normal(rng.normal(0, 0.05), 10.0 ** rng.uniform(-4, -1), shape)
    return ProbeCase({"sizes": list(sizes), "data": data, "grad": grad}, lr)


@st.composite
def probes(draw) -> ProbeCase:
    """Sizes from 2 to 7 (no weight with a single entry), any seed, a learning rate from 1e-4 to 3."""
    sizes = [draw(st.integers(2, 7)) for _ in range(4)]
    return make_probe(sizes, draw(SEEDS), draw(st.sampled_from([1e-4, 1e-3, 0.01, 0.1, 0.5, 3.0])))


def judge_ratios(case: ProbeCase, function: str, mistake: str | None = None) -> dict:
    """The judge's (or a mistake's) ratios on the same probe."""
    model = driver.probe(case.spec)
    if function == "gradient_to_data_ratios":
        return grad_ratios(model, mistake)
    return update_ratios(model, case.lr, mistake)


def check_probe(learner, case: ProbeCase, function: str) -> None:
    """The learner's ratio function on the probe = the judge's (a mistake is named only if it fits a second probe too)."""
    lr = case.lr if function == "update_to_data_ratios" else None
    reply = learner._drive(DRIVER + "ratios", function, case.spec, lr)
    refuse_changes(reply)
    call = f"{function}(model)" if lr is None else f"{function}(model, lr={case.lr})"
    mistakes = GRAD_MISTAKES if lr is None else UPDATE_MISTAKES
    second = make_probe(tuple(case.spec["sizes"]), SECOND_SEED, case.lr)
    answers = {}

    def confirm(mistake):
        if "reply" not in answers:
            answers["reply"] = learner._drive(DRIVER + "ratios", function, second.spec, lr)
        got = answers["reply"].get("ratios")
        return isinstance(got, dict) and same_ratios(got, judge_ratios(second, function, mistake))

    compare_ratios(reply["ratios"], judge_ratios(case, function), call, lambda k: judge_ratios(case, function, k), mistakes,
                   confirm)


SECOND_SEED = 20_241_202  # the second probe a diagnosis must fit


def same_ratios(got: dict, want: dict) -> bool:
    """The same names and, to the kit's matching tolerance, the same numbers (-inf in the same places)."""
    if set(got) != set(want) or any(isinstance(v, str) for v in got.values()):
        return False
    a = np.array([got[k] for k in sorted(want)], dtype=float)
    b = np.array([want[k] for k in sorted(want)], dtype=float)
    infinite = np.isinf(a) | np.isinf(b)
    return bool(np.array_equal(a[infinite], b[infinite])
                and np.all(np.abs(a[~infinite] - b[~infinite]) <= MATCH_ATOL + MATCH_RTOL * np.abs(b[~infinite])))


# -- the dead fraction's inputs -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    """Pre-activations (..., H) and their dtype."""

    pre: np.ndarray
    dtype: str = "float64"

    def describe_for_learner(self) -> dict:
        """How a failure shows the input."""
        return {"pre_activations": self.pre, "shape": self.pre.shape, "dtype": f"torch.{self.dtype}"}


# Column by column: dead everywhere; alive on one example only; exactly 0 everywhere (dead);
# alive everywhere; 0 or below with one exact 0 (dead).
MIXED = np.array([[-1.0, -2.0, 0.0, 0.5, -0.1],
                  [-0.5, -1.0, 0.0, 1.0, 0.0],
                  [-2.0, 3.0, 0.0, 0.2, -3.0],
                  [-0.1, -0.5, 0.0, 2.0, -1.0]])
# (N=3, T=2, H=4): unit 0 dead everywhere, unit 1 alive at one (n, t) only, unit 2 alive at t=0 of every
# sequence, unit 3 alive everywhere.
SEQUENCES = np.array([[[-1.0, -1.0, 1.0, 1.0], [-2.0, -1.0, -1.0, 2.0]],
                      [[-1.0, -1.0, 0.5, 3.0], [-0.5, 2.0, -2.0, 1.0]],
                      [[-3.0, -1.0, 2.0, 1.0], [-1.0, -0.5, -0.1, 0.5]]])


@st.composite
def batches(draw) -> Batch:
    """Up to three leading axes, H from 1 to 8; each unit's inputs offset so that some units die, a few entries exactly 0."""
    lead = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    h = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(SEEDS))
    pre = rng.normal(0, 1, (*lead, h)) + rng.normal(-1.5, 1.5, h)
    pre[rng.random(pre.shape) < 0.1] = 0.0
    return Batch(pre, draw(st.sampled_from(["float64", "float64", "float32"])))


# -- the networks ------------------------------------------------------------------------------------------------------
NETS = {
    "healthy": {"gain": math.sqrt(2.0), "bias": 0.0, "lr": 0.1},
    "dead": {"gain": math.sqrt(2.0), "bias": -1.5, "lr": 0.1},
    "vanishing": {"gain": 0.25, "bias": 0.0, "lr": 0.1},
    "exploding": {"gain": math.sqrt(2.0), "bias": 0.0, "lr": 30.0},
}
STEPS = {"healthy": 3, "dead": 3, "vanishing": 3, "exploding": 2}  # a diverging run is kept short: it grows a thousandfold a step


def net(kind: str, seed: int, depth: int) -> dict:
    """The judge's network of this kind."""
    return {**NETS[kind], "seed": seed, "depth": depth, "kind": kind}


def describe_net(spec: dict) -> str:
    return (f"the {spec['kind']} network: {spec['depth']} hidden ReLU layers of {driver.WIDTH} units, weights "
            f"N(0, ({spec['gain']:.3g} / sqrt(fan_in))**2), hidden biases {spec['bias']}, a batch of {driver.BATCH}, "
            f"plain SGD with lr={spec['lr']} (seed {spec['seed']})")


def trained(learner, kind: str, seed: int, depth: int) -> dict:
    """The learner's history on the judge's network of this kind, checked against the judge's; returns it."""
    spec = net(kind, seed, depth)
    steps = STEPS[kind]
    got = learner._drive(DRIVER + "record", spec, steps)
    refuse_changes(got, f"while training {describe_net(spec)}:\n  ")
    want = driver.run(Stats(), spec, steps)
    mistaken = {}

    def wrong(mistake):
        if mistake not in mistaken:
            mistaken[mistake] = driver.run(Stats(mistake), spec, steps)
        return mistaken[mistake]

    with after_calling(f"recording your statistics while training {describe_net(spec)}"):
        for i in range(steps):
            at = f"step {i + 1} of {steps}"
            for layer, (value, expected) in enumerate(zip(got["dead"][i], want["dead"][i])):
                compare_fraction(value, expected, f"dead_relu_fraction(input of ReLU {layer + 1}) at {at}",
                                 lambda k, i=i, layer=layer: wrong(k)["dead"][i][layer])
            compare_ratios(got["grad"][i], want["grad"][i], f"gradient_to_data_ratios(model) at {at}",
                           lambda k, i=i: wrong(k)["grad"][i], GRAD_MISTAKES)
            compare_ratios(got["update"][i], want["update"][i], f"update_to_data_ratios(model, lr={spec['lr']}) at {at}",
                           lambda k, i=i: wrong(k)["update"][i], UPDATE_MISTAKES)
    return got


def shows(history: dict, condition: bool, signature: str) -> None:
    """The recorded numbers (already equal to the judge's) show the network's signature."""
    if not condition:
        fail(f"the numbers recorded on this network do not show {signature} (loss per step: "
             f"{', '.join(f'{v:.4g}' for v in history['loss'])})")


DEPTHS = st.integers(4, 6)


def _history_arrays(history):
    dead = np.array(history["dead"], dtype=float)  # (steps, hidden layers)
    grad = np.array([[step[k] for k in sorted(step)] for step in history["grad"]], dtype=float)  # (steps, weights)
    update = np.array([[step[k] for k in sorted(step)] for step in history["update"]], dtype=float)
    return dead, grad, update


# -- checks -------------------------------------------------------------------------------------------------------------
@check(examples=25)
@example(batch=Batch(MIXED))
@example(batch=Batch(SEQUENCES))
@example(batch=Batch(np.abs(MIXED) + 0.1))
@example(batch=Batch(-np.abs(MIXED)))
@example(batch=Batch(MIXED[:1]))
@example(batch=Batch(MIXED.T.copy(), "float32"))
@given(batch=batches())
def dead_relu_fraction_counts_units_dead_on_every_example(learner, batch):
    """dead_relu_fraction(pre_activations) is the fraction of units (last axis) whose input is <= 0 on every example (every
    position of the leading axes)."""
    reply = learner._drive(DRIVER + "fraction", batch.pre, batch.dtype)
    refuse_changes(reply)
    t = torch.tensor(batch.pre, dtype=getattr(torch, batch.dtype))
    # A mistake is named only if it also explains the learner's answer on a second batch of the same shape.
    second = np.random.default_rng(SECOND_SEED).normal(-0.5, 1.0, batch.pre.shape).round(0)  # some exact zeros
    answers = {}

    def confirm(mistake):
        if "value" not in answers:
            answers["value"] = learner._drive(DRIVER + "fraction", second, batch.dtype).get("value")
        value = answers["value"]
        wrong = dead_fraction(torch.tensor(second, dtype=t.dtype), mistake)
        return not isinstance(value, str) and abs(value - wrong) <= MATCH_ATOL + MATCH_RTOL * abs(wrong)

    compare_fraction(reply["value"], dead_fraction(t), f"dead_relu_fraction(a {batch.dtype} tensor of shape {batch.pre.shape})",
                     lambda k: dead_fraction(t, k), confirm)


PROBE_SIZES = (5, 3, 4, 6)


@check(examples=20)
@example(case=make_probe(PROBE_SIZES, 1))
@example(case=make_probe((2, 2, 2, 2), 2))
@example(case=make_probe(PROBE_SIZES, 3, zero=("out.weight",)))
@given(case=probes())
def gradient_to_data_ratios_one_per_weight_matrix(learner, case):
    """gradient_to_data_ratios(model) = {name: p.grad.std() / p.std()} for exactly the 2-D parameters that have a gradient
    (not biases, norm gains, a 3-D kernel or a frozen weight), each from its own tensor (1e-10)."""
    check_probe(learner, case, "gradient_to_data_ratios")


@check(examples=20)
@example(case=make_probe(PROBE_SIZES, 1, lr=0.1))
@example(case=make_probe(PROBE_SIZES, 4, lr=1e-3))
@example(case=make_probe((2, 2, 2, 2), 5, lr=3.0))
@example(case=make_probe(PROBE_SIZES, 3, lr=0.01, zero=("out.weight",)))
@given(case=probes())
def update_to_data_ratios_are_log10_of_the_sgd_step(learner, case):
    """update_to_data_ratios(model, lr) = {name: log10((lr * p.grad).std() / p.std())} for the same parameters; -inf for a
    weight whose gradient is all zeros (1e-10)."""
    check_probe(learner, case, "update_to_data_ratios")


@check(examples=2)
@example(seed=1, depth=5)
@given(seed=SEEDS, depth=DEPTHS)
def a_healthy_network_looks_healthy(learner, seed, depth):
    """On a Kaiming-initialised ReLU network trained with lr=0.1, your numbers at every step are the judge's: fewer than
    half the units of any layer dead, every update ratio between -3 and 0 (log10), and the loss falls."""
    history = trained(learner, "healthy", seed, depth)
    dead, _grad, update = _history_arrays(history)
    shows(history, dead.max() < 0.5 and update.min() > -3 and update.max() < 0 and history["loss"][-1] < history["loss"][0],
          "a healthy network: few dead units, update ratios between -3 and 0, a falling loss")


@check(examples=2)
@example(seed=1, depth=5)
@given(seed=SEEDS, depth=DEPTHS)
def large_negative_biases_show_as_dead_relus(learner, seed, depth):
    """With every hidden bias at -1.5, your numbers are the judge's: the last hidden layer is dead on the whole batch,
    so no weight gets any gradient (every gradient ratio 0, every update ratio -inf) and the loss never moves."""
    history = trained(learner, "dead", seed, depth)
    dead, grad, update = _history_arrays(history)
    shows(history, bool(np.all(dead[:, -1] == 1.0) and np.all(grad == 0) and np.all(np.isneginf(update))),
          "dead ReLUs: the last hidden layer dead on the whole batch, no gradient anywhere")


@check(examples=2)
@example(seed=1, depth=5)
@given(seed=SEEDS, depth=DEPTHS)
def tiny_weights_show_as_vanishing_updates(learner, seed, depth):
    """With weights about a sixth of Kaiming's scale, your numbers are the judge's: every gradient is under a hundredth of its
    weight and every update ratio is below -3 (each step moves the weights by less than a thousandth): learning crawls."""
    history = trained(learner, "vanishing", seed, depth)
    _dead, grad, update = _history_arrays(history)
    shows(history, grad.max() < 0.01 and update.max() < -3, "vanishing updates: every update ratio below -3")


@check(examples=2)
@example(seed=1, depth=5)
@given(seed=SEEDS, depth=DEPTHS)
def a_huge_learning_rate_shows_as_exploding_updates(learner, seed, depth):
    """With lr=30, your numbers are the judge's: at the first step every update ratio is above -1 (each step is at least
    a tenth of its weight, where -3 is healthy) and the loss then rises."""
    history = trained(learner, "exploding", seed, depth)
    _dead, _grad, update = _history_arrays(history)
    shows(history, update[0].min() > -1 and history["loss"][1] > history["loss"][0],
          "exploding updates: every update ratio above -1 at the first step, a rising loss")
