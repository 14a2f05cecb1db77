"""stage2/optim beyond the generic tests (tests/test_exercises.py proves the reference, the stub
and the mutants): another correct style, every stated hyperparameter, NumPy only."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_source, package_file

EXERCISE = "stage2/optim"
REFERENCE = package_file("reference", EXERCISE).read_text()


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


def test_torch_is_refused(tmp_path):
    report = grade_source(EXERCISE, "import torch\n" + REFERENCE, tmp_path)
    assert report.verdict == "forbidden" and "may not use torch" in report.problem
