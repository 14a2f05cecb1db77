"""stage2/micrograd_nn beyond the generic tests: it runs on the learner's own Value."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_source, package_file, place_source

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
