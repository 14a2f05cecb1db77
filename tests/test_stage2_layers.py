"""stage2/layers beyond the generic tests: a solution in another style passes on several seeds."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source

EXERCISE = "stage2/layers"


def test_a_staged_graph_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 5, 11):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "layers_staged_graph.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


# Found by mutation testing: slips that only show from a net's third hidden layer on, and a
# changed default written as arithmetic.
SLIPS = {
    "caches_by_half_the_index": ("affine_cache, norm_cache, relu_cache, drop_cache = caches[i - 1]", "[i - 1]", "[i >> 1]",
                                 "net_loss_and_gradients_match_autograd_and_central_differences"),
    "bn_params_by_half_the_index": ('h, norm_cache = batchnorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"], '
                                    'self.bn_params[i - 1])', "[i - 1]", "[i >> 1]",
                                    "net_scores_in_test_mode_follow_the_layers"),
    "input_dim_default_changed": ("input_dim=3 * 32 * 32", "3 * 32", "4 * 32", "keeps_the_stubs_stated_defaults"),
}


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_a_slip_found_by_mutation_fails_its_check(name, tmp_path):
    line, old, new, check = SLIPS[name]
    report = grade_edited_reference(EXERCISE, line, line.replace(old, new), tmp_path)
    failed = [outcome.name for outcome in report.checks if outcome.verdict != "passed"]
    assert check in failed, explain(report)
