"""Trusted code that runs inside the learner process for the stage1/logreg grader.

It calls the learner's function with floating-point warnings turned into errors, so that
an overflow in exp or a log(0) is reported even when NumPy would only print a warning
(and even if the learner's module silenced NumPy's warnings at import). It sends back

    {"value": <what the call returned>, "problem": None}
or  {"value": None, "problem": "RuntimeWarning: overflow encountered in exp"}

Any other exception (NotImplementedError included) propagates for the engine to report.
"""

from __future__ import annotations

import warnings

import numpy as np

FLOAT_TROUBLE = (Warning, FloatingPointError, OverflowError, ZeroDivisionError)


def _strictly(function, *args):
    """Call function(*args) with overflow, division by zero and invalid values as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Underflow to 0 is how a stable sigmoid reaches exp(-1000): leave it quiet.
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            try:
                return {"value": function(*args), "problem": None}
            except FLOAT_TROUBLE as exc:
                return {"value": None, "problem": f"{type(exc).__name__}: {exc}"}


def call_strictly(module, name, *args):
    """module.<name>(*args), with floating-point warnings turned into errors."""
    return _strictly(getattr(module, name), *args)


def fit_then_predict_proba_strictly(module, params, X, y, X_new):
    """Fit LogisticRegression(**params) normally, then predict_proba(X_new) strictly."""
    model = module.LogisticRegression(**params)
    model.fit(X, y)
    return _strictly(model.predict_proba, X_new)
