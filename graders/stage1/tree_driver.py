"""Trusted code that runs inside the learner process for the stage1/tree grader.

A tree check asks several things of one fitted tree (its depth, its leaves, predictions);
asking them here, in one round trip, keeps shrinking a failing input fast. Only plain
values go back; exceptions from the learner's code propagate unchanged.
"""

from __future__ import annotations

ATTRIBUTES = ("classes_",)
NO_ARGUMENT = ("get_depth", "get_n_leaves")


def fit_and_ask(module, kind, params, X, y, asks):
    """Fit module.<kind>(**params) on X, y; answer `asks` (name -> rows, or None for a method
    without arguments / an attribute). Adds "fit returned self": bool."""
    model = getattr(module, kind)(**params)
    returned = model.fit(X, y)
    answers = {"fit returned self": returned is model}
    for name, rows in asks.items():
        if name in ATTRIBUTES:
            answers[name] = getattr(model, name)
        elif name in NO_ARGUMENT:
            answers[name] = getattr(model, name)()
        else:
            answers[name] = getattr(model, name)(rows)
    return answers


def leaves_of_many(module, params_list, X, y):
    """For each params in params_list: fit a DecisionTreeClassifier(**params) on X, y and
    return apply(X), the leaf of every training row: a list of (n,) arrays, one per tree."""
    import numpy as np

    out = []
    for params in params_list:
        model = module.DecisionTreeClassifier(**params)
        model.fit(X, y)
        out.append(np.asarray(model.apply(X)).reshape(-1))
    return out
