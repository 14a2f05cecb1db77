"""stage2/batchnorm beyond the generic tests: another correct style, torch's own kernel refused."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source, package_file

EXERCISE = "stage2/batchnorm"


def test_a_correct_solution_with_explicit_sums_passes_on_several_seeds(tmp_path):
    for seed in (None, 2, 7):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "batchnorm_by_hand_sums.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_torchs_own_batch_norm_is_refused_in_the_file_and_when_it_runs(tmp_path):
    wrapped = ("import torch\nfrom torch import nn\n\nclass BatchNorm1d(nn.BatchNorm1d):\n    pass\n")
    report = grade_source(EXERCISE, wrapped, tmp_path / "a")
    verdicts = {c.name: c.verdict for c in report.checks}
    assert verdicts["written_without_torchs_batch_norm"] == "failed" and verdicts["matches_nn_batchnorm1d_in_float64"] != "passed"
    hidden = package_file("reference", EXERCISE).read_text().replace(
        "        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)\n        return x_hat * self.weight.view(shape) + self.bias.view(shape)",
        "        return getattr(torch.nn.functional, 'batch' + '_norm')(x, self.running_mean, self.running_var, self.weight, self.bias, self.training, 0.0, self.eps)")
    report = grade_source(EXERCISE, hidden, tmp_path / "b", only=("matches_nn_batchnorm1d_in_float64",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "batch_norm" in outcome.message, explain(report)
