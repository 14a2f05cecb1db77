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


# -- every stated rule, on every seed; messages and advice that fit the evidence ----------------------
from grading import mutants, verdicts_across_seeds  # noqa: E402
from mldojo.graders.stage3 import mnist_torch as grader  # noqa: E402

MUTANTS = {mutant.name: mutant for mutant in mutants(EXERCISE)}


SEEDS = (0, 5, 11)


def _fails_on_every_seed(name, tmp_path):
    found = verdicts_across_seeds(MUTANTS[name], SEEDS, tmp_path)
    return all(verdict in ("failed", "error") for verdict, _ in found.values()), f"{name}: {found}"


@pytest.mark.parametrize("name", ["train_ignores_lr", "train_ignores_batch_size", "train_ignores_epochs", "train_ignores_on_epoch",
                                  "train_step_ignores_its_optimizer", "predict_with_gradients_on", "build_model_returns_one_shared_model",
                                  "train_returns_nothing", "train_never_shuffles", "train_calls_on_epoch_when_it_is_none"])
def test_mnist_torch_a_stated_parameter_is_exercised_on_every_seed(name, tmp_path):
    failed, why = _fails_on_every_seed(name, tmp_path)
    assert failed, why


@pytest.mark.parametrize("name", ["train_drops_the_last_small_batch", "train_samples_rows_with_replacement", "predict_without_eval"])
def test_mnist_torch_rare_structure_is_covered_on_every_seed(name, tmp_path):
    """Batches that do not divide N, and dropout left on in predict even where it happens not to change the labels."""
    failed, why = _fails_on_every_seed(name, tmp_path)
    assert failed, why


def test_a_correct_solution_typed_along_with_a_course_passes_the_cheap_checks(tmp_path):
    source = SOLUTIONS / "stage3" / "mnist_torch_course_style.py"
    report = grade_source(EXERCISE, source, tmp_path, only=tuple(n for n in CHEAP_CHECKS))
    assert report.passed, explain(report)


CHEAP_CHECKS = ("build_model_gives_ten_logits_per_image", "train_step_takes_one_optimizer_step", "predict_uses_eval_mode",
                "train_runs_the_model_in_training_mode", "train_visits_every_row_once_per_epoch_in_shuffled_batches",
                "train_uses_the_learning_rate_it_is_given")


def test_a_wrong_shape_from_predict_is_shown_as_a_shape(tmp_path):
    source = package_file("reference", EXERCISE).read_text().replace(".argmax(dim=1) for i", ".argmax(dim=1, keepdim=True) for i")
    report = grade_source(EXERCISE, source, tmp_path, only=("predict_uses_eval_mode",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed", explain(report)
    assert "returned labels of shape (" in outcome.message and ", 1); expected (" in outcome.message, outcome.message
    assert "shape (1,)" not in outcome.message and "shape (2,)" not in outcome.message


@pytest.mark.parametrize("accuracy, loss, words, not_words", [
    (0.0982, 2.30, "not learning", "wider hidden layer"),
    (0.55, 1.3, "learns, but far too little", "wider hidden layer"),
    (0.975, 0.04, "wider hidden layer", "not learning"),
    (0.09, float("inf"), "NaN or inf", "wider hidden layer"),
])
def test_mnist_torch_advice_fits_the_evidence(accuracy, loss, words, not_words):
    from mldojo.graders.engine.training import TrainingResult

    advice = grader.training_advice(TrainingResult(accuracy, 12.0, 5, 0.98, 10_000, device="cpu", last_loss=loss))
    assert words in advice and not_words not in advice


def test_the_fixed_examples_are_fair_to_grade():
    assert all(grader.no_near_ties(p) for p in grader.PREDICT_EXAMPLES)
    for p in grader.TRAIN_EXAMPLES:
        assert len({row.tobytes() for row in p.X}) == grader.TRAIN_ROWS
