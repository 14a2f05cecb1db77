"""stage3/positional beyond the generic tests: loops and complex numbers pass too."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage3/positional"


def test_a_solution_with_loops_and_complex_rotations_passes_on_several_seeds(tmp_path):
    for seed in (None, 5, 12):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "positional_loops.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)
