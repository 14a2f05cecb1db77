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


@pytest.mark.parametrize("strategy", ["fair_chains", "reuses", "dags"])
def test_the_judges_torch_answers_are_torch_autograd_on_the_graders_own_programs(strategy):
    """The checks that compare with PyTorch take its answers from simulate (no torch import in the judge):
    proven here on the programs those checks draw, their explicit examples and the 2,000-deep chain."""
    from hypothesis import HealthCheck

    drawn = {"fair_chains": grader.fair_chains, "reuses": grader.reuses(), "dags": grader.dags}[strategy]

    def assert_same(program):
        values, grads = grader.torch_answers(program)
        want_values, want_grads = torch_program(program.nodes)
        assert max(grader._relative_error(a, b) for a, b in zip(values, want_values)) <= 1e-14
        assert max(grader._relative_error(a, b) for a, b in zip(grads, want_grads)) <= 1e-12

    @settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(program=drawn)
    def check(program):
        assert_same(program)

    check()
    for program in (*grader.REUSE_EXAMPLES, grader.deep_chain(2000)):
        assert_same(program)


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


# -- every operation on every grading, diagnoses as evidence ----------------------------------------
import importlib.util  # noqa: E402

from mldojo.graders.kit.asserts import CheckFailed  # noqa: E402
from mldojo.graders.stage2 import micrograd_driver  # noqa: E402


@pytest.mark.parametrize("seed", [0, 3, 7])
@pytest.mark.parametrize("name, check", [
    ("only_radd_missing", "a_plain_number_on_the_left"),
    ("rtruediv_operands_swapped", "a_plain_number_on_the_left"),
    ("pow_refuses_float_exponents", "raising_to_a_number_power"),
    ("tanh_forgets_the_upstream_grad", "every_operation_applies_the_chain_rule_and_adds_into_grad"),
    ("pow_assigns_its_grad", "every_operation_applies_the_chain_rule_and_adds_into_grad"),
])
def test_micrograd_rare_structure_is_covered_on_every_seed(name, check, seed, tmp_path):
    """Each operator, its reflected form and each exponent kind is tried on every grading."""
    report = grade_source(EXERCISE, MUTANTS[name].source, tmp_path, seed=seed, only=(check,))
    assert report.checks[0].verdict in ("failed", "error"), explain(report)


def test_micrograd_a_stated_parameter_is_exercised(tmp_path):
    """`v ** k` uses k: a __pow__ that ignores its exponent fails, without a made-up diagnosis."""
    report = grade_source(EXERCISE, MUTANTS["pow_ignores_its_exponent"].source, tmp_path, only=("raising_to_a_number_power",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and outcome.diagnosis is None, explain(report)


def test_every_explicit_program_is_fair_to_grade():
    programs = [*grader.POWER_EXAMPLES, *grader.REUSE_EXAMPLES, *grader.CHAIN_RULE_EXAMPLES]
    assert all(grader.well_conditioned(p.nodes) for p in programs)
    ops = {node[0] for p in grader.CHAIN_RULE_EXAMPLES for node in p.nodes}
    assert set(grader.ALL_OPS) <= ops


class InProcessLearner:
    """The grader's view of a learner module, run here (only for these unit tests)."""

    def __init__(self, source: str, tmp_path):
        path = tmp_path / "learner_micrograd.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("learner_micrograd", path)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)

    def _drive(self, driver, nodes, backward=True):
        return micrograd_driver.run_program(self.module, nodes, backward=backward)


def _diagnosis(check, learner, program):
    with pytest.raises(CheckFailed) as failure:
        check(learner, program=program)
    return failure.value.diagnose()


def test_micrograd_diagnoses_are_confirmed_on_a_second_input(tmp_path):
    """At a = 0.5, b = a ** 2, 'the factor k is missing' and 'the exponent must drop' give the
    same a.grad (0.5): only the mistake the learner made is confirmed on another a."""
    program = grader.Program([("leaf", 0.5), ("pow", 0, 2)])
    missing = InProcessLearner(MUTANTS["pow_derivative_missing_exponent"].source, tmp_path)
    diagnosis = _diagnosis(grader.raising_to_a_number_power, missing, program)
    assert diagnosis == grader.MISTAKES["pow_missing_exponent"]


def test_micrograd_diagnoses_never_name_a_mistake_the_values_rule_out(tmp_path):
    """rsub computing v - k has the same k - v gradient as a lost minus sign in __sub__; the values tell them apart."""
    report = grade_source(EXERCISE, MUTANTS["sub_gradient_sign_lost"].source, tmp_path, only=("a_plain_number_on_the_left",))
    assert report.checks[0].diagnosis == grader.MISTAKES["sub_sign"], explain(report)


@pytest.mark.parametrize("seed", [None, 4])
def test_a_solution_that_orders_the_graph_by_counting_uses_passes(seed, tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "micrograd_iterative_style.py", tmp_path, seed=seed)
    assert report.passed, explain(report)
