"""stage2/init beyond the generic tests: another correct style, and the false-alarm rate."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source, package_file

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
