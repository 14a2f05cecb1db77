"""Trusted code that runs inside the learner process for stage2/init: draws with a seeded rng.

A numpy Generator cannot travel between processes, so the judge sends a seed and the driver
makes the rng here; it also scrambles NumPy's global random state first, so that code drawing
from np.random instead of the rng it was given shows it. It decides nothing.
"""

from __future__ import annotations

import numpy as np


def draw(module, function, shape, kwargs, seed, scramble):
    """function(shape, **kwargs, rng=np.random.default_rng(seed)) after seeding np.random with `scramble`."""
    np.random.seed(int(scramble) % (2**32))
    return getattr(module, function)(tuple(shape), **kwargs, rng=np.random.default_rng(int(seed)))


def relu_network_scales(module, width, depth, batch, seed):
    """Mean squared activation after each of `depth` ReLU layers whose weights (width, width) come
    from the learner's kaiming_normal(mode="fan_in", nonlinearity="relu")."""
    rng = np.random.default_rng(int(seed))
    h = rng.standard_normal((batch, width))
    scales = []
    for _ in range(int(depth)):
        w = np.asarray(module.kaiming_normal((width, width), mode="fan_in", nonlinearity="relu", rng=rng), dtype=np.float64)
        h = np.maximum(h @ w.T, 0.0)  # (batch, width): a linear layer in torch's layout, then ReLU
        scales.append(float(np.mean(h**2)))
    return scales
