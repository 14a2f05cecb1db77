"""stage3/flash_attention beyond the generic tests: another correct kernel passes on several seeds,
a missing triton is a "skipped" verdict that says how to install it (never a traceback), and the
GPU benchmark is skipped cleanly without CUDA."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_source, package_file, place_source
from mldojo.graders.engine import results as R
from mldojo.graders.engine.runner import GradeRequest, grade, missing_requirements

EXERCISE = "stage3/flash_attention"
needs_triton = pytest.mark.skipif(bool(missing_requirements(("triton",))), reason="triton is not installed: pip install triton")


@needs_triton
def test_an_exp2_style_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 3, 8):
        report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "flash_attention_exp2_style.py", tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


@needs_triton
def test_a_kernel_that_does_not_compile_gets_a_message_not_a_traceback(tmp_path):
    source = package_file("reference", EXERCISE).read_text().replace("tl.trans(k)", "tl.transpose_please(k)")
    report = grade_source(EXERCISE, source, tmp_path, only=("matches_sdpa_without_a_mask",))
    outcome = report.checks[0]
    assert outcome.verdict in (R.FAILED, R.ERROR), explain(report)
    assert "transpose_please" in outcome.message + outcome.traceback, explain(report)


def test_without_the_required_package_the_verdict_is_skipped_with_the_install_line(tmp_path):
    file = place_source(EXERCISE, package_file("reference", EXERCISE), tmp_path)
    report = grade(GradeRequest(EXERCISE, tmp_path, file, requires=("mldojo_no_such_package",)))
    assert report.verdict == R.SKIPPED
    assert "pip install mldojo_no_such_package" in report.problem
    assert "Traceback" not in report.problem and not report.checks


def test_a_skipped_grading_tells_the_learner_to_install_and_grade_again():
    from mldojo import render
    from mldojo.catalogue import load_catalogue

    report = R.GradeReport(EXERCISE, R.SKIPPED, problem="triton is not installed")
    steps = render.next_steps(report, load_catalogue().exercise(EXERCISE), (0, 5))
    assert steps == [f"install what the message above names, then run `grade {EXERCISE}` again"]


def test_no_stage_criterion_waits_for_the_optional_exercise():
    from mldojo.catalogue import load_catalogue

    catalogue = load_catalogue()
    stage = catalogue.stage("stage3")
    assert all(c.rule != "all-exercises-pass" for c in stage.criteria)
    assert all(EXERCISE not in c.exercises for c in stage.criteria)
    assert catalogue.exercise(EXERCISE).requires == ("triton",)


def test_the_gpu_benchmarks_are_skipped_without_cuda(tmp_path, monkeypatch):
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench import stage3_flash_attention

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    exercise = load_catalogue().exercise(EXERCISE)
    file = place_source(EXERCISE, package_file("reference", EXERCISE), tmp_path)
    for bench in exercise.benchmarks:
        outcome = stage3_flash_attention.measure(exercise, bench, file, tmp_path)
        assert outcome.status == "skipped" and "CUDA" in outcome.message
