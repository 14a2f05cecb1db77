"""stage2/layers beyond the generic tests: a solution in another style passes on several seeds."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage2/layers"


def test_a_staged_graph_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 5, 11):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "layers_staged_graph.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)
