"""Trusted code that runs inside the learner process for the stage1/kmeans grader.

`plus_plus_picks` calls the learner's kmeans_plus_plus many times with one
numpy.random.Generator and sends back which rows of X were picked:

    {"picks": int array (repeats, k), "problem": None}   or   {"problem": "...", "picks": None}

Exceptions from the learner's code propagate unchanged. It imports nothing but NumPy.
"""

from __future__ import annotations

import numpy as np


def _row_numbers(X, centres, k):
    """The row of X each centre equals, or a problem text."""
    try:
        C = np.asarray(centres, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"kmeans_plus_plus returned {type(centres).__name__}, not an array of centres"
    if C.shape != (k, X.shape[1]):
        return None, f"kmeans_plus_plus(X, {k}, rng) returned shape {C.shape}; expected ({k}, {X.shape[1]}), one row per centre"
    d2 = ((C[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)  # (k, n)
    rows = np.argmin(d2, axis=1)
    for j, row in enumerate(rows):
        if d2[j, row] > 1e-20:
            return None, (f"kmeans_plus_plus returned the centre {C[j].tolist()}, which is not a row of X: "
                          "k-means++ picks rows of X")
    return rows, None


def plus_plus_picks(module, X, k, seed, repeats):
    """Row numbers picked by `repeats` calls of kmeans_plus_plus(X, k, rng), rng seeded once."""
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = np.empty((repeats, k), dtype=np.int64)
    for r in range(repeats):
        rows, problem = _row_numbers(X, module.kmeans_plus_plus(X, k, rng), k)
        if problem:
            return {"problem": problem, "picks": None}
        picks[r] = rows
    return {"picks": picks, "problem": None}
