"""Trusted code that runs inside the learner process for stage2/optim: one trajectory per call.

It calls the learner's update rule `steps` times, as a training loop would: each call gets
the parameters and the config the previous call returned, and a gradient from the judge's
recipe (a fixed sequence, or the gradient of a quadratic bowl at the current parameters).
It sends back every step's parameters and the final config's plain values. It decides
nothing: the judge compares the trajectory with torch.optim's.
"""

from __future__ import annotations

import numpy as np


def trajectory(module, rule, w0, config, gradients=None, bowl=None, steps=50):
    """{"ws": (steps, *w0.shape) float64, "config": {key: value}, "problem": str or None}.

    gradients: (steps, *w0.shape) fixed gradients; bowl: {"scale", "target"} for the gradient
    scale * (w - target) of 0.5 * scale * (w - target)**2 at the current w.
    """
    function = getattr(module, rule)
    w = np.array(w0, dtype=np.float64)
    ws = []
    for step in range(int(steps)):
        dw = np.array(gradients[step], dtype=np.float64) if gradients is not None else bowl["scale"] * (w - bowl["target"])
        result = function(w, dw, config)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return {"problem": f"{rule}(w, dw, config) returned {type(result).__name__}; it must return a pair (next_w, config)"}
        next_w, config = result
        if not isinstance(config, dict):
            return {"problem": f"{rule}(w, dw, config) returned {type(config).__name__} as config: return the config dict "
                               "(with the rule's state in it) so the next step can use it"}
        next_w = np.asarray(next_w)
        if next_w.shape != w.shape:
            return {"problem": f"step {step + 1}: {rule} returned next_w of shape {next_w.shape} for w of shape {w.shape}"}
        ws.append(np.array(next_w, dtype=np.float64))
        w = np.array(next_w, dtype=np.float64)  # a copy: the next call may update its w in place
    return {"ws": np.stack(ws), "config": _plain(config), "problem": None}


def _plain(config):
    """The config's numbers and arrays (a learner may keep anything else in it)."""
    kept = {}
    for key, value in config.items():
        if isinstance(key, str) and isinstance(value, (int, float, np.ndarray, np.generic)) and not isinstance(value, bool):
            kept[key] = np.asarray(value, dtype=np.float64)
    return kept
