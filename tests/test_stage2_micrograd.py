"""stage2/micrograd beyond the three directions of test_exercises.py: a solution typed the
lecture's way passes, the grader's own wrong evaluators agree with PyTorch when they make
no mistake, and its messages read well."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings

from grading import SOLUTIONS, explain, grade_source, mutants
from mldojo.graders.kit.oracles import torch_program
from mldojo.graders.kit.strategies import expression_dags
from mldojo.graders.stage2 import micrograd as grader

EXERCISE = "stage2/micrograd"

# The way the lecture builds it: a set of children, a recursive topological sort, numbers
# wrapped with `other if isinstance(other, Value) else Value(other)`, a - b as a + (-b),
# a / b as a * b**-1, tanh from exp. Recursion 2,000 deep must work in the learner process.
LECTURE_STYLE = (SOLUTIONS / "stage2" / "micrograd_lecture_style.py").read_text()

MUTANTS = {mutant.name: mutant for mutant in mutants(EXERCISE)}


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_a_solution_typed_the_lecture_way_passes(seed, tmp_path):
    report = grade_source(EXERCISE, LECTURE_STYLE, tmp_path, seed=seed)
    assert report.passed, explain(report)


def test_a_failure_shows_the_program_and_the_wrong_grad(tmp_path):
    report = grade_source(EXERCISE, MUTANTS["grads_assigned_not_accumulated"].source, tmp_path)
    outcome = {c.name: c for c in report.checks}["gradients_accumulate_when_a_value_is_reused"]
    assert "a.grad: got 1, expected 2" in outcome.message
    assert "b = a + a" in outcome.inputs and "b.backward()" in outcome.inputs


def test_a_missing_reflected_operator_is_named(tmp_path):
    report = grade_source(EXERCISE, MUTANTS["no_reflected_operators"].source, tmp_path)
    outcome = {c.name: c for c in report.checks}["a_plain_number_on_the_left"]
    assert outcome.verdict == "failed"
    assert "unsupported operand" in outcome.message and "Define __radd__" in outcome.message
    assert {c.verdict for c in report.checks if c.name.endswith("_of_a_value")} == {"passed"}


def test_an_operator_returning_a_float_is_reported_not_crashed(tmp_path):
    source = LECTURE_STYLE.replace(
        "    def exp(self):\n", "    def exp(self):\n        return math.exp(self.data)\n"
    )
    report = grade_source(EXERCISE, source, tmp_path)
    outcome = {c.name: c for c in report.checks}["exp_of_a_value"]
    assert outcome.verdict == "failed"
    assert "`a.exp()` returned float" in outcome.message and "not a Value" in outcome.message


@settings(max_examples=200, deadline=None, database=None)
@given(nodes=expression_dags())
def test_the_grader_micrograd_agrees_with_torch(nodes):
    if not grader.well_conditioned(nodes):
        return
    values, grads = grader.simulate(nodes)
    want_values, want_grads = torch_program(nodes)
    assert max(grader._relative_error(a, b) for a, b in zip(values, want_values)) <= 1e-13
    assert max(grader._relative_error(a, b) for a, b in zip(grads, want_grads)) <= 1e-10


def test_fragile_programs_are_not_graded():
    assert not grader.well_conditioned([("leaf", 3.0), ("mul", 0, 0), ("rmul", 10.0, 1), ("tanh", 2)])  # tanh(90)
    # a / a has gradient 0 only up to rounding: a.grad = 1/a - a/a**2
    assert not grader.well_conditioned([("leaf", 3.0), ("exp", 0), ("div", 1, 1)])
    assert grader.well_conditioned([("leaf", 1.5), ("leaf", -2.0), ("mul", 0, 1), ("tanh", 2), ("add", 3, 0)])


def test_prune_keeps_only_what_the_output_needs():
    nodes = [("leaf", 1.0), ("leaf", 2.0), ("exp", 0), ("rmul", 2.0, 1), ("pow", 3, 2)]
    assert grader.prune(nodes) == [("leaf", 2.0), ("rmul", 2.0, 0), ("pow", 1, 2)]


def test_the_driver_imports_nothing_heavy():
    code = (
        "import sys, mldojo.graders.stage2.micrograd_driver as d; "
        "heavy = {'numpy', 'torch', 'hypothesis'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
