"""Trusted code that runs inside the learner process for the stage1/model_selection grader.

`folds` calls the learner's splitter and sends back plain lists, so a generator or a list
of tuples both work. `cross_validate` gives the learner's cross_val_score a model factory
defined here, a least-squares regressor that records every fit and score call, and sends
back the scores with that record:

    {"scores": ..., "models": [{"fit": [X, ...], "fit_y": [y, ...], "score": [X, ...], "score_y": [y, ...]}, ...],
     "problem": None}

Exceptions from the learner's code (NotImplementedError included) propagate unchanged so
the engine reports them. It imports nothing but NumPy.
"""

from __future__ import annotations

import numpy as np


def folds(module, function_name, *args):
    """The learner's `function_name(*args)` as {"folds": [[train, test], ...]} or {"problem": text}."""
    result = getattr(module, function_name)(*args)
    if result is None:
        return {"problem": f"{function_name} returned None — did you forget a `return`?"}
    try:
        pairs = list(result)
    except TypeError:
        return {"problem": f"{function_name} returned {type(result).__name__}, not a list of (train_idx, test_idx) pairs"}
    out = []
    for k, pair in enumerate(pairs):
        try:
            train, test = pair
        except (TypeError, ValueError):
            return {"problem": f"{function_name}: fold {k} is {type(pair).__name__} {pair!r:.80}, not a pair (train_idx, test_idx)"}
        out.append([np.asarray(train), np.asarray(test)])
    return {"folds": out}


class RecordingLeastSquares:
    """Least squares with an intercept; keeps a copy of every X and y it was fitted or scored on.

    It never warns: whatever rows the learner's code hands it (one row, a constant y, none),
    a warning from here would be shown among what the learner's code printed."""

    def __init__(self, log):
        self.record = {"fit": [], "fit_y": [], "score": [], "score_y": []}
        log.append(self.record)

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.record["fit"].append(X.copy())
        self.record["fit_y"].append(y.copy())
        X = X if X.ndim == 2 else X.reshape(len(X), -1)
        A = np.hstack([X, np.ones((len(X), 1))])  # (n, p + 1)
        self.theta_ = np.linalg.lstsq(A, y, rcond=None)[0]
        return self

    def score(self, X, y):
        """The coefficient of determination R^2 on (X, y); as scikit-learn's r2_score, 1.0 or 0.0
        when y is constant (a perfect or an imperfect fit), NaN for no rows."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.record["score"].append(X.copy())
        self.record["score_y"].append(y.copy())
        if not hasattr(self, "theta_"):
            raise RuntimeError("score() was called on a model that was never fitted")
        if len(y) == 0:
            return float("nan")
        X = X if X.ndim == 2 else X.reshape(len(X), -1)
        pred = np.hstack([X, np.ones((len(X), 1))]) @ self.theta_
        residual, spread = float(np.sum((y - pred) ** 2)), float(np.sum((y - np.mean(y)) ** 2))
        if spread == 0.0:
            return 1.0 if residual == 0.0 else 0.0
        return 1.0 - residual / spread


def cross_validate(module, X, y, cv):
    """Run the learner's cross_val_score with a recording model factory (cv None: its default)."""
    log = []
    make_model = lambda: RecordingLeastSquares(log)  # noqa: E731
    scores = module.cross_val_score(make_model, X, y) if cv is None else module.cross_val_score(make_model, X, y, cv)
    if scores is None:
        return {"problem": "cross_val_score returned None — did you forget a `return`?", "models": log}
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        return {"problem": f"cross_val_score returned {type(scores).__name__}, not an array of scores", "models": log}
    return {"scores": scores, "models": log, "problem": None}
