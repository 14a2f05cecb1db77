"""Trusted code that runs inside the learner process for the stage1/boosting grader.

scikit-learn's staged_predict is a generator, which cannot travel to the judge; this
driver runs it where it lives and sends back plain arrays. Exceptions propagate unchanged.
"""

from __future__ import annotations

import numpy as np


def staged(module, model, X):
    """Every stage's predictions from model.staged_predict(X): a (stages, m) float64 array,
    or a description of what came back when it is not a sequence of (m,) arrays."""
    result = model.staged_predict(X)
    if result is None:
        return {"problem": "staged_predict(X) returned None: yield (or return a list of) one array per stage"}
    try:
        stages = [np.asarray(stage, dtype=np.float64).reshape(-1) for stage in result]
    except (TypeError, ValueError) as exc:
        return {"problem": f"staged_predict(X) did not give arrays of numbers ({type(exc).__name__}: {exc})"}
    if not stages:
        return {"problem": "staged_predict(X) gave no stages at all"}
    if any(stage.shape != (len(X),) for stage in stages):
        shapes = sorted({stage.shape for stage in stages})
        return {"problem": f"staged_predict(X) gave stages of shapes {shapes}; each must be ({len(X)},)"}
    return np.stack(stages)  # (stages, m)
