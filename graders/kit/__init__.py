"""The grader kit: what every grader says, said the same way.

A grader imports from here: `check` and `given` to declare properties, strategies to draw
inputs, assertions whose messages use the learner's names, the gradient check, oracles.
"""

from mldojo.graders.kit.asserts import (
    CheckFailed,
    Diagnosis,
    after_calling,
    as_array,
    assert_close,
    assert_equal,
    assert_scalar,
    fail,
)
from mldojo.graders.kit.checks import check, example, given
from mldojo.graders.kit.gradcheck import assert_gradient_close, numerical_gradient, relative_error

__all__ = [
    "CheckFailed",
    "Diagnosis",
    "after_calling",
    "as_array",
    "assert_close",
    "assert_equal",
    "assert_gradient_close",
    "assert_scalar",
    "check",
    "example",
    "fail",
    "given",
    "numerical_gradient",
    "relative_error",
]
