"""Declaring checks: `@check` marks a claim about the learner's code, `@given` its inputs.

The runner owns Hypothesis: it builds the property test from the strategies recorded here,
with reproducible settings and a seed, and records the drawn inputs so a failure can show
the minimal counterexample in the learner's names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class CheckSpec:
    """A grader's check: its name, the property it states, and how many examples to try."""

    name: str
    claim: str
    function: Callable[..., None]
    examples: int
    strategies: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    explicit: tuple[dict[str, Any], ...] = ()  # inputs tried on every grading, before any drawn one


def check(examples: int = 50) -> Callable:
    """Mark a function `f(learner, **inputs)` as a check; its docstring states the property."""

    def mark(function: Callable) -> Callable:
        doc = (function.__doc__ or "").strip().splitlines()
        function.__mldojo_check__ = CheckSpec(
            name=function.__name__,
            claim=doc[0] if doc else function.__name__.replace("_", " "),
            function=function,
            examples=examples,
            strategies=dict(getattr(function, "__mldojo_strategies__", {})),
            line=function.__code__.co_firstlineno,
            explicit=tuple(getattr(function, "__mldojo_explicit__", ())),
        )
        return function

    return mark


def given(**strategies: Any) -> Callable:
    """Attach Hypothesis strategies for the check's keyword inputs (drawn by the runner)."""

    def attach(function: Callable) -> Callable:
        function.__mldojo_strategies__ = strategies
        return function

    return attach


def example(**inputs: Any) -> Callable:
    """An input the check tries on every grading, whatever the seed (Hypothesis' explicit
    example): the structural cases a stub distinguishes must not depend on luck. Put it
    between @check and @given; several stack (they run top to bottom)."""

    def attach(function: Callable) -> Callable:
        function.__mldojo_explicit__ = (inputs, *getattr(function, "__mldojo_explicit__", ()))
        return function

    return attach


def checks_of(grader_module: Any) -> list[CheckSpec]:
    """The checks a grader module declares, in the order they are written."""
    specs = [getattr(v, "__mldojo_check__") for v in vars(grader_module).values() if hasattr(v, "__mldojo_check__")]
    return sorted(specs, key=lambda spec: spec.line)
