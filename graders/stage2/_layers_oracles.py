"""The judge's own computations for stage2/layers: every layer in NumPy (values and kinks, for
the forward checks and the central differences), in PyTorch float64 (autograd, for the
backward checks), the network both ways, and the known mistakes as NumPy variants.

Nothing here imports the reference: the formulas are written out from the stub's statement.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

# -- central differences ---------------------------------------------------------------------------------
# The 7-point central stencil (error O(h**6)): f'(x) ~ sum(c * f(x + k h)) / h.
STENCIL = ((-3, -1 / 60), (-2, 3 / 20), (-1, -3 / 4), (1, 3 / 4), (2, -3 / 20), (3, 1 / 60))
FD_H = 1e-3
FD_SAMPLES = 6  # entries per array
# Central differences in float64 resolve a derivative to about 1e-12 in absolute terms, so a
# relative error of 1e-7 can only be asked of entries at least this large; the smaller ones are
# compared with autograd (every entry, also 1e-7).
FD_MIN = 1e-4


def difference(forward, args: list, k: int, index: tuple, dout, h: float = FD_H, at=None) -> float | None:
    """d sum(forward(args) * dout) / d args[k][index] by the stencil, or None when a step moves
    an input across a kink (a ReLU at 0, a hinge margin at 0): there the function is not smooth.

    `forward(*args)` returns (out, kinks): kinks is a bytes signature of which side of every kink
    each input lies. The differences out(x + k h e) - out(x) are formed before the sum with dout,
    so the entries of out that do not move cancel exactly. `at`: forward(*args), when the caller
    already has it (it is the same for every entry of one array)."""
    base, kinks = forward(*args) if at is None else at
    base = np.asarray(base, dtype=np.float64)
    total = 0.0
    for step, weight in STENCIL:
        moved = list(args)
        array = np.array(args[k], dtype=np.float64)
        array[index] += step * h
        moved[k] = array
        out, moved_kinks = forward(*moved)
        if moved_kinks != kinks:
            return None
        total += weight * float(np.sum((np.asarray(out, dtype=np.float64) - base) * dout))
    return total / h


def sampled_entries(expected: np.ndarray, seed_from: np.ndarray, count: int = FD_SAMPLES) -> list[tuple]:
    """Up to `count` entries whose derivative is at least FD_MIN, chosen by a generator seeded
    from the data (the same input always samples the same entries)."""
    eligible = np.argwhere(np.abs(expected) >= FD_MIN)
    if len(eligible) == 0:
        return []
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(seed_from, dtype=np.float64).tobytes()))
    chosen = eligible if len(eligible) <= count else eligible[np.sort(rng.choice(len(eligible), count, replace=False))]
    return [tuple(int(i) for i in row) for row in chosen]


def no_kinks(out) -> tuple:
    return out, b""


# -- NumPy forwards (out, kink signature) --------------------------------------------------------------
def rows(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def affine(x, w, b):
    return rows(x) @ w + b, b""


def relu(x):
    return np.maximum(x, 0.0), (x > 0).tobytes()


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_loss(x, y):
    """(loss, kinks) of the mean cross-entropy."""
    return float(-log_softmax(x)[np.arange(len(y)), y].mean()), b""


def softmax_grad(x, y) -> np.ndarray:
    d = np.exp(log_softmax(x))
    d[np.arange(len(y)), y] -= 1
    return d / len(y)


def hinge_margins(x, y) -> np.ndarray:
    """max(0, x[i, j] - x[i, y[i]] + 1), with 0 at the correct class."""
    m = np.maximum(0.0, x - x[np.arange(len(y)), y][:, None] + 1.0)
    m[np.arange(len(y)), y] = 0.0
    return m


def svm_loss(x, y):
    raw = x - x[np.arange(len(y)), y][:, None] + 1.0
    raw[np.arange(len(y)), y] = -1.0  # never a kink
    return float(hinge_margins(x, y).sum() / len(y)), (raw > 0).tobytes()


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, b""


def layernorm(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, b""


def dropout(x, mask):
    return x * mask, b""


def dropout_mask(shape, p: float, seed: int) -> np.ndarray:
    """The mask the stub prescribes: np.random.seed(seed); (np.random.rand(*shape) < p) / p (read-only)."""
    return _dropout_mask(tuple(int(n) for n in shape), float(p), seed)


@functools.lru_cache(maxsize=256)
def _dropout_mask(shape: tuple, p: float, seed: int) -> np.ndarray:
    # Central differences run the net's forward hundreds of times with the same mask: drawn once.
    mask = (np.random.RandomState(seed).random_sample(shape) < p) / p
    mask.flags.writeable = False
    return mask


# -- PyTorch (float64 autograd) ----------------------------------------------------------------------------
def t(array, grad: bool = True) -> torch.Tensor:
    return torch.tensor(np.asarray(array, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def autograd(function, arrays: list, differentiable: list[bool], dout=None) -> tuple[np.ndarray, list]:
    """function(*tensors) in torch; (its value, the gradients of sum(value * dout) for the
    differentiable arrays, None for the others)."""
    torch.set_num_threads(1)  # tiny tensors: threads only spin
    tensors = [t(a, grad) if grad else torch.tensor(np.asarray(a)) for a, grad in zip(arrays, differentiable)]
    out = function(*tensors)
    total = out.sum() if dout is None else (out * torch.tensor(np.asarray(dout, dtype=np.float64))).sum()
    total.backward()
    grads = [tensor.grad.numpy().copy() if grad else None for tensor, grad in zip(tensors, differentiable)]
    return out.detach().numpy().copy(), grads


def torch_affine(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def torch_relu(x):
    return torch.relu(x)


def torch_softmax_loss(x, y):
    return F.cross_entropy(x, y)


def torch_svm_loss(x, y):
    correct = x.gather(1, y[:, None])  # (N, 1)
    others = 1.0 - F.one_hot(y, x.shape[1]).to(x.dtype)
    return (torch.relu(x - correct + 1.0) * others).sum() / x.shape[0]


def torch_batchnorm_train(eps):
    def function(x, gamma, beta):
        mean = x.mean(dim=0)
        var = ((x - mean) ** 2).mean(dim=0)  # biased
        return gamma * (x - mean) / torch.sqrt(var + eps) + beta
    return function


def torch_layernorm(eps):
    def function(x, gamma, beta):
        mean = x.mean(dim=1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=1, keepdim=True)  # biased
        return gamma * (x - mean) / torch.sqrt(var + eps) + beta
    return function


def torch_dropout(mask):
    return lambda x: x * torch.tensor(mask)


# -- the network ------------------------------------------------------------------------------------------
@dataclass
class Net:
    """A FullyConnectedNet's configuration and the judge's parameters for it."""

    hidden_dims: list
    input_dim: int
    num_classes: int
    dropout_keep_ratio: float = 1.0
    normalization: str | None = None
    reg: float = 0.0
    seed: int | None = None
    params: dict = field(default_factory=dict, repr=False)

    @property
    def layers(self) -> int:
        return len(self.hidden_dims) + 1

    def config(self) -> dict:
        """The constructor's keyword arguments."""
        return {"hidden_dims": list(self.hidden_dims), "input_dim": self.input_dim, "num_classes": self.num_classes,
                "dropout_keep_ratio": self.dropout_keep_ratio, "normalization": self.normalization, "reg": self.reg,
                "seed": self.seed}

    def call(self) -> str:
        """The constructor call, as the learner would write it."""
        return (f"FullyConnectedNet({self.hidden_dims}, input_dim={self.input_dim}, num_classes={self.num_classes}, "
                f"dropout_keep_ratio={self.dropout_keep_ratio!r}, normalization={self.normalization!r}, reg={self.reg!r}, "
                f"seed={self.seed!r})")

    def masks(self, n: int) -> list:
        """The dropout mask of each hidden layer for a batch of n rows (None without dropout)."""
        if self.dropout_keep_ratio == 1:
            return [None] * len(self.hidden_dims)
        return [dropout_mask((n, h), self.dropout_keep_ratio, self.seed) for h in self.hidden_dims]


BN_EPS, BN_MOMENTUM = 1e-5, 0.9  # the defaults the net's layers use


def net_forward(net: Net, params: dict, X: np.ndarray, mode: str = "train", running: list | None = None,
                variant: str | None = None):
    """(scores, kinks) of the net in NumPy; in test mode batchnorm reads `running` [(mean, var), ...]."""
    h = rows(X)
    masks = net.masks(X.shape[0]) if mode == "train" or variant == "dropout_in_test" else [None] * len(net.hidden_dims)
    kinks = []
    for i in range(1, net.layers):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if variant == "relu_before_norm":
            kinks.append(h > 0)
            h = np.maximum(h, 0)
        if net.normalization == "batchnorm":
            if mode == "train" or variant == "batch_stats_in_test":
                h = batchnorm_train(h, params[f"gamma{i}"], params[f"beta{i}"], BN_EPS)[0]
            else:
                mean, var = running[i - 1]
                h = params[f"gamma{i}"] * (h - mean) / np.sqrt(var + BN_EPS) + params[f"beta{i}"]
        elif net.normalization == "layernorm":
            h = layernorm(h, params[f"gamma{i}"], params[f"beta{i}"], BN_EPS)[0]
        if variant != "relu_before_norm":
            kinks.append(h > 0)
            h = np.maximum(h, 0)
        if masks[i - 1] is not None:
            h = h * masks[i - 1]
    last = net.layers
    scores = h @ params[f"W{last}"] + params[f"b{last}"]
    return scores, b"".join(k.tobytes() for k in kinks)


def narrowest_group(net: Net, params: dict, X: np.ndarray) -> float:
    """The smallest standard deviation of a group a normalisation layer standardises (a batchnorm
    column, a layernorm row) in train mode; groups of one value (N = 1, D = 1) do not count."""
    if net.normalization is None:
        return np.inf
    axis = 0 if net.normalization == "batchnorm" else 1
    h, masks, narrowest = rows(X), net.masks(X.shape[0]), np.inf
    for i in range(1, net.layers):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if h.shape[axis] > 1:
            narrowest = min(narrowest, float(h.std(axis=axis).min()))
        normalise = batchnorm_train if axis == 0 else layernorm
        h = np.maximum(normalise(h, params[f"gamma{i}"], params[f"beta{i}"], BN_EPS)[0], 0)
        if masks[i - 1] is not None:
            h = h * masks[i - 1]
    return narrowest


def running_statistics(net: Net, params: dict, batches: list) -> list:
    """[(running_mean, running_var)] of each batchnorm layer after training calls on `batches`
    (CS231n's rule: running = momentum * running + (1 - momentum) * batch statistic, from zeros)."""
    running = [(np.zeros(h), np.zeros(h)) for h in net.hidden_dims]
    for X in batches:
        h = rows(X)
        masks = net.masks(X.shape[0])
        for i in range(1, net.layers):
            h = h @ params[f"W{i}"] + params[f"b{i}"]
            mean, var = h.mean(axis=0), h.var(axis=0)
            old_mean, old_var = running[i - 1]
            running[i - 1] = (BN_MOMENTUM * old_mean + (1 - BN_MOMENTUM) * mean, BN_MOMENTUM * old_var + (1 - BN_MOMENTUM) * var)
            h = np.maximum(batchnorm_train(h, params[f"gamma{i}"], params[f"beta{i}"], BN_EPS)[0], 0)
            if masks[i - 1] is not None:
                h = h * masks[i - 1]
    return running


def regularised(net: Net, params: dict, variant: str | None = None) -> float:
    """The L2 term of the loss (or a known mistake's)."""
    names = [k for k in params if k.startswith("W")]
    if variant == "reg_on_every_parameter":
        names = list(params)
    half = 1.0 if variant == "reg_without_half" else 0.5
    if variant == "reg_missing":
        return 0.0
    return half * net.reg * sum(float(np.sum(params[k] ** 2)) for k in names)


def net_loss(net: Net, params: dict, X, y):
    """(loss, kinks) in NumPy, train mode."""
    scores, kinks = net_forward(net, params, X, "train")
    return softmax_loss(scores, y)[0] + regularised(net, params), kinks


def torch_net_loss(net: Net, params: dict, X, y, variant: str | None = None) -> tuple[float, dict]:
    """(loss, grads) by autograd in float64, train mode (or a known mistake's)."""
    torch.set_num_threads(1)  # tiny tensors: threads only spin
    tensors = {k: t(v) for k, v in params.items()}
    h = torch.tensor(rows(X))
    masks = net.masks(X.shape[0])
    for i in range(1, net.layers):
        h = h @ tensors[f"W{i}"] + tensors[f"b{i}"]
        if variant == "relu_before_norm":
            h = torch.relu(h)
        if net.normalization == "batchnorm":
            h = torch_batchnorm_train(BN_EPS)(h, tensors[f"gamma{i}"], tensors[f"beta{i}"])
        elif net.normalization == "layernorm":
            h = torch_layernorm(BN_EPS)(h, tensors[f"gamma{i}"], tensors[f"beta{i}"])
        if variant != "relu_before_norm":
            h = torch.relu(h)
        if masks[i - 1] is not None and variant != "dropout_ignored":
            h = h * torch.tensor(masks[i - 1])
    last = net.layers
    scores = h @ tensors[f"W{last}"] + tensors[f"b{last}"]
    loss = F.cross_entropy(scores, torch.tensor(y))
    names = [k for k in params if k.startswith("W")] if variant != "reg_on_every_parameter" else list(params)
    half = 1.0 if variant == "reg_without_half" else 0.5
    reg_loss = 0.0 if variant in ("reg_missing", "reg_missing_in_the_loss") else half * net.reg * sum((tensors[k] ** 2).sum() for k in names)
    grad_reg = 0.0 if variant in ("reg_missing", "reg_missing_in_the_grads") else half * net.reg * sum((tensors[k] ** 2).sum() for k in names)
    # The loss reported and the loss differentiated differ only for the two 'half done' mistakes.
    (loss + grad_reg).backward()
    value = float((loss + reg_loss).detach())
    return value, {k: v.grad.numpy().copy() for k, v in tensors.items()}
