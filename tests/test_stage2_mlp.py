"""stage2/mlp beyond the generic tests: another correct style, the NumPy-only rule, the CLI.

The reference reaching 98 % on the real MNIST within its training budget is proved by the
generic tests/test_exercises.py::test_reference_passes[stage2/mlp] (marked slow: it trains).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage2/mlp"
SHORT_TRAINING = SOLUTIONS / "stage2" / "mlp_short_training.py"
GRADE = Path(sys.executable).with_name("grade")


def test_a_correct_solution_in_another_style_passes_every_piece_and_the_judge_scores_its_training(tmp_path):
    report = grade_source(EXERCISE, SHORT_TRAINING, tmp_path)
    verdicts = {c.name: c.verdict for c in report.checks}
    training = verdicts.pop("reaches_the_accuracy_goal_on_mnist")
    assert set(verdicts.values()) == {"passed"}, explain(report)
    # One small epoch on a third of the data: a real score, well above chance, below the goal.
    assert training == "failed", explain(report)
    (run,) = report.training
    assert 0.80 < run["accuracy"] < 0.98 and run["n_test"] == 10_000
    assert run["status"] == "finished" and run["epochs"] == 1 and not run["met"]
    message = next(c.message for c in report.checks if c.name == "reaches_the_accuracy_goal_on_mnist")
    assert f"test accuracy {100 * run['accuracy']:.2f} %, the goal is 98.00 %" in message


@pytest.mark.parametrize("line", ["import torch", "from sklearn.linear_model import LogisticRegression", "import jax.numpy as jnp"])
def test_a_library_that_does_the_work_is_refused_before_anything_runs(tmp_path, line):
    source = SHORT_TRAINING.read_text().replace("import numpy as np\n", f"import numpy as np\n{line}\n", 1)
    report = grade_source(EXERCISE, source, tmp_path)
    assert report.verdict == "forbidden", explain(report)
    top = line.split()[1].split(".")[0]
    assert f"may not use {top}" in report.problem and "line 6" in report.problem
    assert report.checks == []


def test_a_hidden_import_of_torch_is_refused_when_it_runs(tmp_path):
    source = SHORT_TRAINING.read_text().replace(
        "def softmax_loss(scores, y):\n", "def softmax_loss(scores, y):\n    __import__('to' + 'rch')\n", 1
    )
    report = grade_source(EXERCISE, source, tmp_path)
    softmax = next(c for c in report.checks if c.name == "softmax_loss_matches_cross_entropy")
    assert softmax.verdict == "error"
    assert "must be written without `torch`" in softmax.traceback


@pytest.mark.slow
def test_grade_shows_training_progress_and_the_judges_accuracy_then_history_keeps_it(tmp_path):
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    env.update(NO_COLOR="1", COLUMNS="120")

    def grade(*args):
        return subprocess.run(command + list(args), cwd=tmp_path / "ws", env=env, capture_output=True, text=True, timeout=600)

    subprocess.run(command + ["init", "ws"], cwd=tmp_path, env=env, capture_output=True, check=True, timeout=120)
    (tmp_path / "ws" / "stage2" / "mlp.py").write_text(SHORT_TRAINING.read_text())
    result = grade(EXERCISE)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    # Not a terminal: the live line becomes one line per epoch. The limit is the catalogue's 300 s
    # scaled by this machine's measured speed (calibration), shown in whole seconds.
    assert re.search(r"training on MNIST \(limit \d+ s\)", out) and "epoch 1" in out, out
    assert "test accuracy" in out and "below the goal: 98.00 %" in out, out
    history = grade("history", EXERCISE)
    assert "test accuracy" in history.stdout, history.stdout


# -- every stated rule, on every seed; diagnoses as evidence; messages ---------------------------------
import importlib  # noqa: E402
import importlib.util  # noqa: E402

import numpy as np  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from grading import mutants, verdicts_across_seeds  # noqa: E402
from mldojo.graders.kit.asserts import CheckFailed  # noqa: E402
from mldojo.graders.stage2 import _mlp_inputs as inputs  # noqa: E402
from mldojo.graders.stage2 import mlp as grader  # noqa: E402

MUTANTS = {mutant.name: mutant for mutant in mutants(EXERCISE)}


SEEDS = (0, 5, 11)


def _fails_on_every_seed(name, tmp_path):
    found = verdicts_across_seeds(MUTANTS[name], SEEDS, tmp_path)
    return all(verdict in ("failed", "error") for verdict, _ in found.values()), f"{name}: {found}"


@pytest.mark.parametrize("name", ["mlp_ignores_its_seed", "train_ignores_batch_size", "train_ignores_on_epoch", "adam_ignores_config_betas",
                                  "adam_default_learning_rate_wrong", "affine_forgets_the_bias", "train_never_shuffles",
                                  "mlp_default_seed_not_0", "train_calls_on_epoch_when_it_is_none", "adam_mutable_default_config"])
def test_mlp_a_stated_parameter_is_exercised_on_every_seed(name, tmp_path):
    failed, why = _fails_on_every_seed(name, tmp_path)
    assert failed, why


@pytest.mark.parametrize("name", ["relu_assumes_two_axes", "softmax_subtracts_the_batch_max", "softmax_takes_log_of_probabilities",
                                  "train_drops_the_last_small_batch", "train_restarts_adam_every_epoch"])
def test_mlp_rare_structure_is_covered_on_every_seed(name, tmp_path):
    failed, why = _fails_on_every_seed(name, tmp_path)
    assert failed, why


@pytest.mark.parametrize("name", ["affine_in_float32", "adam_epsilon_inside_sqrt"])
def test_mlp_float_data_beside_grid_data_on_every_seed(name, tmp_path):
    failed, why = _fails_on_every_seed(name, tmp_path)
    assert failed, why


@settings(max_examples=60, deadline=None, database=None)
@given(case=inputs.adam_cases())
@example(case=next(c for c in inputs.ADAM_EXAMPLES if (c.config or {}).get("beta2") == 0.4))
def test_the_graders_numpy_adam_is_torchs_adam(case):
    import torch

    param = torch.tensor(case.w, dtype=torch.float64, requires_grad=True)
    hyper = {**grader.ADAM_DEFAULTS, **(case.config or {})}
    optimizer = torch.optim.Adam([param], lr=hyper["learning_rate"], betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["epsilon"])
    ours = grader.adam_trajectory(case.w, case.dws, case.config)
    for dw, mine in zip(case.dws, ours):
        param.grad = torch.tensor(dw, dtype=torch.float64)
        optimizer.step()
        np.testing.assert_allclose(mine, param.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_mlp_drawn_values_are_shown_by_name(tmp_path):
    report = grade_source(EXERCISE, MUTANTS["dw_averaged_in_affine_backward"].source, tmp_path, only=("affine_layer_forward_and_backward",))
    (outcome,) = report.checks
    for name in ("x", "w", "b", "dout"):
        assert f"{name}.shape=" in outcome.inputs, outcome.inputs
    assert "data(" not in outcome.inputs and "case=" not in outcome.inputs


@pytest.mark.parametrize("accuracy, loss, words, not_words", [
    (0.098, 2.30, "not learning", "hidden units"),
    (0.11, 2.29, "images and labels still in step", "hidden units"),
    (0.62, 1.1, "learns, but far too little", "hidden units"),
    (0.972, 0.05, "more hidden units", "not learning"),
    (0.35, float("nan"), "NaN or inf", "hidden units"),
])
def test_mlp_advice_fits_the_evidence(accuracy, loss, words, not_words):
    from mldojo.graders.engine.training import TrainingResult

    advice = grader.training_advice(TrainingResult(accuracy, 40.0, 5, 0.98, 10_000, last_loss=loss))
    assert words in advice and not_words not in advice


class InProcessLearner:
    """The learner module and the grader's drivers run in this process (unit tests only)."""

    def __init__(self, source: str, tmp_path):
        path = tmp_path / "learner_mlp.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("learner_mlp", path)
        self._module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self._module)

    def _drive(self, target, *args):
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)(self._module, *args)

    def __getattr__(self, name):
        return getattr(self._module, name)


def test_mlp_train_diagnoses_are_confirmed_on_a_second_input(tmp_path):
    """With 3 epochs of 5 rows in batches of 2, ignoring batch_size (3 steps) and running one
    epoch (3 steps) end in the same params: only the mistake made is confirmed elsewhere."""
    learner = InProcessLearner(MUTANTS["train_ignores_batch_size"].source, tmp_path)
    case = inputs.TrainCase(inputs.identical_rows(inputs.fair_net([3, 4, 3], 1, seed=90), 5), 3, 2, 1e-2)
    with pytest.raises(CheckFailed) as failure:
        grader.train_takes_one_adam_step_per_batch_and_reports_each_epoch(learner, case=case)
    diagnosis = failure.value.diagnose()
    assert diagnosis.startswith("train ignores batch_size") and "1 epoch" not in diagnosis


def test_every_fixed_net_is_fair_to_grade():
    for net in (*inputs.NET_EXAMPLES, *(c.net for c in inputs.BATCH_TRAINING_EXAMPLES + inputs.SHUFFLE_EXAMPLES)):
        assert grader.inputs._fair(net)
    assert all(grader.untied(grader.without_ties(net)) for net in inputs.NET_EXAMPLES)


def test_a_solution_typed_along_with_the_cs231n_assignments_passes_every_piece(tmp_path):
    cheap = tuple(c for c in ("affine_layer_forward_and_backward", "relu_layer_forward_and_backward", "softmax_loss_matches_cross_entropy",
                              "softmax_loss_is_stable_for_huge_scores", "adam_steps_match_torch", "mlp_parameters_have_the_documented_layout",
                              "forward_gives_the_scores", "loss_and_grads_match_finite_differences", "train_takes_adam_steps",
                              "train_takes_one_adam_step_per_batch_and_reports_each_epoch", "train_shuffles_the_rows_every_epoch",
                              "predict_gives_the_most_likely_class"))
    report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "mlp_cs231n_style.py", tmp_path, only=cheap)
    assert report.passed and len(report.checks) == len(cheap), explain(report)
