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
        )
        return function

    return mark


def given(**strategies: Any) -> Callable:
    """Attach Hypothesis strategies for the check's keyword inputs (drawn by the runner)."""

    def attach(function: Callable) -> Callable:
        function.__mldojo_strategies__ = strategies
        return function

    return attach


def checks_of(grader_module: Any) -> list[CheckSpec]:
    """The checks a grader module declares, in the order they are written."""
    specs = [getattr(v, "__mldojo_check__") for v in vars(grader_module).values() if hasattr(v, "__mldojo_check__")]
    return sorted(specs, key=lambda spec: spec.line)
