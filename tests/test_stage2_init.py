"""stage2/init beyond the generic tests: another correct style, and the false-alarm rate."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source, package_file

from mldojo.graders.stage2 import init as grader

EXERCISE = "stage2/init"


def test_a_correct_solution_written_from_the_variances_passes_on_several_seeds(tmp_path):
    for seed in (None, 4, 9):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "init_by_variance.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_the_false_alarm_rate_per_grading_is_at_most_one_in_a_million():
    assert grader.ALPHA * grader.MAX_TESTS <= 1e-6
    # MAX_TESTS bounds the KS tests a grading runs: the drawn and explicit examples of each check.
    assert grader.MAX_TESTS >= 3 * (grader.EXAMPLES + 4)


def test_xavier_in_a_deep_relu_network_loses_its_scale(tmp_path):
    """The scale property is the reason for Kaiming: an initialiser that ignores ReLU fails it."""
    source = package_file("reference", EXERCISE).read_text().replace(
        "    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)\n", "    std = 1.0 / math.sqrt(fan)\n")
    report = grade_source(EXERCISE, source, tmp_path, only=("a_deep_relu_network_keeps_its_scale",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "drifts" in outcome.message, explain(report)


def test_the_judges_fans_and_gains_are_torch_nn_inits():
    """The grader writes torch's answers out (no torch import): proven equal on every shape and option the checks use."""
    import itertools

    import torch

    shapes = [shape for rank in range(2, 6) for shape in itertools.product(range(1, 7), repeat=rank) if len(set(shape)) <= 3][:4000]
    shapes += list(grader.LINEAR + grader.CONV) + [(512, 64), (64, 32, 3, 3), (8, 1, 5), (4, 2, 3, 3)]
    for shape in shapes:
        assert grader.expected_fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)), shape
    for name in grader.FIXED_GAINS:
        for param in (None, 0, 0.0, 0.2, 0.5, 1.0):
            assert grader.expected_gain(name, param) == torch.nn.init.calculate_gain(name, param), (name, param)
    for param in (None, 0, 0.0, 0.01, 0.2, 0.5, 1, 1.0, 3.0):
        assert grader.expected_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param), param


# Slips that agree with the reference on fans with no set bit in common (most shapes are a power
# of two apart), or on every name the stub lists.
SLIPS = {
    "uniform_fans_xor": ("bound = gain * math.sqrt(6.0 / (fan_in + fan_out))", "+", "^", "xavier_uniform_follows_torch"),
    "normal_fans_or": ("std = gain * math.sqrt(2.0 / (fan_in + fan_out))", "+", "|", "xavier_normal_follows_torch"),
    "leaky_relu_at_or_before": ('if nonlinearity == "leaky_relu":', "==", "<=", "unknown_names_raise_value_error"),
    "selu_at_or_after": ('if nonlinearity == "selu":', "==", ">=", "unknown_names_raise_value_error"),
    "tanh_at_or_after": ('if nonlinearity == "tanh":', "==", ">=", "unknown_names_raise_value_error"),
}


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_a_slip_that_only_shows_on_some_inputs_is_caught(name, tmp_path):
    line, old, new, check = SLIPS[name]
    report = grade_edited_reference(EXERCISE, line, line.replace(old, new), tmp_path, only=(check,))
    assert not report.passed, f"{name} passed"


def test_a_dict_lookup_of_the_mode_is_told_to_raise_value_error(tmp_path):
    source = package_file("reference", EXERCISE).read_text().replace(
        'fan = fan_in if mode == "fan_in" else fan_out', 'fan = {"fan_in": fan_in, "fan_out": fan_out}[mode]').replace(
        "    if mode not in (\"fan_in\", \"fan_out\"):\n", "    if False:\n")
    report = grade_source(EXERCISE, source, tmp_path, only=("unknown_names_raise_value_error",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "raised KeyError" in outcome.message and "ValueError" in outcome.message, explain(report)
