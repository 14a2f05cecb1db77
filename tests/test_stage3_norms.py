"""stage3/norms beyond the generic tests: a chain-rule solution in another style passes."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage3/norms"


def test_a_step_by_step_chain_rule_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 3, 8):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "norms_step_by_step.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)
