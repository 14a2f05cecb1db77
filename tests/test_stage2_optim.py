"""stage2/optim beyond the generic tests (tests/test_exercises.py proves the reference, the stub
and the mutants): the judge's NumPy oracle is torch.optim, another correct style, every stated
hyperparameter, NumPy only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source, package_file

EXERCISE = "stage2/optim"
REFERENCE = package_file("reference", EXERCISE).read_text()


def assert_oracle_is_torch(run) -> None:
    """The judge's trajectory equals torch.optim's within a tenth of the grader's tolerance."""
    from mldojo.graders.stage2 import optim

    ours, torchs = optim.expected_trajectory(run), optim.torch_trajectory(run)
    rtol = (optim.FIXED_RTOL if run.gradients is not None else optim.BOWL_RTOL) / 10
    assert np.all(np.abs(ours - torchs) <= optim.ATOL / 10 + rtol * np.abs(torchs)), (run, np.max(np.abs(ours - torchs)))


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_the_judges_numpy_oracle_is_torch_optim_on_the_graders_own_inputs(rule):
    from mldojo.graders.stage2 import optim

    explicit = [optim.fixed_run(rule), optim.fixed_run(rule, zero=True), optim.bowl_run(rule),
                optim.fixed_run(rule, shape=(2, 3), config=optim.every_hyperparameter_changed(rule)),
                optim.bowl_run(rule, shape=(), config=optim.every_hyperparameter_changed(rule)),
                optim.fixed_run(rule, config={key: optim.OTHER_VALUES[key][-1] for key in optim.DEFAULTS[rule]})]
    for run in explicit:
        assert_oracle_is_torch(run)

    @settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(run=optim.runs(rule))
    def drawn(run):
        assert_oracle_is_torch(run)

    drawn()


def test_a_correct_solution_written_the_torch_way_passes_on_several_seeds(tmp_path):
    for seed in (None, 3, 11):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "optim_torch_style.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


# Each hyperparameter the stub states, ignored in favour of its default: caught on every seed.
IGNORED = {
    "momentum": ('v = config["momentum"] * v', 'v = 0.9 * v', "sgd_momentum_follows_torch_sgd_with_momentum"),
    "decay_rate": ('cache = config["decay_rate"] * cache + (1 - config["decay_rate"])', 'cache = 0.99 * cache + (1 - 0.99)',
                   "rmsprop_follows_torch_rmsprop"),
    "epsilon": ('(np.sqrt(cache) + config["epsilon"])', '(np.sqrt(cache) + 1e-8)', "rmsprop_follows_torch_rmsprop"),
    "beta1": ('m = config["beta1"] * m + (1 - config["beta1"]) * dw', 'm = 0.9 * m + (1 - 0.9) * dw', "adam_follows_torch_adam"),
    "beta2": ('v_hat = v / (1 - config["beta2"] ** t)', 'v_hat = v / (1 - 0.999 ** t)', "adam_follows_torch_adam"),
    "adam_learning_rate": ('return w - config["learning_rate"] * m_hat', 'return w - 1e-3 * m_hat', "adam_follows_torch_adam"),
}


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_a_stated_hyperparameter_ignored_is_caught_on_every_seed(name, tmp_path):
    old, new, check = IGNORED[name]
    assert REFERENCE.count(old) == 1, old
    source = REFERENCE.replace(old, new)
    for seed in (None, 1, 2):
        report = grade_source(EXERCISE, source, tmp_path / f"s{seed}", seed=seed, only=(check,))
        assert not report.passed, f"ignoring {name} passed with seed {seed}"


# `1 % b` for `1 - b`: the same float for every b in [1/2, 1), so only a decay below 1/2 shows it.
REMAINDER_FOR_ONE_MINUS = {
    "decay_rate": ('(1 - config["decay_rate"])', "rmsprop_follows_torch_rmsprop"),
    "beta1": ('(1 - config["beta1"]) * dw', "adam_follows_torch_adam"),
    "beta2": ('(1 - config["beta2"]) * dw**2', "adam_follows_torch_adam"),
}


@pytest.mark.parametrize("name", sorted(REMAINDER_FOR_ONE_MINUS))
def test_a_remainder_typed_for_one_minus_a_decay_is_caught(name, tmp_path):
    old, check = REMAINDER_FOR_ONE_MINUS[name]
    report = grade_edited_reference(EXERCISE, old, old.replace("1 -", "1 %"), tmp_path, only=(check,))
    assert not report.passed, f"1 % {name} passed"


def test_torch_is_refused(tmp_path):
    report = grade_source(EXERCISE, "import torch\n" + REFERENCE, tmp_path)
    assert report.verdict == "forbidden" and "may not use torch" in report.problem
