"""stage3/mnist_torch beyond the generic tests: another correct style, and the CUDA path.

The reference reaching 98 % on the real MNIST is proved by the generic
tests/test_exercises.py::test_reference_passes[stage3/mnist_torch] (marked slow: it trains).
"""

from __future__ import annotations

import pytest
import torch

from grading import SOLUTIONS, explain, grade_source, package_file

EXERCISE = "stage3/mnist_torch"
SEQUENTIAL = SOLUTIONS / "stage3" / "mnist_torch_sequential.py"


def test_a_correct_solution_in_another_style_passes_every_piece_and_the_judge_scores_its_training(tmp_path):
    report = grade_source(EXERCISE, SEQUENTIAL, tmp_path)
    verdicts = {c.name: c.verdict for c in report.checks}
    training = verdicts.pop("reaches_the_accuracy_goal_on_mnist")
    assert set(verdicts.values()) == {"passed"}, explain(report)
    assert training == "failed", explain(report)
    (run,) = report.training
    assert 0.80 < run["accuracy"] < 0.98 and run["status"] == "finished" and run["epochs"] == 1
    expected_device = "cuda" if torch.cuda.is_available() else "cpu"
    assert run["device"].startswith("cpu") == (expected_device == "cpu")


def test_the_cheap_checks_run_before_any_training(tmp_path):
    """A stub-free but wrong model never reaches the (minute-long) training run."""
    source = package_file("reference", EXERCISE).read_text().replace("    optimizer.zero_grad()  # gradients accumulate in .grad otherwise\n", "")
    report = grade_source(EXERCISE, source, tmp_path)
    gated = next(c for c in report.checks if c.name == "reaches_the_accuracy_goal_on_mnist")
    assert gated.verdict == "skipped" and "fix the 1 check above first" in gated.message
    assert report.training == [] and gated.duration_s < 10


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_data_and_the_training_are_on_cuda(tmp_path):
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path)
    assert report.passed, explain(report)
    (run,) = report.training
    assert run["device"] == torch.cuda.get_device_name(0)
