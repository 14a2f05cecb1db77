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
