"""stage3/flash_attention beyond the generic tests: another correct kernel passes on several seeds,
a missing triton is a "skipped" verdict that says how to install it (never a traceback), and the
GPU benchmark is skipped cleanly without CUDA."""

from __future__ import annotations

import pytest

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source, package_file, place_source
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


# Run in a fresh interpreter: which mode (compiled or interpreted) triton.language's own functions get
# depends on TRITON_INTERPRET when triton is first imported, and other tests in the same worker import
# triton first in their own mode.
BENCH_DRIVER_SCRIPT = """
import importlib.util, os, sys, types
import numpy as np
import torch.nn.functional as F
from mldojo.graders.bench.stage3_attention import _compare
from mldojo.graders.stage3 import attention_driver
from mldojo.graders.stage3 import flash_attention_bench_driver as bench_driver  # sets TRITON_INTERPRET=0 (compiled)
os.environ["TRITON_INTERPRET"] = "1"  # this process has no GPU: decorate the kernels interpreted
causal = sys.argv[1] == "True"
reference = open(sys.argv[2]).read()


def load(source, name):
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


workload = dict(shape=[1, 2, 40, 16], dtype="float32", device="cpu", causal=causal, backward=False, seed=7)
sdpa = types.SimpleNamespace(scaled_dot_product_attention=F.scaled_dot_product_attention)
want = attention_driver.bench_setup(sdpa, "baseline", guard_on=False, **workload)["sample"]
right = bench_driver.bench_setup(load(reference, "flash_right"), "right", **workload)
wrong = bench_driver.bench_setup(load(reference.replace("H, S, 1.0 / math.sqrt(D),", "H, S, 1.0,"), "flash_wrong"), "wrong", **workload)
assert right["problem"] is None and right["refused"] is None, right
assert _compare(right["sample"], want, "float32") == ""
assert "differs from F.scaled_dot_product_attention" in _compare(wrong["sample"], want, "float32")
mine = bench_driver.bench_run(load(reference, "flash_again"), "right", 11, repeats=2)
base = attention_driver.bench_run(sdpa, "baseline", 11, repeats=2)
assert np.allclose(mine["digests"], base["digests"], rtol=1e-4, atol=1e-4)
"""


@needs_triton
@pytest.mark.parametrize("causal", [False, True])
def test_the_bench_driver_times_the_kernel_on_the_attention_workload(causal):
    """The GPU benchmark's learner side (flash_attention_bench_driver) on a CPU-sized workload, with the
    kernel interpreted: its sample and digests equal SDPA's, and a missing scale is told apart."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "TRITON_INTERPRET"}
    result = subprocess.run([sys.executable, "-c", BENCH_DRIVER_SCRIPT, str(causal), str(package_file("reference", EXERCISE))],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_grade_without_triton_prints_the_install_line_and_records_a_skipped_attempt(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    from mldojo import cli
    from mldojo.graders.engine import runner
    from mldojo.tracker import summary
    from mldojo.tracker.store import Tracker

    made = subprocess.run([sys.executable, "-m", "mldojo.cli", "init", "course"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    monkeypatch.chdir(tmp_path / "course")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("MLDOJO_WORKSPACE", raising=False)
    monkeypatch.setattr(runner, "missing_requirements", lambda names: list(names))  # as on a machine without triton
    code = cli.main([EXERCISE])
    printed = capsys.readouterr()
    assert code == 1
    assert "triton is not installed" in printed.out and "pip install triton" in printed.out, printed.out
    assert "Traceback" not in printed.out + printed.err
    from mldojo.workspace import find_workspace

    with Tracker.open(find_workspace(tmp_path / "course").tracker_path) as tracker:
        assert tracker.latest_verdicts()[EXERCISE] == "skipped"
    # A skipped attempt decides nothing about the code: an earlier pass would still stand.
    records = summary.records_from_rows([(EXERCISE, "skipped", "2"), (EXERCISE, "passed", "1")])
    assert records[EXERCISE].decided_verdict == "passed"


@needs_triton
@pytest.mark.parametrize("unmasked, said", [
    (("out.to(Out.dtype.element_ty), mask=row_ok[:, None])", "out.to(Out.dtype.element_ty))"), "wrote"),
    (("v = tl.load(V + base + cols[:, None] * stride_s + dims[None, :], mask=col_ok[:, None], other=0.0)",
      "v = tl.load(V + base + cols[:, None] * stride_s + dims[None, :])"), "a tl.load past the end"),
])
def test_loads_and_stores_past_the_end_fail_the_same_way_every_time(unmasked, said, tmp_path):
    """The interpreter checks no bounds; the grader's guard zones after each tensor make the verdict certain."""
    reference = package_file("reference", EXERCISE).read_text()
    source = reference.replace(*unmasked)
    assert source != reference
    for attempt in ("first", "second"):
        report = grade_source(EXERCISE, source, tmp_path / attempt, only=("matches_sdpa_without_a_mask",))
        outcome = report.checks[0]
        assert outcome.verdict == R.FAILED and said in outcome.message, explain(report)


@needs_triton
def test_a_grid_of_b_plus_h_programs_is_caught(tmp_path):
    """Found by mutation testing: B + H equals or exceeds B * H whenever B or H is 1 (or both are 2)."""
    line = "grid = (triton.cdiv(S, block_m), B * H)"
    report = grade_edited_reference(EXERCISE, line, line.replace("B * H", "B + H"), tmp_path, only=("matches_sdpa_without_a_mask",))
    assert not report.passed, explain(report)
