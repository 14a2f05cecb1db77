"""A warm re-grade is exactly as strict as a cold one: after the reference passed (its checks are
then replayed, graders/engine/replay.py), each realistic wrong solution gets, check by check, the
report a cold grading gives it: the same verdicts, messages, counterexamples and diagnoses."""

from __future__ import annotations

import os

import pytest
from grading import grade_source, mutants, package_file

from mldojo.graders.engine import results as R
from mldojo.graders.engine import warm

# Mutants whose failing check comes after several that pass (those are replayed first); the
# exhaustive run (MLDOJO_EVERY_MUTANT=1) takes every mutant.
CHOSEN = {
    "stage1/linreg": ("gd_ignores_lr", "solve_singular_gram", "predict_forgets_intercept"),
    "stage2/micrograd": ("tanh_derivative_one_minus_t", "topological_order_not_reversed"),
    "stage3/attention": ("mha_ignores_batch_first", "causal_peeks_ahead_property"),
}


# Mutants whose answers depend on where objects land in memory (a set of nodes walked in id
# order): their counterexample changes from run to run, cold or warm; they must still fail warm.
UNSTABLE = {"stage2/micrograd": {"recursive_backward_without_topo"}}


def described(report):
    """What the learner is told, check by check."""
    return [(o.name, o.verdict, o.message, o.inputs, o.diagnosis) for o in report.checks]


def pick(exercise: str, every: bool):
    found = mutants(exercise)
    if every:
        return found
    named = [m for m in found if m.name in CHOSEN[exercise]]
    assert len(named) == len(CHOSEN[exercise]), "a chosen mutant was renamed"
    return named


def cold_reports(exercise: str, chosen, tmp_path) -> dict:
    """Each mutant's cold report; None for a mutant whose cold reports differ between two runs
    (its answers depend on where objects land in memory: a set of nodes walked in id order)."""
    found = {}
    for mutant in chosen:
        if mutant.name in UNSTABLE.get(exercise, ()):
            found[mutant.name] = None
            continue
        first, second = (described(grade_source(exercise, mutant.source, tmp_path / f"cold{i}")) for i in (1, 2))
        found[mutant.name] = first if first == second else None
    return found


def compare(exercise: str, tmp_path, every: bool) -> None:
    chosen = pick(exercise, every)
    assert chosen
    cold = cold_reports(exercise, chosen, tmp_path)
    assert any(report is not None for report in cold.values())
    reference = package_file("reference", exercise)
    with warm.warm_processes() as pool:
        assert grade_source(exercise, reference, tmp_path / "warm").verdict == R.PASSED
        for mutant in chosen:
            before = pool.replays.replayed
            assert grade_source(exercise, reference, tmp_path / "warm").verdict == R.PASSED
            assert pool.replays.replayed > before, "the reference's checks are replayed"
            report = grade_source(exercise, mutant.source, tmp_path / "warm")
            assert report.verdict != R.PASSED, f"{mutant} passed a warm re-grade"
            if cold[mutant.name] is not None:
                assert described(report) == cold[mutant.name], f"{mutant}: warm and cold reports differ"


@pytest.mark.parametrize("exercise", sorted(CHOSEN))
def test_a_warm_regrade_reports_a_mutant_as_a_cold_one_does(exercise, tmp_path):
    compare(exercise, tmp_path, every=False)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("MLDOJO_EVERY_MUTANT"),
                    reason="every mutant graded three times (about 10 min on 2 cores): set MLDOJO_EVERY_MUTANT=1 to run it")
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("exercise", sorted(CHOSEN))
def test_every_mutant_gets_the_same_report_warm_and_cold(exercise, tmp_path):
    compare(exercise, tmp_path, every=True)
