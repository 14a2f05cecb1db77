"""Assertions whose failure messages speak in the learner's names.

Every helper raises `CheckFailed` with: what was compared (`coef_`), what came back, what
was expected, where they differ most, and the tolerance. A failure can carry diagnoses:
known wrong variants of the answer; the runner names the one the learner's output matches.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from mldojo.graders.engine.proxy import RemoteObject
from mldojo.graders.kit.formatting import show, show_pair


@dataclass
class Diagnosis:
    """A known mistake: what a wrong solution would return, and what to tell the learner.

    `confirm`, where a second input is cheap, runs the learner's code on another input the
    judge draws and says whether its answer matches this mistake there too (True / False)."""

    message: str
    wrong_answer: Callable[[], Any]  # computed lazily, only for the final failing input
    confirm: Callable[[], bool] | None = None


MATCH_RTOL, MATCH_ATOL = 1e-6, 1e-9  # "the learner's answer is this mistake's answer"
MAX_NAMED = 3  # several mistakes that fit equally are all named, up to this many; more: none


class CheckFailed(AssertionError):
    """A check's property does not hold for the learner's code on some input.

    `passes(value)` says whether a value would have passed the check: a diagnosis is only
    evidence when its wrong answer would have failed it, so it is never named without it."""

    def __init__(self, message: str, got: Any = None, diagnoses: Sequence[Diagnosis] = (), diagnosis: str | None = None,
                 passes: Callable[[np.ndarray], bool] | None = None):
        super().__init__(message)
        self.message = message
        self.got = got
        self.diagnoses = list(diagnoses)
        self.known = diagnosis  # a diagnosis already certain when the check fails
        self.passes = passes

    def diagnose(self) -> str | None:
        """The known diagnosis; else the mistakes whose answer is the learner's, would have
        failed the check on this input, and (where they can tell) match on a second input."""
        if self.known:
            return self.known
        return name_mistakes(fitting_mistakes(self.got, self.diagnoses, self.passes))


def fitting_mistakes(got: Any, diagnoses: Sequence[Diagnosis], passes: Callable[[np.ndarray], bool] | None) -> list[str]:
    """The messages of the mistakes that explain `got` (see CheckFailed.diagnose), in order."""
    if passes is None or not diagnoses:
        return []
    try:
        answer = np.asarray(got, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return []
    if not np.all(np.isfinite(answer)):
        return []
    found: list[str] = []
    for diagnosis in diagnoses:
        try:
            wrong = np.asarray(diagnosis.wrong_answer(), dtype=float)
            if wrong.shape != answer.shape or not _close(answer, wrong, MATCH_RTOL, MATCH_ATOL).all():
                continue
            if passes(wrong):  # this mistake is invisible on this input: it proves nothing
                continue
            if diagnosis.confirm is not None and diagnosis.confirm() is not True:
                continue
        except Exception:  # noqa: BLE001 - a diagnosis that cannot be computed or confirmed is skipped
            continue
        if diagnosis.message not in found:
            found.append(diagnosis.message)
    return found


def name_mistakes(messages: list[str]) -> str | None:
    """One mistake by name; a few that fit equally, all of them; none when too many fit."""
    if not messages or len(messages) > MAX_NAMED:
        return None
    if len(messages) == 1:
        return messages[0]
    listed = " — or — ".join(messages)
    return f"one of {len(messages)} mistakes that give exactly this answer here: {listed}"


def fail(message: str, got: Any = None, diagnoses: Sequence[Diagnosis] = (), diagnosis: str | None = None,
         passes: Callable[[np.ndarray], bool] | None = None) -> None:
    """Fail the check with a message for the learner (`passes` lets its diagnoses be checked)."""
    raise CheckFailed(message, got, diagnoses, diagnosis, passes)


@contextmanager
def after_calling(call: str) -> Iterator[None]:
    """Start every failure message raised inside the block with the call that produced the values."""
    try:
        yield
    except CheckFailed as exc:
        exc.message = f"after {call}:\n{exc.message}"
        exc.args = (exc.message,)
        raise


def as_array(got: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The learner's value as a float64 array, failing clearly on None, wrong shape or NaN."""
    if got is None:
        fail(f"{what}: got None — did you forget a `return`?")
    if isinstance(got, RemoteObject):
        fail(f"{what}: got an object ({got!r}) where numbers were expected")
    try:
        raw = np.asarray(got)
        if raw.dtype.kind not in "biuf":  # strings, objects, complex: not an answer
            fail(f"{what}: expected numbers, got {show(got)}")
        array = raw.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        fail(f"{what}: expected numbers, got {show(got)}")
    if shape is not None and array.shape != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got shape {array.shape}{_shape_hint(array.shape, tuple(shape))}", got)
    bad = ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(array[index]) else "inf"
        where = f" at index {index}" if index else ""
        fail(f"{what}: contains {kind}{where} — an overflow or a division by zero?", got)
    return array


def assert_close(
    got: Any,
    expected: Any,
    *,
    what: str,
    rtol: float,
    atol: float = 0.0,
    diagnoses: Sequence[Diagnosis] = (),
) -> None:
    """`got` equals `expected` elementwise within |got - expected| <= atol + rtol * |expected|."""
    want = np.asarray(expected, dtype=np.float64)
    array = as_array(got, what, want.shape)
    ok = _close(array, want, rtol, atol)
    if ok.all():
        return
    diff = np.abs(array - want)
    worst = np.unravel_index(int(np.argmax(np.where(ok, -np.inf, diff))), diff.shape) if diff.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    shown_got, shown_want = show_pair(array, want)
    message = (
        f"{what}: got {shown_got}\n"
        f"{' ' * len(what)}  expected {shown_want}\n"
        f"  (largest difference {show(float(diff[worst]))}{where}; tolerance rtol={rtol:g}, atol={atol:g})"
    )
    fail(message, got, diagnoses, passes=lambda value: value.shape == want.shape and bool(_close(value, want, rtol, atol).all()))


def assert_equal(got: Any, expected: Any, *, what: str, diagnoses: Sequence[Diagnosis] = ()) -> None:
    """`got` equals `expected` exactly (integers, labels, booleans)."""
    want = np.asarray(expected)
    try:
        array = np.asarray(got)
    except (TypeError, ValueError):
        fail(f"{what}: expected {show(want)}, got {show(got)}", got, diagnoses)
    if array.shape != want.shape:
        fail(f"{what}: expected shape {want.shape}, got shape {array.shape}{_shape_hint(array.shape, want.shape)}", got)
    if not np.array_equal(array, want):
        shown_got, shown_want = show_pair(array, want)
        fail(f"{what}: got {shown_got}\n{' ' * len(what)}  expected {shown_want}", got, diagnoses,
             passes=lambda value: value.shape == want.shape and bool(np.array_equal(value, want)))


def assert_scalar(got: Any, what: str) -> float:
    """The learner's value as one float (a 0-d array or a size-1 array also counts)."""
    array = as_array(got, what)
    if array.size != 1:
        fail(f"{what}: expected a single number, got an array of shape {array.shape}", got)
    return float(array.reshape(()))


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    return np.abs(got - want) <= atol + rtol * np.abs(want)


def _shape_hint(got: tuple, want: tuple) -> str:
    if got == want[::-1] and len(want) == 2:
        return " (transposed?)"
    if tuple(n for n in got if n != 1) == tuple(n for n in want if n != 1):
        return " (an extra or missing axis of length 1: check your reshape / keepdims)"
    return ""


def returned_parts(result: Any, n: int, call: str, names: str = "gradients") -> Sequence:
    """The n values a learner's function returns as a tuple (or list); fails naming what was expected."""
    if not isinstance(result, (tuple, list)) or len(result) != n:
        fail(f"{call} should return {n} values ({names}); got {type(result).__name__}"
             + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def assert_shape(got: Any, shape: tuple, what: str, diagnoses: Sequence[Diagnosis] = ()) -> None:
    """`got` has `shape`; a wrong shape can be named by a mistake that gives exactly it."""
    try:
        actual = np.shape(got)
    except (TypeError, ValueError):
        return  # as_array says what is wrong with it
    if got is not None and tuple(actual) != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got shape {tuple(actual)}", got, diagnoses,
             passes=lambda value: value.shape == tuple(shape))
