"""stage2/micrograd_nn beyond the generic tests: it runs on the learner's own Value."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source, package_file, place_source

EXERCISE = "stage2/micrograd_nn"


@pytest.mark.slow  # trains on the two moons in pure Python
def test_a_correct_solution_with_loops_and_mini_batches_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "micrograd_nn_minibatches.py", tmp_path)
    assert report.passed, explain(report)


def test_an_unwritten_engine_says_stage2_micrograd_first(tmp_path):
    place_source("stage2/micrograd", package_file("exercises", "stage2/micrograd"), tmp_path)
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path, only=("forward_matches_for_the_same_weights",))
    (outcome,) = report.checks
    assert outcome.verdict == "not_implemented" and "stage2/micrograd first" in outcome.message, explain(report)


def test_nonzero_biases_in_the_right_order_are_not_blamed_on_the_order(tmp_path):
    # Weights at 0 and random biases: the bias-first reading also finds zeros where it looks for
    # biases, but its weights are not uniform(-1, 1), so the order mistake must not be named.
    report = grade_edited_reference(
        EXERCISE,
        "        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]\n        self.b = Value(0)\n",
        "        self.w = [Value(0.0) for _ in range(nin)]\n        self.b = Value(random.uniform(-1, 1))\n",
        tmp_path, only=("weights_start_uniform_and_biases_at_zero",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "biases do not start at 0" in outcome.message, explain(report)
    assert not outcome.diagnosis, explain(report)
