"""Grader for stage2/backprop_ninja: the makemore MLP's backward pass written by hand.

The learner's forward and backward run in the learner's process (backprop_ninja_driver, under
torch.no_grad()); here the same forward runs with autograd on float64 leaves, and every gradient
(C, W1, b1, bngain, bnbias, W2, b2), then the fused cross-entropy and batch-norm backwards, are
compared to autograd's to 1e-8. Sizes are drawn small; the explicit examples, tried on every
grading, include a batch where characters repeat (the embedding's gradient must add up every
occurrence) and the smallest batch (n = 2). Known mistakes are recomputed here on the same
input and named when the learner's numbers are theirs. A last check reads the learner's file:
.backward() and torch.autograd are refused.
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
DRIVER = "mldojo.graders.stage2.backprop_ninja_driver:"
RTOL, ATOL = 1e-8, 1e-10
NAMES = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")
EPS = 1e-5


@dataclass(frozen=True)
class Batch:
    """A parameter set and a batch: Xb (n, block_size) character indices, Yb (n,) targets."""

    params: dict
    Xb: np.ndarray
    Yb: np.ndarray
    dhpreact: np.ndarray  # an upstream gradient for the batch-norm check

    def describe_for_learner(self) -> dict:
        """How a failure shows the input."""
        vocab, n_embd = self.params["C"].shape
        n, block = self.Xb.shape
        shown = {"sizes": f"batch n={n}, vocab_size={vocab}, block_size={block}, n_embd={n_embd}, "
                          f"n_hidden={self.params['W1'].shape[1]} (float64)", "Xb": self.Xb, "Yb": self.Yb}
        shown.update({k: self.params[k] for k in NAMES})
        return shown


def make_batch(n, vocab, block, n_embd, n_hidden, seed=0, Xb=None) -> Batch:
    """Gaussian parameters of sensible scales and uniformly drawn characters (or the given Xb)."""
    rng = np.random.default_rng(seed)
    fan_in = block * n_embd
    params = {"C": rng.normal(0, 1, (vocab, n_embd)),
              "W1": rng.normal(0, 1, (fan_in, n_hidden)) * (5 / 3) / fan_in**0.5,
              "b1": rng.normal(0, 0.1, n_hidden),
              "bngain": rng.uniform(0.5, 1.5, (1, n_hidden)),
              "bnbias": rng.normal(0, 0.2, (1, n_hidden)),
              "W2": rng.normal(0, 0.5, (n_hidden, vocab)),
              "b2": rng.normal(0, 0.1, vocab)}
    xb = rng.integers(0, vocab, (n, block)) if Xb is None else np.asarray(Xb)
    return Batch(params, xb, rng.integers(0, vocab, n), rng.normal(0, 1, (n, n_hidden)))


@st.composite
def batches(draw) -> Batch:
    """Batches of 2..10 rows, vocabularies of 2..8 characters, contexts of 1..4, widths of 1..6."""
    return make_batch(draw(st.integers(2, 10)), draw(st.integers(2, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 4)),
                      draw(st.integers(1, 6)), seed=draw(st.integers(0, 2**31 - 1)))


# -- the oracle: the same forward, with autograd -----------------------------------------------------------
def _tensors(batch: Batch, grad: bool) -> dict:
    return {k: torch.tensor(batch.params[k], dtype=torch.float64, requires_grad=grad) for k in NAMES}


def batchnorm_forward(hprebn, bngain, bnbias):
    """The lecture's batch norm: batch mean, batch variance over n - 1 (Bessel), eps = 1e-5."""
    n = hprebn.shape[0]
    mean = hprebn.mean(0, keepdim=True)
    var = ((hprebn - mean) ** 2).sum(0, keepdim=True) / (n - 1)
    return bngain * (hprebn - mean) / torch.sqrt(var + EPS) + bnbias


def autograd_grads(batch: Batch) -> tuple[float, dict]:
    """The loss and every parameter's gradient, by autograd."""
    p = _tensors(batch, True)
    xb, yb = torch.tensor(batch.Xb, dtype=torch.long), torch.tensor(batch.Yb, dtype=torch.long)
    embcat = p["C"][xb].view(xb.shape[0], -1)
    h = torch.tanh(batchnorm_forward(embcat @ p["W1"] + p["b1"], p["bngain"], p["bnbias"]))
    loss = torch.nn.functional.cross_entropy(h @ p["W2"] + p["b2"], yb)
    loss.backward()
    return float(loss.detach()), {k: p[k].grad.numpy() for k in NAMES}


def _pieces(batch: Batch) -> dict:
    """The forward's intermediates, without autograd."""
    p = _tensors(batch, False)
    xb = torch.tensor(batch.Xb, dtype=torch.long)
    n = xb.shape[0]
    embcat = p["C"][xb].view(n, -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    mean = hprebn.mean(0, keepdim=True)
    var_inv = (((hprebn - mean) ** 2).sum(0, keepdim=True) / (n - 1) + EPS) ** -0.5
    bnraw = (hprebn - mean) * var_inv
    h = torch.tanh(p["bngain"] * bnraw + p["bnbias"])
    return dict(p, xb=xb, yb=torch.tensor(batch.Yb, dtype=torch.long), n=n, embcat=embcat, bnraw=bnraw, var_inv=var_inv,
                h=h, logits=h @ p["W2"] + p["b2"])


def dlogits_of(logits, yb, mistake=None):
    n = logits.shape[0]
    d = torch.softmax(logits, 1)
    d[torch.arange(n), yb] -= 1
    return d if mistake == "dlogits_not_over_n" else d / n


def dhprebn_of(dhpreact, bngain, var_inv, bnraw, mistake=None):
    n = dhpreact.shape[0]
    mean_term = 0 if mistake == "no_mean_term" else dhpreact.sum(0, keepdim=True)
    factor = 1.0 if mistake == "variance_over_n" else n / (n - 1)
    var_term = 0 if mistake == "no_variance_term" else factor * bnraw * (dhpreact * bnraw).sum(0, keepdim=True)
    return bngain * var_inv / n * (n * dhpreact - mean_term - var_term)


def manual_grads(batch: Batch, mistake: str) -> dict:
    """Every gradient as a known mistake computes it."""
    q = _pieces(batch)
    dlogits = dlogits_of(q["logits"], q["yb"], mistake)
    dh = dlogits @ q["W2"].T
    dhpreact = ((1 - q["h"]) if mistake == "tanh_one_minus_h" else (1 - q["h"] ** 2)) * dh
    dhprebn = dhprebn_of(dhpreact, q["bngain"], q["var_inv"], q["bnraw"], mistake)
    demb = (dhprebn @ q["W1"].T).view(*q["xb"].shape, -1)
    dC = torch.zeros_like(q["C"])
    for i in range(q["xb"].shape[0]):
        for j in range(q["xb"].shape[1]):
            if mistake == "embedding_assigned":
                dC[q["xb"][i, j]] = demb[i, j]  # the last occurrence wins
            else:
                dC[q["xb"][i, j]] += demb[i, j]
    grads = {"C": dC, "W1": q["embcat"].T @ dhprebn, "b1": dhprebn.sum(0), "bngain": (q["bnraw"] * dhpreact).sum(0, keepdim=True),
             "bnbias": dhpreact.sum(0, keepdim=True), "W2": q["h"].T @ dlogits, "b2": dlogits.sum(0)}
    return {k: v.numpy() for k, v in grads.items()}


MISTAKES = {
    "dlogits_not_over_n": "dlogits is not divided by the batch size n: the loss is a mean over the batch, so "
                          "dloss/dlogits = (softmax(logits) - one_hot(Yb)) / n",
    "tanh_one_minus_h": "the tanh derivative is written 1 - h; it is 1 - h**2, with h = tanh(hpreact)",
    "variance_over_n": "the batch-norm backward treats the variance as divided by n; the forward divides by n - 1 "
                       "(Bessel's correction), so its backward has 1 / (n - 1) where the variance was taken",
    "no_mean_term": "the batch-norm backward misses the path through the batch mean: subtract dhpreact.sum(0) "
                    "(every row moves the mean)",
    "no_variance_term": "the batch-norm backward misses the path through the batch variance: the term with "
                        "bnraw * (dhpreact * bnraw).sum(0) is absent",
    "embedding_assigned": "the embedding's gradient loses repeated characters: a character that occurs several times "
                          "in Xb must add up all its gradients (dC.index_add_ or +=), not keep only one of them",
}


def _diagnoses(batch: Batch, name: str) -> list[Diagnosis]:
    return [Diagnosis(message, lambda mistake=mistake: manual_grads(batch, mistake)[name]) for mistake, message in MISTAKES.items()]


# -- checks ------------------------------------------------------------------------------------------------------
REPEATS = make_batch(4, 5, 3, 2, 4, seed=1, Xb=[[0, 0, 3], [0, 3, 1], [3, 1, 1], [0, 0, 0]])


@check(examples=20)
@example(batch=REPEATS)
@example(batch=make_batch(2, 3, 2, 2, 3, seed=2))
@example(batch=make_batch(8, 27, 3, 4, 10, seed=3))
@given(batch=batches())
def backward_matches_autograd(learner, batch):
    """backward(params, cache) gives every parameter's gradient = autograd's on the same forward (float64, 1e-8),
    characters that repeat in the batch included."""
    reply = learner._drive(DRIVER + "backward", batch.params, batch.Xb, batch.Yb)
    if reply.get("problem"):
        fail(reply["problem"])
    loss, want = autograd_grads(batch)
    assert_close(reply["loss"], loss, what="the loss forward(params, Xb, Yb) returned", rtol=1e-10, atol=1e-12)
    for name in ("W2", "b2", "bngain", "bnbias", "W1", "b1", "C"):
        assert_close(reply["grads"][name], want[name], what=f"grads[{name!r}]", rtol=RTOL, atol=ATOL,
                     diagnoses=_diagnoses(batch, name))


@check(examples=20)
@example(batch=REPEATS)
@example(batch=make_batch(2, 2, 1, 1, 1, seed=4))
@given(batch=batches())
def fused_cross_entropy_backward_matches_autograd(learner, batch):
    """cross_entropy_backward(logits, Yb) = autograd's dloss/dlogits of the mean cross-entropy (float64, 1e-8)."""
    logits = torch.tensor(_pieces(batch)["logits"].numpy() * 3, requires_grad=True)  # spread out: confident rows too
    yb = torch.tensor(batch.Yb, dtype=torch.long)
    torch.nn.functional.cross_entropy(logits, yb).backward()
    got = learner._drive(DRIVER + "cross_entropy", logits.detach().numpy(), batch.Yb)
    diagnoses = [Diagnosis(MISTAKES["dlogits_not_over_n"],
                           lambda: dlogits_of(logits.detach(), yb, "dlogits_not_over_n").numpy())]
    assert_close(got, logits.grad.numpy(), what="cross_entropy_backward(logits, Yb)", rtol=RTOL, atol=ATOL,
                 diagnoses=diagnoses)


@check(examples=20)
@example(batch=REPEATS)
@example(batch=make_batch(2, 3, 2, 2, 3, seed=5))
@given(batch=batches())
def fused_batchnorm_backward_matches_autograd(learner, batch):
    """batchnorm_backward(dhpreact, cache) = autograd's dloss/dhprebn through the batch norm, the variance taken
    over n - 1 (float64, 1e-8)."""
    q = _pieces(batch)
    hprebn = (q["embcat"] @ q["W1"] + q["b1"]).requires_grad_(True)
    dhpreact = torch.tensor(batch.dhpreact)
    backward_along(batchnorm_forward(hprebn, q["bngain"], q["bnbias"]), dhpreact)
    got = learner._drive(DRIVER + "batchnorm", batch.params, batch.Xb, batch.Yb, batch.dhpreact)
    diagnoses = [Diagnosis(MISTAKES[m], lambda m=m: dhprebn_of(dhpreact, q["bngain"], q["var_inv"], q["bnraw"], m).numpy())
                 for m in ("variance_over_n", "no_mean_term", "no_variance_term")]
    assert_close(got, hprebn.grad.numpy(), what="batchnorm_backward(dhpreact, cache)", rtol=RTOL, atol=ATOL,
                 diagnoses=diagnoses)


@check(examples=1)
def written_without_autograd(learner):
    """The gradients are written by hand: .backward(), torch.autograd and torch.func are refused (read in your file)."""
    learner._drive(DRIVER + "touch")  # an unwritten backward is "not implemented", not a pass
    hits = uses_autograd(learner._session.module.file)
    if hits:
        fail("your file asks autograd for the gradients, which this exercise asks you to write by hand:\n  " + "\n  ".join(hits))


def uses_autograd(path) -> list[str]:
    """Lines of the learner's file that call .backward() or name torch.autograd / torch.func (read, never run)."""
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError):
        return []
    hits = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("backward", "autograd", "func", "grad_fn", "vjp", "jacobian"):
            if not (node.attr == "func" and not (isinstance(node.value, ast.Name) and node.value.id == "torch")):
                hits.add(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in ("autograd", "vjp"):
            hits.add(f"line {node.lineno}: {node.id}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
            if any(part in ("autograd", "torch.autograd", "torch.func", "functorch") or part.startswith("torch.autograd")
                   for part in names):
                hits.add(f"line {node.lineno}: import of {', '.join(n for n in names if n)}")
    return sorted(hits)
