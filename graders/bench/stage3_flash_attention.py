"""The stage3/flash_attention benchmarks: the learner's compiled Triton kernel against
F.scaled_dot_product_attention, forward only, on a CUDA GPU.

Everything but the driver is stage3/attention's benchmark (graders/bench/stage3_attention.py):
the baseline runs torch's SDPA in its own sandboxed process, the two are timed in turns with
the other side frozen, each timed call carries a seed the judge draws, and the learner's digests
must match SDPA's before any time counts. The learner's side is started with
flash_attention_bench_driver instead of the grading driver, so its kernel is compiled, not
interpreted. Throughput is FLOPs / time on both sides, so "at least 50 % of SDPA's throughput"
is a time ratio of at most 2 (catalogue: target_ratio).
"""

from __future__ import annotations

from pathlib import Path

from mldojo.graders.bench import environment
from mldojo.graders.bench import stage3_attention as attention
from mldojo.graders.bench.harness import UNCAPPED_MB, BenchError, BenchOutcome, TimedProcess, calibrate_inner, cuda_available
from mldojo.graders.bench.stats import attention_flops, judge_ratio

BENCH_DRIVER = "mldojo.graders.stage3.flash_attention_bench_driver"


def measure(exercise, bench, learner_file: Path, root: Path, warmup: int | None = None, repeats: int | None = None,
            on_progress=None) -> BenchOutcome:
    """Time the learner's kernel and SDPA on the benchmark's workload; never raises BenchError."""
    if bench.device != "cuda" or not cuda_available():
        return BenchOutcome(bench, "skipped", "needs a CUDA GPU: torch sees none on this machine (a Triton kernel only runs "
                            f"compiled on one). Run `grade bench {exercise.id}` on a machine with one; nothing was recorded.")
    from mldojo.graders.engine.runner import missing_requirements

    missing = missing_requirements(exercise.requires)
    if missing:
        return BenchOutcome(bench, "skipped", f"{', '.join(missing)} is not installed: pip install {' '.join(missing)} "
                            "(CUDA builds of torch usually bring triton along); nothing was recorded.")
    warmup = bench.warmup if warmup is None else warmup
    repeats = bench.repeats if repeats is None else repeats
    workload = dict(name=bench.id, shape=list(bench.shape), dtype=bench.dtype, device=bench.device,
                    causal=bench.causal, backward=False, seed=attention.SEED, threads=bench.threads)
    try:
        with TimedProcess(exercise.id, None, None, bench.time_limit_s, UNCAPPED_MB, import_name=attention.BASELINE_MODULE,
                          drivers=()) as base:
            reference = attention._setup(base, workload, guard_on=False, who="the baseline")
            inner = calibrate_inner(lambda: attention._run(base, bench.id, 1, attention._fresh_seed()))
            base.pause()  # frozen while the learner's module is imported and its kernel compiled
            with TimedProcess(exercise.id, root, learner_file, bench.time_limit_s, UNCAPPED_MB, exercise.forbid,
                              drivers=(BENCH_DRIVER,)) as mine:
                mine.driver = BENCH_DRIVER + ":"
                sample = attention._setup(mine, workload, guard_on=True, who="your kernel")
                mismatch = attention._compare(sample, reference, bench.dtype)
                if mismatch:
                    return BenchOutcome(bench, "failed", mismatch + f"\n  Make `grade {exercise.id}` pass first; nothing was recorded.")
                learner, baseline, seen = attention._time_both(mine, base, bench, inner, warmup, repeats)
    except BenchError as exc:
        return BenchOutcome(bench, "failed", str(exc))
    flops = attention_flops(tuple(bench.shape), bench.causal, False)
    for side in (learner, baseline):
        side.tflops = flops / side.timing.median / 1e12
    verdict = judge_ratio(learner.timing.median, baseline.timing.median, bench.target_ratio, bench.gold_ratio)
    details = {"learner": learner.to_dict(), "baseline": baseline.to_dict(), "flops": flops, "workload": workload,
               "spread": "interquartile range (q3 - q1) of the per-run times", "gold": verdict.gold,
               "throughput_vs_sdpa": baseline.timing.median / learner.timing.median}
    return BenchOutcome(bench, "measured", learner=learner, baseline=baseline, verdict=verdict,
                        environment=environment.stamp(bench.device, bench.dtype, seen), details=details)
