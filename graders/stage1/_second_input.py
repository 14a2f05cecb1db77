"""Confirming a diagnosis on a second input (judge side, for the stage-1 evaluation graders).

A mistake is named only when the learner's answer is that mistake's answer on the failing
input *and* on a few fixed, non-degenerate second inputs, at least one of which shows the
mistake (its answer differs from the correct one there): `matches_elsewhere` runs the
learner on them and says whether its answers are the mistake's.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from mldojo.graders.engine.outcomes import LearnerGone, NotImplementedYet
from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL


def as_numbers(value: Any) -> np.ndarray | None:
    """`value` as a float64 array, or None when it is not numbers."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None
    return array if np.all(np.isfinite(array)) else None


def same_answer(a: np.ndarray | None, b: np.ndarray | None, rtol: float = MATCH_RTOL, atol: float = MATCH_ATOL) -> bool:
    """True when both are numbers of one shape, equal within atol + rtol * |b|."""
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def matches_elsewhere(call: Callable[..., Any], mistake: Callable[..., Any], correct: Callable[..., Any],
                      inputs: Sequence[tuple], tolerance: float) -> bool:
    """Whether the learner's `call(*args)` returns `mistake(*args)` on every one of `inputs` (argument
    tuples), at least one of which shows the mistake (its answer differs from `correct(*args)` by more
    than `tolerance`). Checking them all tells apart mistakes that coincide on some inputs."""
    shown = False
    for args in inputs:
        wrong, right = as_numbers(mistake(*args)), as_numbers(correct(*args))
        if wrong is None:
            return False
        shown = shown or not same_answer(wrong, right, tolerance, tolerance)
        try:
            got = as_numbers(call(*args))
        except (LearnerGone, NotImplementedYet):
            return False
        if not same_answer(got, wrong):
            return False
    return shown


def confirmer(call: Callable[..., Any], mistake: Callable[..., Any], correct: Callable[..., Any],
              inputs: Sequence[tuple], tolerance: float) -> Callable[[], bool]:
    """A Diagnosis' `confirm`: matches_elsewhere, run only when the diagnosis is considered."""
    return lambda: matches_elsewhere(call, mistake, correct, inputs, tolerance)


def assert_close_any_shape(got: Any, expected: np.ndarray, *, what: str, rtol: float, atol: float,
                           diagnoses: Sequence) -> None:
    """assert_close, whose diagnoses are also considered when the learner's array has another shape
    (a mistake that returns another number of values, say)."""
    from mldojo.graders.kit import assert_close, fail
    from mldojo.graders.kit.formatting import show

    answer = as_numbers(got)
    want = np.asarray(expected, dtype=np.float64)
    if answer is not None and answer.shape != want.shape:
        fail(f"{what}: got shape {answer.shape}, expected shape {want.shape}\n"
             f"{' ' * len(what)}  got      {show(answer)}\n{' ' * len(what)}  expected {show(want)}", got, diagnoses,
             passes=lambda value: same_answer(value, want, rtol, atol))
    assert_close(got, expected, what=what, rtol=rtol, atol=atol, diagnoses=diagnoses)
