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


def trees_in_detail(module, forest, X_new):
    """Per tree: its classes_, predict_proba(X_new), predict(X_new), get_depth(), and its max_depth
    and min_samples_leaf attributes (repr)."""
    X_new = np.asarray(X_new, dtype=np.float64)
    return [{
        "classes_": np.asarray(tree.classes_),
        "predict_proba": np.asarray(tree.predict_proba(X_new), dtype=np.float64),
        "predict": np.asarray(tree.predict(X_new)),
        "depth": int(tree.get_depth()),
        "max_depth": repr(getattr(tree, "max_depth", "missing")),
        "min_samples_leaf": repr(getattr(tree, "min_samples_leaf", "missing")),
    } for tree in forest.estimators_]


def leaf_sizes(module, forest, X):
    """For each tree, how many of the rows it was fitted on (X[estimators_samples_[i]]) each of its leaves holds."""
    X = np.asarray(X, dtype=np.float64)
    sizes = []
    for tree, rows in zip(forest.estimators_, getattr(forest, "estimators_samples_", [])):
        leaves = np.asarray(tree.apply(X[np.asarray(rows).reshape(-1)])).reshape(-1)
        sizes.append(np.unique(leaves, return_counts=True)[1])
    return sizes
