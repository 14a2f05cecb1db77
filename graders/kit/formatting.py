"""Showing values to the learner: short, with shapes first, arrays cut when large."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

MAX_ELEMENTS = 24


def show(value: Any, precision: int = 6) -> str:
    """A compact, readable rendering of a value a check received or expected."""
    if isinstance(value, np.ndarray):
        body = np.array2string(value, precision=precision, threshold=MAX_ELEMENTS, edgeitems=3, separator=", ", max_line_width=100)
        return body
    if isinstance(value, np.generic):
        return show(value.item(), precision)
    if isinstance(value, float):
        return f"{value:.{max(10, precision)}g}"
    if isinstance(value, (list, tuple)) and len(value) > MAX_ELEMENTS:
        shown = ", ".join(show(v) for v in value[:MAX_ELEMENTS])
        return f"[{shown}, … ({len(value)} items)]"
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    text = repr(value)
    return text if len(text) <= 400 else text[:400] + " …"


def show_pair(got: Any, expected: Any) -> tuple[str, str]:
    """`got` and `expected` shown with enough digits that they look different where they differ
    (6 digits, more when the two would print the same)."""
    for precision in (6, 9, 12, 17):
        shown = show(got, precision), show(expected, precision)
        if shown[0] != shown[1]:
            return shown
    return shown


def describe_inputs(inputs: dict[str, Any]) -> str:
    """The drawn inputs of a check, one per line: `X.shape=(2, 1)  X=[[0.], [1.]]`."""
    lines = []
    for name, value in _flatten(inputs):
        lines.append(_one_input(name, value))
    return "\n".join(lines)


def _flatten(inputs: dict[str, Any]):
    for name, value in inputs.items():
        describe = getattr(value, "describe_for_learner", None)
        if callable(describe):
            yield from _flatten(describe())
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _flatten({f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.repr})
        else:
            yield name, value


def _one_input(name: str, value: Any) -> str:
    prefix = f"{name}.shape={value.shape}  {name}=" if isinstance(value, np.ndarray) else f"{name}="
    lines = show(value).splitlines() or [""]
    # Continuation lines of a 2-D array line up under its first row.
    return "\n".join([prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]])
