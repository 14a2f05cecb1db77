"""Trusted code that runs inside the learner process for the stage1/linreg grader.

`fit_and_read` does in one request what the judge would otherwise ask for in six (the class,
the constructor, fit, its call, coef_, intercept_): a warm re-grade of linreg makes about 130 of
these fits, each a round trip to the learner process. The steps, their order and what they
read are the same; an exception from the learner's code propagates for the engine to report.
"""

from __future__ import annotations


def fit_and_read(module, params, X, y):
    """LinearRegression(**params).fit(X, y), then its (coef_, intercept_)."""
    model = module.LinearRegression(**params)
    model.fit(X, y)
    return model.coef_, model.intercept_
