"""Remembering an oracle's answers: a re-grade asks the same questions again.

A warm re-grade calls its checks with the inputs it called them with before (the engine's
replay), so the oracles (scikit-learn's fit, torch autograd) are asked the same questions. An
oracle that is a pure function of its arguments answers from memory then. The key is the
arguments' exact value: dtype, shape and bytes for arrays, the bits of floats (so -0.0 and 0.0,
or 1 and True, are different questions), and a copy of the answer is handed out, so that a
check that edits what it was given cannot change a remembered answer.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections import OrderedDict
from typing import Any, Callable

MAX_ANSWERS = 4096  # per oracle; the oldest answer is forgotten first


class Unkeyable(Exception):
    """An argument whose exact value cannot be written as a key: the oracle is simply called."""


def exact_key(value: Any) -> Any:
    """A hashable key equal for two values only when they are exactly the same data."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return ("bytes", value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(exact_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((exact_key(k), exact_key(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A problem the grader drew (AttentionProblem): its type and every field, exactly.
        kind = type(value)
        fields = tuple((f.name, exact_key(getattr(value, f.name))) for f in dataclasses.fields(value))
        return ("dataclass", kind.__module__, kind.__qualname__, fields)
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return ("ndarray", value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return ("npscalar", value.dtype.str, value.tobytes())
    raise Unkeyable(type(value).__name__)


def remembered(function: Callable) -> Callable:
    """Answer from memory when `function` (pure: same arguments, same answer) was asked before."""
    answers: OrderedDict = OrderedDict()

    @functools.wraps(function)
    def answer(*args, **kwargs):
        try:
            key = (exact_key(args), exact_key(sorted(kwargs.items())))
        except Unkeyable:
            return function(*args, **kwargs)
        if key in answers:
            answers.move_to_end(key)
            return copy.deepcopy(answers[key])
        result = function(*args, **kwargs)
        answers[key] = copy.deepcopy(result)
        if len(answers) > MAX_ANSWERS:
            answers.popitem(last=False)
        return result

    answer.answers = answers  # tests look at it
    return answer
