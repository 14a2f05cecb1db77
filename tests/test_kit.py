"""The grader kit itself: strategies keep their promises, assertions fail in the learner's terms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from mldojo.graders.kit import (
    CheckFailed,
    Diagnosis,
    after_calling,
    assert_close,
    assert_equal,
    assert_gradient_close,
    fail,
    numerical_gradient,
    relative_error,
)
from mldojo.graders.kit import expressions
from mldojo.graders.kit import strategies as S
from mldojo.graders.kit.formatting import describe_inputs


@settings(max_examples=40, database=None, deadline=None)
@given(problem=S.regression_problems(max_rows=20, max_features=4))
def test_regression_problems_are_full_rank_and_bounded(problem):
    n, p = problem.X.shape
    assert n > p and problem.y.shape == (n,)
    assert S.condition_number(problem.X) <= 1e3


@settings(max_examples=25, database=None, deadline=None)
@given(problem=S.well_conditioned_regression())
def test_well_conditioned_problems_are_centred_and_tightly_conditioned(problem):
    assert np.allclose(problem.X.mean(axis=0), 0, atol=1e-9)
    assert S.condition_number(problem.X) <= 1.5 + 1e-9


@settings(max_examples=25, database=None, deadline=None)
@given(problem=S.rank_deficient_regression())
def test_rank_deficient_problems_really_are(problem):
    assert np.linalg.matrix_rank(problem.X) < problem.X.shape[1]


@settings(max_examples=30, database=None, deadline=None)
@given(problem=S.classification_problems(n_classes=3), separable=S.classification_problems(n_classes=2, separable=True))
def test_classification_problems_have_every_class(problem, separable):
    assert set(np.unique(problem.y)) == {0, 1, 2}
    assert problem.X.shape[0] == problem.y.shape[0]
    assert set(np.unique(separable.y)) == {0, 1}


@settings(max_examples=60, database=None, deadline=None)
@given(program=S.expression_dags())
def test_expression_dags_are_tame_and_well_formed(program):
    assert expressions.is_tame(program)
    for index, node in enumerate(program):
        assert all(0 <= i < index for i in _operand_indices(node))


def test_expression_dags_share_sub_expressions_often():
    programs = []

    @settings(max_examples=40, database=None, deadline=None)
    @given(program=S.expression_dags())
    def collect(program):
        programs.append(program)

    collect()
    shared = 0
    for program in programs:
        uses = [i for node in program for i in _operand_indices(node)]
        shared += len(uses) != len(set(uses))
    assert shared >= len(programs) // 4, "expression DAGs should often reuse a node"


def _operand_indices(node):
    if node[0] in expressions.BINARY_OPS:
        return [node[1], node[2]]
    if node[0] in expressions.REFLECTED_OPS:
        return [node[2]]
    if node[0] == "leaf":
        return []
    return [node[1]]


def test_numerical_gradient_matches_an_analytic_one():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    grad = numerical_gradient(lambda z: float(np.sum(z**3)), x)
    assert np.allclose(grad, 3 * x**2, rtol=1e-7)
    assert x.tolist() == [[0.5, -1.0], [2.0, 0.25]], "the input must be left as it was"


def test_relative_error_is_cs231n_s():
    assert relative_error(1.0, 3.0) == pytest.approx(0.5)
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1e-10, 0.0) == pytest.approx(1e-2)


def test_assert_close_names_the_value_the_index_and_the_tolerance():
    with pytest.raises(CheckFailed) as failure:
        assert_close([1.0, 2.5], [1.0, 2.0], what="coef_", rtol=1e-6)
    message = str(failure.value)
    assert "coef_" in message and "index (1,)" in message and "rtol=1e-06" in message


@pytest.mark.parametrize(
    "got, words",
    [
        (None, "forget a `return`"),
        ([[1.0, 2.0]], "(an extra or missing axis"),
        ([1.0, float("nan")], "NaN at index (1,)"),
        (["1.0", "2.0"], "expected numbers"),
        ([1.0, float("inf")], "inf"),
    ],
)
def test_bad_answers_get_clear_messages(got, words):
    with pytest.raises(CheckFailed) as failure:
        assert_close(got, [1.0, 2.0], what="coef_", rtol=1e-6)
    assert words in str(failure.value)


def test_a_transposed_answer_is_called_transposed():
    with pytest.raises(CheckFailed, match="transposed"):
        assert_equal(np.zeros((3, 2)), np.zeros((2, 3)), what="W")


def test_diagnoses_name_the_mistake_the_answer_matches():
    with pytest.raises(CheckFailed) as failure:
        assert_gradient_close(
            [0.5, 1.0],
            [1.0, 2.0],
            what="dw",
            max_relative_error=1e-7,
            diagnoses=[Diagnosis("sign flipped", lambda: [-1.0, -2.0]), Diagnosis("half", lambda: [0.5, 1.0])],
        )
    assert failure.value.diagnose() == "half"


def test_a_failed_diagnosis_computation_is_skipped():
    def broken():
        raise ZeroDivisionError

    with pytest.raises(CheckFailed) as failure:
        assert_close([2.0], [1.0], what="x", rtol=0, diagnoses=[Diagnosis("never", broken)])
    assert failure.value.diagnose() is None


def test_after_calling_puts_the_call_first():
    with pytest.raises(CheckFailed, match=r"^after fit\(X, y\):\ncoef_"):
        with after_calling("fit(X, y)"):
            assert_close([2.0], [1.0], what="coef_", rtol=0)


def test_inputs_are_described_shapes_first():
    text = describe_inputs({"problem": S.RegressionProblem(np.array([[0.0], [1.0]]), np.array([0.0, 1.0])), "lr": 0.5})
    assert text.splitlines()[0].startswith("X.shape=(2, 1)  X=[[0.]")
    assert "y.shape=(2,)" in text and "lr=0.5" in text


# -- diagnoses are evidence: right or absent ---------------------------------------------------------
def test_a_mistake_that_gives_the_right_answer_here_is_never_named():
    """On a degenerate input (all zeros) the mistake's answer is the correct one: it proves nothing."""
    with pytest.raises(CheckFailed) as failure:
        assert_close([5.0, 0.0], [0.0, 0.0], what="x", rtol=1e-9, diagnoses=[
            Diagnosis("forgot the factor 2", lambda: [0.0, 0.0]),  # = the correct answer here
            Diagnosis("added 5 to the first entry", lambda: [5.0, 0.0]),
        ])
    assert failure.value.diagnose() == "added 5 to the first entry"


def test_mistakes_that_fit_equally_are_all_named_and_too_many_are_not():
    mistakes = [Diagnosis(f"mistake {i}", lambda: [2.0]) for i in range(2)]
    with pytest.raises(CheckFailed) as failure:
        assert_close([2.0], [1.0], what="x", rtol=0, diagnoses=mistakes)
    named = failure.value.diagnose()
    assert "mistake 0" in named and "mistake 1" in named and "one of 2 mistakes" in named
    with pytest.raises(CheckFailed) as failure:
        assert_close([2.0], [1.0], what="x", rtol=0, diagnoses=[Diagnosis(f"m{i}", lambda: [2.0]) for i in range(4)])
    assert failure.value.diagnose() is None


def test_a_mistake_not_confirmed_on_a_second_input_is_not_named():
    with pytest.raises(CheckFailed) as failure:
        assert_close([2.0], [1.0], what="x", rtol=0, diagnoses=[
            Diagnosis("coincidence", lambda: [2.0], confirm=lambda: False),
            Diagnosis("the real one", lambda: [2.0], confirm=lambda: True),
        ])
    assert failure.value.diagnose() == "the real one"


def test_a_diagnosis_without_a_pass_rule_is_never_named():
    with pytest.raises(CheckFailed) as failure:
        fail("x is wrong", [2.0], [Diagnosis("doubled", lambda: [2.0])])
    assert failure.value.diagnose() is None


def test_got_and_expected_never_print_the_same():
    with pytest.raises(CheckFailed) as failure:
        assert_close([1.0000001, 2.0], [1.0, 2.0], what="x", rtol=1e-12)
    got_line, expected_line = str(failure.value).splitlines()[:2]
    assert got_line.split("got ")[1] != expected_line.split("expected ")[1]
