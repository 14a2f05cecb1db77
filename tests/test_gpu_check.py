"""benchmarks/gpu_check.sh: one prepared script for every GPU measurement the catalogue declares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_without_a_gpu_it_says_so_in_one_line_and_exits_0(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHON": sys.executable}
    result = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_check.sh"), str(tmp_path)], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().count("\n") == 0 and "no CUDA GPU" in result.stdout
    assert not list(tmp_path.iterdir())


def test_it_covers_every_gpu_benchmark_of_the_catalogue():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.pop(0)
    found = {(e.id, b.id) for e, b in gpu_check.gpu_benchmarks()}
    assert {("stage3/attention", "cuda-fwd-bwd"), ("stage3/attention", "cuda-fwd-bwd-causal"),
            ("stage3/mnist_torch", "cuda-time-to-98")} <= found


@pytest.mark.skipif(not os.path.exists("/dev/nvidiactl"), reason="needs a CUDA GPU")
def test_on_a_gpu_it_writes_the_table_as_json(tmp_path):
    result = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_check.sh"), str(tmp_path)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0 and (tmp_path / "gpu_check.json").exists(), result.stdout + result.stderr
