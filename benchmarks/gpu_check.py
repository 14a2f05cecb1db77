"""Every GPU measurement the catalogue declares, with the references in the learner's place.

Usage:  python benchmarks/gpu_check.py OUT_DIR      (benchmarks/gpu_check.sh OUT_DIR wraps it)

For each benchmark with device = "cuda" (attention forward + backward in bf16 against SDPA,
causal and not, with TFLOP/s and peak memory; stage3/mnist_torch's time to 98 % with the data
on the device; any later one), runs the exercise's reference through the same harness as
`grade bench` (sandboxed processes, the judge's clock, fresh seeds checked against the
baseline), prints one table and writes it as OUT_DIR/gpu_check.json. Nothing is recorded in a
tracker. Without a CUDA GPU it says so in one line and exits 0. Meant to finish within
8 minutes on one GPU: one training run, the catalogue's warm-up and repeats otherwise.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path


def cuda_devices() -> str | None:
    """The GPU's name when torch sees one, else None."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def gpu_benchmarks():
    """(exercise, benchmark) for every benchmark the catalogue declares on CUDA."""
    from mldojo.catalogue import load_catalogue

    for exercise in load_catalogue().exercises:
        for bench in exercise.benchmarks:
            if bench.device == "cuda":
                yield exercise, bench


def measure_one(exercise, bench, root: Path) -> dict:
    """Run one benchmark on the reference; a JSON-ready row."""
    from mldojo.graders.bench.runner import workload_module_name
    from mldojo.workspace import reference_path

    learner_file = root / (exercise.id + ".py")
    learner_file.parent.mkdir(parents=True, exist_ok=True)
    learner_file.write_text(reference_path(exercise.id).read_text())
    started = time.perf_counter()
    workload = importlib.import_module(workload_module_name(exercise.id))
    outcome = workload.measure(exercise, bench, learner_file, root)
    row = {"exercise": exercise.id, "benchmark": bench.id, "title": bench.title, "status": outcome.status,
           "message": outcome.message, "wall_s": round(time.perf_counter() - started, 1)}
    if outcome.status == "measured":
        row["reference_median_s"] = outcome.learner.timing.median
        row["reference_tflops"] = outcome.learner.tflops
        row["reference_peak_bytes"] = outcome.learner.peak_bytes
        if outcome.baseline is not None:
            row["baseline_median_s"] = outcome.baseline.timing.median
            row["baseline_tflops"] = outcome.baseline.tflops
            row["baseline_peak_bytes"] = outcome.baseline.peak_bytes
            row["ratio"] = outcome.verdict.ratio
        row["target_ratio"], row["target_s"] = bench.target_ratio, bench.target_s
        row["met_target"] = outcome.verdict.met_target if outcome.verdict else None
        row["environment"] = outcome.environment
    return row


def table(rows: list[dict]) -> str:
    """The rows as a fixed-width table."""
    lines = [f"{'benchmark':<40} {'status':<9} {'reference':>11} {'baseline':>11} {'ratio':>7} {'TFLOP/s':>8} {'peak MiB':>9}  target"]
    for row in rows:
        name = f"{row['exercise']}:{row['benchmark']}"
        if row["status"] != "measured":
            lines.append(f"{name:<40} {row['status']:<9} {row['message'][:80]}")
            continue
        ms = lambda s: f"{s * 1e3:.3g} ms" if s is not None and s < 1 else (f"{s:.2f} s" if s is not None else "—")  # noqa: E731
        peak = row.get("reference_peak_bytes")
        tflops = row.get("reference_tflops")
        ratio = row.get("ratio")
        target = f"≤ {row['target_ratio']:g}x" if row.get("target_ratio") else (f"≤ {row['target_s']:g} s" if row.get("target_s") else "—")
        met = {True: "met", False: "missed", None: ""}[row.get("met_target")]
        lines.append(f"{name:<40} {'measured':<9} {ms(row.get('reference_median_s')):>11} {ms(row.get('baseline_median_s')):>11} "
                     f"{(f'{ratio:.2f}x' if ratio else '—'):>7} {(f'{tflops:.1f}' if tflops else '—'):>8} "
                     f"{(f'{peak / 2**20:.0f}' if peak else '—'):>9}  {target} {met}")
    return "\n".join(lines)


def main() -> int:
    """Measure, print, write the JSON; 0 also when there is no GPU."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    gpu = cuda_devices()
    if gpu is None:
        print("gpu_check: no CUDA GPU visible to torch on this machine; nothing to measure.")
        return 0
    from mldojo.graders.engine import sandbox

    status = sandbox.status()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mldojo-gpu-check-") as folder:
        for exercise, bench in gpu_benchmarks():
            print(f"measuring {exercise.id}:{bench.id} …", flush=True)
            rows.append(measure_one(exercise, bench, Path(folder)))
    report = {"gpu": gpu, "host": platform.node(), "sandbox": status.label, "sandbox_reason": status.reason,
              "total_s": round(time.perf_counter() - started, 1), "rows": rows}
    print(f"\nGPU: {gpu}; learner processes {status.label}{' (' + status.reason + ')' if status.reason else ''}; "
          f"{report['total_s']} s in all")
    print(table(rows))
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"written: {out / 'gpu_check.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
