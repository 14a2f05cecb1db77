"""Trusted code that runs inside the learner process for stage3/wavenet.

Tensors are made here from the arrays the judge sends, the learner's modules are called on
them, and plain arrays go back. The trained model stays in this process behind a handle; what
leaves it is its state dict, which the judge scores with its own forward pass. Nothing here
decides anything.
"""

from __future__ import annotations

import numpy as np
import torch

from mldojo.graders.engine.driver_support import fewer_threads_when_busy
from mldojo.graders.stage2.makemore_mlp_driver import TrainedModel, _array, _describe, progress_callback, trained_on


def _tensor(values, dtype=torch.float64):
    return torch.tensor(np.asarray(values), dtype=dtype)


def _call(fn, *args):
    """fn(*args) as {"out", "values"}, or {"raised": "Type: message"} (NotImplementedError passes through)."""
    try:
        with torch.no_grad():
            out = fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the judge says what was raised
        return {"raised": f"{type(exc).__name__}: {exc}"[:500]}
    return {"out": _describe(out), "values": _array(out) if isinstance(out, torch.Tensor) else None}


def flatten(module, n, x):
    """FlattenConsecutive(n)(x) for the judge's float64 x."""
    layer = module.FlattenConsecutive(int(n))
    return _call(layer, _tensor(x))


def _load(model, state: dict) -> dict:
    """Load the judge's arrays by name (float64); what was missing or unexpected."""
    model.double()
    own = model.state_dict()
    missing = sorted(set(state) - set(own))
    unexpected = sorted(k for k in set(own) - set(state) if not k.endswith("num_batches_tracked"))
    if missing or unexpected:
        return {"missing": missing, "unexpected": unexpected, "shapes": {k: list(v.shape) for k, v in own.items()}}
    bad = {k: list(own[k].shape) for k in state if tuple(own[k].shape) != np.shape(state[k])}
    if bad:
        return {"missing": [], "unexpected": [], "shapes": bad}
    own.update({k: _tensor(v, own[k].dtype) for k, v in state.items()})
    model.load_state_dict(own)
    return {}


def batchnorm(module, num_features, state, x, options=None):
    """BatchNorm1d(num_features, **options): eval-mode output, then training-mode output and the running statistics after it."""
    layer = module.BatchNorm1d(int(num_features), **{k: float(v) for k, v in (options or {}).items()})
    problem = _load(layer, state)
    if problem:
        return {"load": problem}
    layer.eval()  # first: training mode moves the running statistics
    evaluated = _call(layer, _tensor(x))
    layer.train()
    trained = _call(layer, _tensor(x))
    running = {k: _array(v) for k, v in layer.state_dict().items() if k in ("running_mean", "running_var")}
    return {"train": trained, "running": running, "eval": evaluated}


def _model(module, sizes, seed):
    torch.manual_seed(int(seed))  # the nn layers draw from torch's global generator
    return module.build_model(*(int(s) for s in sizes))


def layers(module, sizes, X, seed=0):
    """Each child of build_model(*sizes) in order: its class and output shape in training mode; the state dict's shapes."""
    model = _model(module, sizes, seed)
    if not isinstance(model, torch.nn.Module):
        return {"model": type(model).__name__}
    model.train()
    x, seen = torch.from_numpy(np.asarray(X, dtype=np.int64)), []
    with torch.no_grad():
        for child in model.children():
            try:
                x = child(x)
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001
                seen.append({"layer": type(child).__name__, "raised": f"{type(exc).__name__}: {exc}"[:500]})
                break
            seen.append({"layer": type(child).__name__, "out": _describe(x)})
    return {"model": "module", "layers": seen, "state": {k: list(v.shape) for k, v in model.state_dict().items()}}


def forward(module, sizes, state, X):
    """build_model(*sizes) with the judge's state loaded: logits in eval mode, then in training mode (float64)."""
    model = _model(module, sizes, 0)
    problem = _load(model, state)
    if problem:
        return {"load": problem}
    X = torch.from_numpy(np.asarray(X, dtype=np.int64))
    model.eval()  # first: training mode moves the running statistics
    evaluated = _call(model, X)
    model.train()
    return {"train": _call(model, X), "eval": evaluated}


def fresh_model_logits(module, seed, X):
    """A fresh build_model()'s logits in training mode on the judge's training contexts."""
    fewer_threads_when_busy()
    model = _model(module, (), seed)
    model.train()
    return _call(model, torch.from_numpy(np.asarray(X, dtype=np.int64)))


def train(module, words):
    """train(words, on_step); the trained model's state dict (float32 arrays) and a handle to it."""
    threads = fewer_threads_when_busy()
    model = module.train(list(words), on_step=progress_callback())
    if not isinstance(model, torch.nn.Module):
        return {"returned": type(model).__name__}
    model.eval()
    state = {k: v.detach().to(torch.float32).cpu().numpy().copy() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    return {"returned": "module", "state": state, "model": TrainedModel(model), "device": trained_on(list(model.parameters()), threads)}


def score(module, model, X):
    """The trained model's eval-mode logits on a few training contexts (the judge checks its state dict is its model)."""
    model.params.eval()
    return _call(model.params, torch.from_numpy(np.asarray(X, dtype=np.int64)))


def probe(module):
    """train([]) stopped at its first on_step: NotImplementedError for the stub, quick for written code."""
    from mldojo.graders.stage2.makemore_mlp_driver import probe as makemore_probe

    makemore_probe(module)
