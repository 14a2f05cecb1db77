"""`grade bench`: statistics and ratio logic, the environment stamp, the catalogue's
benchmark entries, and whole runs of `grade bench` as a learner types it (CPU only; the
CUDA benchmarks must skip cleanly and record nothing). No test asserts an absolute time."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading import package_file
from mldojo.catalogue import CatalogueError, load_catalogue, parse_catalogue
from mldojo.graders.bench import environment
from mldojo.graders.bench.harness import calibrate_inner, per_run, time_calls
from mldojo.graders.bench.stats import attention_flops, judge_ratio, summarize

GRADE = [sys.executable, "-m", "mldojo.cli"]
EXERCISE = "stage3/attention"
CPU_BENCH = "cpu-fwd-bwd"


# -- statistics ----------------------------------------------------------------------------------
def test_median_quartiles_and_extremes():
    timing = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (timing.median, timing.q1, timing.q3, timing.minimum, timing.maximum, timing.n) == (3.0, 2.0, 4.0, 1.0, 5.0, 5)
    assert timing.iqr == 2.0


def test_one_slow_outlier_moves_neither_the_median_nor_the_spread_much():
    steady = summarize([1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0])
    interrupted = summarize([1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 30.0])
    assert interrupted.median == pytest.approx(steady.median, rel=0.02)
    assert interrupted.iqr < 0.05 and interrupted.maximum == 30.0


def test_a_single_sample_has_no_spread():
    timing = summarize([0.5])
    assert timing.median == 0.5 and timing.iqr == 0.0
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.parametrize("learner, baseline, met, gold", [
    (1.0, 1.0, True, True),  # as fast as the baseline
    (1.5, 1.0, True, True),  # exactly gold
    (2.9, 1.0, True, False),
    (3.0, 1.0, True, False),  # exactly the target
    (3.1, 1.0, False, False),
    (0.5, 1.0, True, True),  # faster than the baseline
])
def test_the_ratio_against_target_and_gold(learner, baseline, met, gold):
    verdict = judge_ratio(learner, baseline, target_ratio=3.0, gold_ratio=1.5)
    assert verdict.ratio == pytest.approx(learner / baseline)
    assert (verdict.met_target, verdict.gold) == (met, gold)


def test_no_baseline_or_no_target_gives_no_decision():
    assert judge_ratio(1.0, None, 3.0, 1.5).ratio is None
    assert judge_ratio(2.0, 1.0, None, None).met_target is None
    assert "target (at most 3x) not met" in judge_ratio(4.0, 1.0, 3.0, 1.5).words(3.0, 1.5)


def test_the_timing_loop_warms_up_untimed_then_times_each_call():
    calls = []
    samples, replies = time_calls(lambda: calls.append(len(calls)) or len(calls), warmup=2, repeats=5)
    assert len(calls) == 7 and len(samples) == 5 and replies == [3, 4, 5, 6, 7]
    assert all(s >= 0 for s in samples)


def test_a_slower_workload_gets_fewer_runs_per_timed_call():
    slow = calibrate_inner(lambda: time.sleep(0.005))  # each run takes at least 5 ms
    fast = calibrate_inner(lambda: None)
    assert 1 <= slow <= 4  # 20 ms per call at most needs 4 runs of >= 5 ms
    assert fast >= slow
    assert per_run([0.4, 0.2, 0.6], inner=2).median == pytest.approx(0.2)


def test_a_paused_side_runs_nothing_until_resumed_not_even_a_setsid_grandchild(tmp_path):
    """pause() freezes every process of the side: a learner's busy thread, and a grandchild that
    left the process group with setsid (it escaped a process-group freeze before the sandbox)."""
    from mldojo.graders.bench.harness import TimedProcess

    module = tmp_path / "stage3" / "attention.py"
    module.parent.mkdir()
    module.write_text(
        "import os, threading\n"
        "def spin():\n    while True:\n        pass\n"
        "threading.Thread(target=spin, daemon=True).start()\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        spin()\n    os._exit(0)\n")
    with TimedProcess(EXERCISE, tmp_path, module, seconds=60, memory_mb=2048) as process:
        deadline = time.monotonic() + 30
        while process.cpu_seconds() < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.pause()
        frozen = process.cpu_seconds()
        time.sleep(0.5)
        assert process.cpu_seconds() - frozen <= 0.03, "a paused process kept running"
        process.resume()
        deadline = time.monotonic() + 30  # a busy machine gives the resumed processes their share slowly
        while process.cpu_seconds() - frozen < 0.1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.cpu_seconds() - frozen >= 0.1, "the resumed processes did not run again"


def test_attention_flops_follow_the_stated_formula():
    B, H, S, D = 8, 16, 1024, 64
    forward = 4 * B * H * S * S * D
    assert attention_flops((B, H, S, D), causal=False, backward=False) == forward
    assert attention_flops((B, H, S, D), causal=False, backward=True) == forward * 3.5
    assert attention_flops((B, H, S, D), causal=True, backward=True) == forward * 3.5 / 2


# -- the attention workload, in this process (the driver is plain trusted code) ------------------------
def _module(source: str):
    import types

    module = types.ModuleType("learner_attention")
    exec(compile(source, "attention.py", "exec"), module.__dict__)  # test-only: our own reference and a variant
    return module


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("causal", [False, True])
def test_the_reference_matches_sdpa_on_a_benchmark_input_and_a_wrong_scale_does_not(dtype, causal):
    import types

    import torch.nn.functional as F

    from mldojo.graders.bench.stage3_attention import _compare
    from mldojo.graders.stage3 import attention_driver as driver

    workload = dict(shape=[1, 2, 128, 32], dtype=dtype, device="cpu", causal=causal, backward=True, seed=7)
    sdpa = types.SimpleNamespace(scaled_dot_product_attention=F.scaled_dot_product_attention)
    want = driver.bench_setup(sdpa, "baseline", guard_on=False, **workload)["sample"]
    right = driver.bench_setup(_module(REFERENCE), "right", **workload)["sample"]
    wrong = driver.bench_setup(_module(REFERENCE.replace("/ math.sqrt(q.size(-1))", "/ q.size(-1)", 1)), "wrong", **workload)["sample"]
    assert set(want) == {"out", "dq", "dk", "dv"}
    assert _compare(right, want, dtype) == ""
    assert "differs from F.scaled_dot_product_attention" in _compare(wrong, want, dtype)


# -- environment stamp ------------------------------------------------------------------------------
def test_the_cpu_model_and_driver_version_come_from_proc(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n")
    assert environment.cpu_model(cpuinfo) == "AMD EPYC 9654 96-Core Processor"
    version = tmp_path / "version"
    version.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version: gcc 12\n")
    assert environment.nvidia_driver(version) == "550.54.15"
    assert environment.nvidia_driver(tmp_path / "missing") is None


def test_the_stamp_names_what_the_numbers_depend_on():
    info = environment.stamp("cpu", "float32", {"threads": 1})
    for key in ("cpu", "cpu_count", "torch", "dtype", "threads"):
        assert info[key] not in (None, ""), key
    assert "float32" in environment.describe(info)


# -- the catalogue's benchmark entries ----------------------------------------------------------------
def test_attention_declares_cpu_and_cuda_benchmarks_with_the_issue_targets():
    benches = {b.id: b for b in load_catalogue().exercise(EXERCISE).benchmarks}
    assert benches[CPU_BENCH].device == "cpu"
    for bench_id, causal in (("cuda-fwd-bwd", False), ("cuda-fwd-bwd-causal", True)):
        bench = benches[bench_id]
        assert (bench.device, bench.dtype, bench.shape, bench.causal, bench.backward) == ("cuda", "bfloat16", (8, 16, 1024, 64), causal, True)
        assert (bench.target_ratio, bench.gold_ratio) == (3.0, 1.5)


def _catalogue_with(benchmark: dict) -> dict:
    return {
        "format": 1,
        "stage": [{"id": "stage3", "title": "t", "summary": "s"}],
        "exercise": [{"id": "stage3/x", "title": "t", "summary": "s", "hints": ["a", "b"], "benchmark": [benchmark]}],
    }


@pytest.mark.parametrize("change, words", [
    ({"dtype": "float8"}, "dtype must be one of"),
    ({"gold_ratio": 4.0}, "must not exceed target_ratio"),
    ({"shape": [8, 0, 4]}, "shape must be a list of positive integers"),
    ({"repeats": 0}, "repeats must be an integer between 1"),
    ({"threads": 0}, "threads must be an integer"),
    ({"device": "tpu"}, "device must be 'cpu' or 'cuda'"),
])
def test_a_wrong_benchmark_entry_is_named_with_the_fix(change, words):
    entry = {"id": "b", "title": "t", "device": "cpu", "target": "fast", "target_ratio": 3.0, "gold_ratio": 1.5, **change}
    with pytest.raises(CatalogueError, match=words):
        parse_catalogue(_catalogue_with(entry))


# -- whole runs, as a learner types them ---------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench") / "ws"
    subprocess.run([*GRADE, "init", str(root)], check=True, capture_output=True)
    return root


def grade(workspace: Path, *args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*GRADE, *args], cwd=workspace, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "120", **(env or {})})


def recorded(workspace: Path) -> list[dict]:
    path = workspace / ".mldojo" / "tracker.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("select * from benchmark_result order by id")]


def put(workspace: Path, source: str) -> None:
    (workspace / "stage3" / "attention.py").write_text(source)


REFERENCE = package_file("reference", EXERCISE).read_text()
SLOW = REFERENCE.replace('    L, S = q.size(-2), k.size(-2)\n', '    import time\n    time.sleep(0.25)  # deliberately slow\n    L, S = q.size(-2), k.size(-2)\n', 1)
SHORT = ["--only", CPU_BENCH, "--warmup", "1", "--repeats", "3"]


def test_cuda_benchmarks_skip_without_a_gpu_and_record_nothing(workspace):
    put(workspace, REFERENCE)
    before = len(recorded(workspace))
    result = grade(workspace, "bench", EXERCISE, "--only", "cuda-fwd-bwd", env={"CUDA_VISIBLE_DEVICES": ""})
    assert "needs a CUDA GPU" in result.stdout and "nothing was recorded" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 1
    assert len(recorded(workspace)) == before


def test_the_gpu_training_benchmark_skips_without_a_gpu_and_records_nothing(workspace):
    (workspace / "stage3" / "mnist_torch.py").write_text(package_file("reference", "stage3/mnist_torch").read_text())
    before = len(recorded(workspace))
    result = grade(workspace, "bench", "stage3/mnist_torch", "--only", "cuda-time-to-98", env={"CUDA_VISIBLE_DEVICES": ""})
    assert "needs a CUDA GPU" in result.stdout and result.returncode == 1, result.stdout + result.stderr
    assert len(recorded(workspace)) == before


@pytest.mark.parametrize("source, words", [
    (None, "is still the stub"),
    ("def scaled_dot_product_attention(q, k, v)\n    return q\n", "has a syntax error (line 1"),
])
def test_a_file_that_cannot_run_is_answered_from_the_file_without_starting_anything(workspace, source, words):
    # No learner process, no baseline, no torch import: the answer is read from the file.
    put(workspace, package_file("exercises", EXERCISE).read_text() if source is None else source)
    before = len(recorded(workspace))
    result = grade(workspace, "bench", EXERCISE, "--only", CPU_BENCH, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 1 and words in result.stdout and "not measured" in result.stdout, result.stdout + result.stderr
    assert "| torch\n" not in result.stderr  # -X importtime: torch was never imported
    assert len(recorded(workspace)) == before


def test_the_mnist_benchmarks_are_declared_with_their_wall_time_targets():
    catalogue = load_catalogue()
    torch_benches = {b.id: b for b in catalogue.exercise("stage3/mnist_torch").benchmarks}
    assert (torch_benches["cuda-time-to-98"].device, torch_benches["cuda-time-to-98"].target_s) == ("cuda", 5.0)
    assert (torch_benches["cpu-time-to-98"].device, torch_benches["cpu-time-to-98"].target_s) == ("cpu", 60.0)
    (mlp,) = catalogue.exercise("stage2/mlp").benchmarks
    assert mlp.device == "cpu" and mlp.target_s is None and mlp.target_ratio is None  # recorded, no target


@pytest.mark.slow
def test_a_slow_attention_gets_a_larger_ratio_than_the_reference_and_misses_the_target(workspace):
    put(workspace, REFERENCE)
    fast = grade(workspace, "bench", EXERCISE, *SHORT)
    assert "F.scaled_dot_product_attention" in fast.stdout, fast.stdout + fast.stderr
    put(workspace, SLOW)
    slow = grade(workspace, "bench", EXERCISE, *SHORT)
    assert "target (at most 3x) not met" in slow.stdout, slow.stdout + slow.stderr
    assert slow.returncode == 1
    rows = [r for r in recorded(workspace) if r["benchmark_id"] == CPU_BENCH]
    fast_row, slow_row = rows[-2], rows[-1]
    assert slow_row["ratio"] > fast_row["ratio"]
    assert slow_row["median_s"] > fast_row["median_s"]
    for row in (fast_row, slow_row):
        assert bool(row["met_target"]) == (row["ratio"] <= row["target_ratio"])
        assert row["ratio"] == pytest.approx(row["median_s"] / row["baseline_s"])
        assert row["spread_s"] >= 0
        details, env = json.loads(row["details"]), json.loads(row["environment"])
        assert details["gold"] == (row["ratio"] <= row["gold_ratio"])
        assert details["learner"]["timing"]["n"] == 3 and details["baseline"]["timing"]["n"] == 3
        assert env["dtype"] == "float32" and env["threads"] == 1 and env["cpu"]
    assert fast.returncode == (0 if fast_row["met_target"] else 1)

    status = grade(workspace, "status")
    assert CPU_BENCH in status.stdout and f"{slow_row['ratio']:.2f}x" in status.stdout, status.stdout
    history = grade(workspace, "history", EXERCISE)
    assert history.stdout.count(CPU_BENCH) >= 2 and "2 benchmark results" in history.stdout, history.stdout


@pytest.mark.slow
def test_a_wrong_or_borrowed_attention_is_never_timed(workspace):
    before = len(recorded(workspace))
    put(workspace, REFERENCE.replace("/ math.sqrt(q.size(-1))", "/ q.size(-1)", 1))
    wrong = grade(workspace, "bench", EXERCISE, *SHORT)
    assert "differs from F.scaled_dot_product_attention" in wrong.stdout and wrong.returncode == 1, wrong.stdout + wrong.stderr
    put(workspace, "import torch.nn.functional as F\n\ndef scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):\n"
                   "    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)\n")
    borrowed = grade(workspace, "bench", EXERCISE, *SHORT)
    assert "torch's own attention" in borrowed.stdout and borrowed.returncode == 1, borrowed.stdout + borrowed.stderr
    assert len(recorded(workspace)) == before


def test_usage_mistakes_exit_2(workspace):
    assert grade(workspace, "bench", "stage1/linreg").returncode == 2
    unknown = grade(workspace, "bench", EXERCISE, "--only", "nope")
    assert unknown.returncode == 2 and CPU_BENCH in unknown.stdout + unknown.stderr
    listed = grade(workspace, "bench", EXERCISE, "--list")
    assert listed.returncode == 0 and "cuda-fwd-bwd-causal" in listed.stdout
