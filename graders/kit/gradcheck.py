"""Gradient checks: central differences in float64 and CS231n's relative error."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from mldojo.graders.kit.asserts import Diagnosis, as_array, fail
from mldojo.graders.kit.formatting import show, show_pair


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h for every entry of x (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: writing into it moves x
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + h
        plus = float(f(x))
        flat[i] = saved - h
        minus = float(f(x))
        flat[i] = saved
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: Any, b: Any) -> np.ndarray:
    """Elementwise |a - b| / max(|a| + |b|, 1e-8)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


def assert_gradient_close(
    got: Any,
    expected: Any,
    *,
    what: str,
    max_relative_error: float,
    diagnoses: Sequence[Diagnosis] = (),
) -> None:
    """The learner's gradient matches the expected one: every relative error <= the threshold."""
    want = np.asarray(expected, dtype=np.float64)
    array = as_array(got, what, want.shape)
    errors = relative_error(array, want)
    if errors.size == 0 or float(errors.max()) <= max_relative_error:
        return
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    shown_got, shown_want = show_pair(array, want)
    fail(
        f"{what}: got {shown_got}\n"
        f"{' ' * len(what)}  expected {shown_want}\n"
        f"  (relative error {float(errors[worst]):.2e}{where}; allowed {max_relative_error:g}, "
        f"relative error = |a-b| / max(|a|+|b|, 1e-8))",
        got,
        diagnoses,
        passes=lambda value: value.shape == want.shape and bool(relative_error(value, want).max(initial=0.0) <= max_relative_error),
    )
