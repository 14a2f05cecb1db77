"""Trusted code that runs inside the learner process for stage2/backprop_ninja.

Each call turns plain arrays into float64 tensors, runs the learner's forward and hand-written
backward under torch.no_grad() (no graph is built, so autograd has nothing to work with) and
sends back plain arrays. It decides nothing: the judge computes the same gradients with autograd.
"""

from __future__ import annotations

import numpy as np
import torch

NAMES = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")


def _params(params):
    return {k: torch.tensor(np.asarray(params[k]), dtype=torch.float64) for k in NAMES}


def _indices(array):
    return torch.tensor(np.asarray(array), dtype=torch.long)


def _array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).cpu().numpy().copy()
    return value


def _shown(value):
    return f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__


def backward(module, params, Xb, Yb):
    """loss, cache = forward(params, Xb, Yb); grads = backward(params, cache). Reply: {"loss", "grads", "problem"}."""
    with torch.no_grad():
        tensors, xb, yb = _params(params), _indices(Xb), _indices(Yb)
        loss, cache = module.forward(tensors, xb, yb)
        grads = module.backward(tensors, cache)
    if not isinstance(grads, dict):
        return {"problem": f"backward(params, cache) returned {_shown(grads)}; expected a dict with keys {list(NAMES)}"}
    missing = [k for k in NAMES if k not in grads]
    if missing:
        return {"problem": f"backward(params, cache) returned no gradient for {missing} (keys: {sorted(grads)})"}
    return {"problem": None, "loss": float(loss), "grads": {k: _array(grads[k]) for k in NAMES}}


def cross_entropy(module, logits, Yb):
    """dlogits = cross_entropy_backward(logits, Yb)."""
    with torch.no_grad():
        return _array(module.cross_entropy_backward(torch.tensor(np.asarray(logits), dtype=torch.float64), _indices(Yb)))


def batchnorm(module, params, Xb, Yb, dhpreact):
    """dhprebn = batchnorm_backward(dhpreact, cache), the cache from forward(params, Xb, Yb)."""
    with torch.no_grad():
        _, cache = module.forward(_params(params), _indices(Xb), _indices(Yb))
        return _array(module.batchnorm_backward(torch.tensor(np.asarray(dhpreact), dtype=torch.float64), cache))


def touch(module):
    """Call the learner's backward on a tiny batch (an unwritten stub raises NotImplementedError here)."""
    rng = np.random.default_rng(0)
    params = {"C": rng.normal(size=(3, 2)), "W1": rng.normal(size=(2, 2)), "b1": np.zeros(2), "bngain": np.ones((1, 2)),
              "bnbias": np.zeros((1, 2)), "W2": rng.normal(size=(2, 3)), "b2": np.zeros(3)}
    for name in ("cross_entropy_backward", "batchnorm_backward", "backward"):
        getattr(module, name)  # a missing function is the learner's error, reported as such
    backward(module, params, np.array([[0], [1], [2]]), np.array([0, 1, 2]))
    return None
