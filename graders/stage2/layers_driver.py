"""Trusted code that runs inside the learner process for stage2/layers.

- `forward_backward(module, layer, args, dout)`: the learner's `<layer>_forward(*args)` and then
  `<layer>_backward(dout, cache)` on its own cache (which never leaves this process).
- `batchnorm_script(module, batches, gamma, beta, bn_param, test_x)`: training batches through one
  bn_param dict, then test mode, as a network would call them.
- `net_layout(module, config)`, `net_run(module, config, params, calls)`: the learner's
  FullyConnectedNet, its parameters as built, and a sequence of loss calls with the judge's
  parameters written into `params`.

Everything sent back is a plain copy (arrays the learner's code may later change in place are
copied first). Exceptions from the learner's code propagate unchanged so the engine reports them.
It decides nothing.
"""

from __future__ import annotations

import numpy as np


def _copy(value):
    """A float64 copy of an array-like, or a short description of what it is not."""
    try:
        array = np.array(value)
    except Exception:  # noqa: BLE001 - the learner's value may be anything
        return f"{type(value).__name__}"
    if array.dtype.kind not in "biuf":
        return f"{type(value).__name__} {str(value)[:60]}"
    return array.astype(np.float64)


def _pair(result, call):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise _Problem(f"{call} returned {type(result).__name__}; it must return a pair (out, cache)")
    return result


class _Problem(Exception):
    pass


def forward_backward(module, layer, args, dout):
    """{"out": out, "grads": [d...] (one per input the backward returns), "param": the dict argument after
    the forward (bn_param / dropout_param), "problem": str or None}."""
    forward, backward = getattr(module, f"{layer}_forward"), getattr(module, f"{layer}_backward")
    args = list(args)
    try:
        out, cache = _pair(forward(*args), f"{layer}_forward")
    except _Problem as problem:
        return {"problem": str(problem)}
    out = _copy(out)  # before the backward pass can touch it
    param = _plain_dict(args[-1]) if isinstance(args[-1], dict) else None
    grads = backward(np.array(dout), cache)
    if isinstance(grads, (tuple, list)):
        grads = [_copy(g) for g in grads]
    else:
        grads = [_copy(grads)]
    return {"out": out, "grads": grads, "param": param, "problem": None}


def _plain_dict(param):
    """The numbers, strings and arrays of a param dict (copies)."""
    kept = {}
    for key, value in param.items():
        if isinstance(key, str) and isinstance(value, str):
            kept[key] = value
        elif isinstance(key, str) and isinstance(value, (int, float, np.ndarray, np.generic)) and not isinstance(value, bool):
            kept[key] = np.array(value, dtype=np.float64)
    return kept


def batchnorm_script(module, batches, gamma, beta, bn_param, test_x):
    """Train on each batch with one bn_param dict, then switch it to test mode and run test_x.

    {"outputs": [...], "running": [[mean, var] after each training batch], "test": out,
     "after_test": [mean, var], "problem": None}; a running average missing from bn_param is None."""
    bn_param = dict(bn_param)
    reply = {"outputs": [], "running": [], "problem": None}
    for i, x in enumerate(batches):
        bn_param["mode"] = "train"
        try:
            out, _ = _pair(module.batchnorm_forward(np.array(x), np.array(gamma), np.array(beta), bn_param),
                           "batchnorm_forward")
        except _Problem as problem:
            return {"problem": str(problem)}
        reply["outputs"].append(_copy(out))
        reply["running"].append(_running(bn_param))
    bn_param["mode"] = "test"
    try:
        out, _ = _pair(module.batchnorm_forward(np.array(test_x), np.array(gamma), np.array(beta), bn_param),
                       "batchnorm_forward")
    except _Problem as problem:
        return {"problem": str(problem)}
    reply["test"] = _copy(out)
    reply["after_test"] = _running(bn_param)
    return reply


def _running(bn_param):
    return [None if bn_param.get(key) is None else _copy(bn_param[key]) for key in ("running_mean", "running_var")]


def net_layout(module, config, dtype_name="float64"):
    """The params of FullyConnectedNet(**config, dtype=...) as built: {name: array}, their dtypes,
    the dropout_param's plain values and the number of bn_params."""
    net = module.FullyConnectedNet(**config, dtype=getattr(np, dtype_name))
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        return {"problem": f"FullyConnectedNet(...) has no `params` dict (got {type(params).__name__})"}
    dropout_param = getattr(net, "dropout_param", None)
    bn_params = getattr(net, "bn_params", None)
    return {"problem": None,
            "params": {str(k): _copy(v) for k, v in params.items()},
            "dtypes": {str(k): str(np.asarray(v).dtype) for k, v in params.items()},
            "dropout_param": _plain_dict(dropout_param) if isinstance(dropout_param, dict) else None,
            "bn_params": len(bn_params) if isinstance(bn_params, (list, tuple)) else None}


def net_run(module, config, params, calls):
    """FullyConnectedNet(**config) with the judge's params written in, then net.loss on each call:
    [X, y] gives {"loss": float, "grads": {...}}, [X, None] gives {"scores": array}."""
    net = module.FullyConnectedNet(**config)
    own = getattr(net, "params", None)
    if not isinstance(own, dict):
        return {"problem": f"FullyConnectedNet(...) has no `params` dict (got {type(own).__name__})"}
    if sorted(map(str, own)) != sorted(params):
        return {"problem": f"FullyConnectedNet(...).params has the keys {sorted(map(str, own))}; expected {sorted(params)}"}
    for name, value in params.items():
        if np.shape(own[name]) != np.shape(value):
            return {"problem": f"FullyConnectedNet(...).params[{name!r}] has shape {np.shape(own[name])}, expected {np.shape(value)}"}
        own[name] = np.array(value)
    results = []
    for X, y in calls:
        if y is None:
            results.append({"scores": _copy(net.loss(np.array(X)))})
            continue
        result = net.loss(np.array(X), np.array(y))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return {"problem": f"loss(X, y) returned {type(result).__name__}; it must return a pair (loss, grads)"}
        loss, grads = result
        if not isinstance(grads, dict):
            return {"problem": f"loss(X, y) returned grads of type {type(grads).__name__}; expected a dict like params"}
        results.append({"loss": _copy(loss), "grads": {str(k): _copy(v) for k, v in grads.items()}})
    return {"problem": None, "results": results}
