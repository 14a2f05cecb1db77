"""Trusted code that runs inside the learner process for the stage1/forest grader.

It reads a fitted forest's trees (which cannot travel to the judge) and sends back plain
facts about them. Exceptions from the learner's code propagate unchanged.
"""

from __future__ import annotations

import numpy as np


def describe(module, forest):
    """Facts about forest.estimators_ and estimators_samples_: counts, classes, hyperparameters, rows."""
    trees = list(forest.estimators_)
    samples = [np.asarray(rows).reshape(-1) for rows in getattr(forest, "estimators_samples_", [])]
    return {
        "n_trees": len(trees),
        "tree_types": [f"{type(t).__module__}.{type(t).__qualname__}" for t in trees],
        "max_features": [getattr(t, "max_features", "missing") for t in trees],
        "random_states": [repr(getattr(t, "random_state", "missing")) for t in trees],
        "samples": samples,
    }
