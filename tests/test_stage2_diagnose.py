"""stage2/diagnose beyond the generic tests: another correct style, the broken networks really broken."""

from __future__ import annotations

import numpy as np
from grading import SOLUTIONS, explain, grade_source

from mldojo.graders.stage2 import diagnose as grader
from mldojo.graders.stage2 import diagnose_driver as driver

EXERCISE = "stage2/diagnose"


def test_a_correct_solution_written_by_hand_passes_on_several_seeds(tmp_path):
    for seed in (None, 3, 8):
        report = grade_source(EXERCISE, SOLUTIONS / "stage2" / "diagnose_by_hand.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_each_broken_network_shows_its_signature_on_many_seeds():
    """The properties the network checks state hold for the judge's own numbers well beyond the 20 seeds of the sweep."""
    for seed in range(40):
        for depth in (4, 5, 6):
            runs = {kind: driver.run(grader.Stats(), grader.net(kind, seed, depth), grader.STEPS[kind]) for kind in grader.NETS}
            arrays = {kind: grader._history_arrays(history) for kind, history in runs.items()}
            dead, _, update = arrays["healthy"]
            assert dead.max() < 0.5 and -3 < update.min() and update.max() < 0, (seed, depth)
            dead, grad, update = arrays["dead"]
            assert np.all(dead[:, -1] == 1) and np.all(grad == 0) and np.all(np.isneginf(update)), (seed, depth)
            _, grad, update = arrays["vanishing"]
            assert grad.max() < 0.01 and update.max() < -3, (seed, depth)
            _, _, update = arrays["exploding"]
            assert update[0].min() > -1 and runs["exploding"]["loss"][1] > runs["exploding"]["loss"][0], (seed, depth)


def test_a_ratio_function_that_changes_the_model_is_named(tmp_path):
    source = (SOLUTIONS / "stage2" / "diagnose_by_hand.py").read_text().replace(
        "    return {name: _std(p.grad) / _std(p) for name, p in _weights(model)}",
        "    for _, p in _weights(model):\n        p.grad.zero_()\n    return {name: 0.0 for name, p in _weights(model)}")
    report = grade_source(EXERCISE, source, tmp_path, only=("gradient_to_data_ratios_one_per_weight_matrix",))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "should only measure" in outcome.message, explain(report)
