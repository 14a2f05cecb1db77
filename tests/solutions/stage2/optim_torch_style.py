"""stage2/optim written the way torch.optim computes it (a correct solution in another style).

Momentum keeps torch's buffer b = momentum * b + dw and steps by -lr * b (the same trajectory
as CS231n's velocity for a constant learning rate); Adam divides by sqrt(v) / sqrt(1 - beta2**t)
and steps by lr / (1 - beta1**t); every update is done in place on a copy.
"""

import math

import numpy as np


def _config(config, **defaults):
    if config is None:
        config = {}
    for name, value in defaults.items():
        if name not in config:
            config[name] = value
    return config


def sgd(w, dw, config=None):
    config = _config(config, learning_rate=1e-2)
    next_w = np.array(w, dtype=float, copy=True)
    next_w -= config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, momentum=0.9)
    if "buffer" not in config:
        config["buffer"] = np.array(dw, dtype=float, copy=True)
    else:
        config["buffer"] = config["momentum"] * config["buffer"] + dw
    config["velocity"] = -config["learning_rate"] * config["buffer"]
    return w - config["learning_rate"] * config["buffer"], config


def rmsprop(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config.get("cache")
    if cache is None:
        cache = np.zeros_like(w, dtype=float)
    cache = cache * config["decay_rate"]
    cache += (1.0 - config["decay_rate"]) * np.square(dw)
    config["cache"] = cache
    denominator = np.sqrt(cache)
    denominator += config["epsilon"]
    return w - config["learning_rate"] * (dw / denominator), config


def adam(w, dw, config=None):
    config = _config(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    beta1, beta2 = config["beta1"], config["beta2"]
    config["m"] = beta1 * config.get("m", np.zeros_like(w, dtype=float)) + (1 - beta1) * dw
    config["v"] = beta2 * config.get("v", np.zeros_like(w, dtype=float)) + (1 - beta2) * dw * dw
    step_size = config["learning_rate"] / (1 - beta1**t)
    denominator = np.sqrt(config["v"]) / math.sqrt(1 - beta2**t) + config["epsilon"]
    return w - step_size * config["m"] / denominator, config
