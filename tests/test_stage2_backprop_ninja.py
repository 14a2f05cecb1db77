"""stage2/backprop_ninja beyond the generic tests: a step-by-step solution in another style passes, and
autograd is refused where the learner's file asks for it."""

from __future__ import annotations

from grading import SOLUTIONS, explain, grade_source

EXERCISE = "stage2/backprop_ninja"
STEP_BY_STEP = SOLUTIONS / "stage2" / "backprop_ninja_step_by_step.py"


def test_a_step_by_step_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 3, 8):
        report = grade_source(EXERCISE, STEP_BY_STEP, tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def test_a_solution_that_asks_autograd_is_refused(tmp_path):
    source = STEP_BY_STEP.read_text(encoding="utf-8") + '''

def backward(params, cache):
    """Autograd instead of the chain rule by hand."""
    with torch.enable_grad():
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        loss, _ = forward(leaves, cache["Xb"], cache["Yb"])
        loss.backward()
    return {k: v.grad for k, v in leaves.items()}
'''
    path = tmp_path / "cheat.py"
    path.write_text(source, encoding="utf-8")
    report = grade_source(EXERCISE, path, tmp_path / "w", only=("written_without_autograd",))
    by_name = {c.name: c for c in report.checks}
    assert by_name["written_without_autograd"].verdict == "failed", explain(report)
    assert ".backward" in by_name["written_without_autograd"].message, explain(report)
