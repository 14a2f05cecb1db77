"""Trusted code that runs inside the learner process for the stage1/titanic grader.

It calls the learner's `load_titanic` and `build_model` there, fits one fresh model per
fold on the rows and labels the judge chose, and sends back plain data only: predictions,
scores, column names, which cells differ. The judge never sends the labels of held-out
rows: the files it writes for cross-validation have no Survived column, and each fold
gets the training rows' labels only.

A problem the judge should report in the learner's terms comes back as
{"problem": "..."}; any exception from the learner's code (NotImplementedError included)
propagates unchanged so the engine reports it.
"""

from __future__ import annotations

import random

FIT_SEED = 0  # numpy's and Python's global generators are seeded with it before every fit


def describe_load(module, path):
    """load_titanic(path), described: row count, column names, and y as numbers (None when absent)."""
    loaded = _load(module, path)
    if "problem" in loaded:
        return loaded
    X, y = loaded["X"], loaded["y"]
    described = {"rows": len(X), "columns": _column_names(X), "y": None}
    if y is not None:
        values = _numbers(y, "y")
        if isinstance(values, dict):
            return values
        described["y"] = values
    return described


def compare_loads(module, first, second, n_rows, rows=None):
    """Load two files of n_rows passengers; the columns whose values differ, on the row positions
    `rows` (all when None)."""
    import numpy as np

    a, b = _load(module, first, n_rows), _load(module, second, n_rows)
    for loaded in (a, b):
        if "problem" in loaded:
            return loaded
    Xa, Xb = _frame(a["X"]), _frame(b["X"])
    only_first = [str(c) for c in Xa.columns if c not in Xb.columns]
    only_second = [str(c) for c in Xb.columns if c not in Xa.columns]
    positions = np.arange(len(Xa)) if rows is None else np.asarray(rows)
    changed, examples = {}, {}
    for column in [c for c in Xa.columns if c in Xb.columns]:
        left = Xa[column].iloc[positions].to_numpy()
        right = Xb[column].iloc[positions].to_numpy()
        differs = ~_same_cells(left, right)
        if differs.any():
            where = positions[differs]
            changed[str(column)] = [int(p) for p in where]
            first_row = int(np.flatnonzero(differs)[0])
            examples[str(column)] = [int(where[0]), _cell(left[first_row]), _cell(right[first_row])]
    return {"only_first": only_first, "only_second": only_second, "changed": changed, "examples": examples}


def inspect_model(module):
    """Call build_model() twice: the type, which methods it has, whether it is fitted or shared."""
    first = module.build_model()
    second = module.build_model()
    missing = [name for name in ("fit", "predict") if not callable(getattr(first, name, None))]
    return {
        "type": type(first).__name__,
        "missing": missing,
        "same_object": first is second,
        "fitted": not missing and _is_fitted(first),
        "is_class": isinstance(first, type),
    }


def cross_validate(module, path, n_rows, folds):
    """Fit a fresh build_model() per fold; predictions and scores for the held-out rows.

    `folds` is a list of (train positions, training labels, held-out positions); the file at
    `path` has n_rows passengers and no Survived column.
    Returns [{"pred": (m,) floats, "score": (m,) floats or None}].
    """
    import numpy as np

    loaded = _load(module, path, n_rows)
    if "problem" in loaded:
        return loaded
    if loaded["y"] is not None:
        return {"problem": "load_titanic(path) returned labels (y is not None) for a file that has no Survived "
                           "column: return y = None when the column is absent, as for Kaggle's test.csv"}
    X = loaded["X"]
    out = []
    for train, y_train, test in folds:
        model = module.build_model()
        _seed()
        model.fit(_rows(X, train), np.asarray(y_train))
        result = _predict(model, _rows(X, test))
        if "problem" in result:
            return result
        out.append(result)
    return out


def fit_and_predict(module, train_path, labels, test_path, n_test):
    """Fit build_model() on every row of train_path with `labels`; predict the n_test rows of test_path."""
    import numpy as np

    train, test = _load(module, train_path, len(labels)), _load(module, test_path, n_test)
    for loaded in (train, test):
        if "problem" in loaded:
            return loaded
    model = module.build_model()
    _seed()
    model.fit(train["X"], np.asarray(labels))
    return _predict(model, test["X"])


# -- helpers --------------------------------------------------------------------------------


def _load(module, path, n_rows=None):
    from mldojo.graders.engine.driver_support import file_from_judge

    result = module.load_titanic(file_from_judge(path))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return {"problem": f"load_titanic(path) returned {_kind(result)}; it must return a pair (X, y)"}
    X, y = result
    problem = _feature_problem(X)
    if problem:
        return {"problem": problem}
    if n_rows is not None and len(X) != n_rows:
        return {"problem": f"load_titanic(path) returned {len(X)} rows for a file of {n_rows} passengers: keep every "
                           "row, in file order (the first check says more)"}
    return {"X": X, "y": y}


def _feature_problem(X):
    import numpy as np
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        twice = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
        return f"X has more than one column named {', '.join(twice)}: give every column its own name" if twice else None
    if isinstance(X, np.ndarray) and X.ndim == 2:
        return None
    if X is None:
        return "load_titanic(path) returned X = None: did you forget a `return`?"
    if isinstance(X, pd.Series):
        return "load_titanic(path) returned X as a Series (one column): return a DataFrame, one column per feature"
    return f"load_titanic(path) returned X as {_kind(X)}: return a pandas DataFrame (one row per passenger)"


def _frame(X):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(X, columns=[f"column {i}" for i in range(X.shape[1])])


def _column_names(X):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"column {i}" for i in range(X.shape[1])]


def _rows(X, positions):
    import pandas as pd

    return X.iloc[positions] if isinstance(X, pd.DataFrame) else X[positions]


def _numbers(values, what):
    """values as a float64 array, or a problem naming what came back."""
    import numpy as np

    try:
        array = np.asarray(values)
        if array.dtype.kind not in "biuf":
            return {"problem": f"{what} holds {array.dtype} values such as {array.ravel()[:3].tolist()}: "
                               "it must hold the numbers 0 and 1"}
        return array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        return {"problem": f"{what} could not be read as numbers ({exc})"}


def _predict(model, X):
    import numpy as np

    pred = _numbers(model.predict(X), "predict(X)")
    if isinstance(pred, dict):
        return pred
    return {"pred": pred.reshape(-1) if pred.ndim == 2 and 1 in pred.shape else pred, "score": _score(model, X, np)}


def _score(model, X, np):
    """P(survived) from predict_proba, else decision_function, else None: finer than 0/1 to compare."""
    try:
        proba = model.predict_proba
    except AttributeError:
        proba = None
    if proba is not None:
        p = np.asarray(proba(X), dtype=np.float64)
        classes = list(getattr(model, "classes_", []))
        column = classes.index(1) if 1 in classes else p.shape[1] - 1
        return p[:, column] if p.ndim == 2 else p
    try:
        decision = model.decision_function
    except AttributeError:
        return None
    return np.asarray(decision(X), dtype=np.float64).reshape(-1)


def _is_fitted(model):
    try:
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ImportError:
        return False
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    except (TypeError, AttributeError, ValueError):
        return False  # not a scikit-learn estimator: nothing to tell
    return True


def _same_cells(left, right):
    """Elementwise equality where NaN equals NaN and floats may differ by rounding (1e-12)."""
    import numpy as np
    import pandas as pd

    try:
        a, b = left.astype(np.float64), right.astype(np.float64)
        return np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True)
    except (TypeError, ValueError):
        both_missing = pd.isna(left) & pd.isna(right)
        return both_missing | (left == right)


def _cell(value):
    text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value):
    return "None" if value is None else f"a {type(value).__name__}"


def _seed():
    import numpy as np

    np.random.seed(FIT_SEED)
    random.seed(FIT_SEED)
