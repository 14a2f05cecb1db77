"""The stage3/attention benchmarks: the learner's attention against F.scaled_dot_product_attention.

Both run the same driver (attention_driver.bench_setup / bench_run) with the same number of
runs per timed call: the only difference is the function called. The baseline runs in its
own sandboxed process (graders/stage3/attention_baseline.py re-exports torch's SDPA), never in
the learner's. The two are timed in turns, and whichever is not being timed is frozen with
SIGSTOP (every process of its sandbox, threads and children included): the learner's code
cannot run while the baseline is timed, so it cannot slow it down, and a load that comes and
goes on a shared machine falls on both sides alike.

What is timed is decided here, not in the learner's process: each timed call carries a seed
drawn by the judge (secrets), from which every run derives fresh inputs, and it answers with a
digest of each run's output and gradients. The baseline gets the same seed in the same turn; a
learner digest that differs from the baseline's fails the benchmark before any time counts.
The judge also reads, from /proc, the CPU time the learner's side used in each timed call: on a
benchmark declared for one thread, keeping more cores busy is refused. The learner's output
and gradients on the base input must match the baseline's before timing starts.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import numpy as np

from mldojo.graders.bench import environment
from mldojo.graders.bench.harness import (
    UNCAPPED_MB,
    BenchError,
    BenchOutcome,
    Side,
    TimedProcess,
    alone,
    calibrate_inner,
    cuda_available,
    per_run,
)
from mldojo.graders.bench.stats import attention_flops, judge_ratio

DRIVER = "mldojo.graders.stage3.attention_driver:"
BASELINE_MODULE = "mldojo.graders.stage3.attention_baseline"
BASELINE_LABEL = "F.scaled_dot_product_attention"
SEED = 1234
# CPU seconds per wall second a side may use on a benchmark declared for `threads` threads
# (the extra half absorbs the driver's own bookkeeping and clock-tick rounding).
THREAD_SLACK = 0.5
# Relative error ||got - want|| / ||want|| allowed between the learner's sample and SDPA's.
SAMPLE_TOLERANCE = {"float64": 1e-9, "float32": 1e-4, "float16": 3e-2, "bfloat16": 3e-2}  # bf16: the reference is ~6e-3 off SDPA


def measure(exercise, bench, learner_file: Path, root: Path, warmup: int | None = None, repeats: int | None = None,
            on_progress=None) -> BenchOutcome:
    """Time the learner's attention and SDPA on the benchmark's workload; never raises BenchError."""
    if bench.device == "cuda" and not cuda_available():
        return BenchOutcome(bench, "skipped", "needs a CUDA GPU: torch sees none on this machine. Run "
                            f"`grade bench {exercise.id}` on a machine with one; nothing was recorded.")
    from mldojo.graders.stage3.attention import torch_attention_in_source

    hits = torch_attention_in_source(learner_file)
    if hits:
        return BenchOutcome(bench, "failed", "your file uses torch's own attention, which is refused:\n  " + "\n  ".join(hits))
    warmup = bench.warmup if warmup is None else warmup
    repeats = bench.repeats if repeats is None else repeats
    memory_mb = UNCAPPED_MB if bench.device == "cuda" else exercise.memory_limit_mb
    workload = dict(name=bench.id, shape=list(bench.shape), dtype=bench.dtype, device=bench.device,
                    causal=bench.causal, backward=bench.backward, seed=SEED, threads=bench.threads)
    try:
        with TimedProcess(exercise.id, None, None, bench.time_limit_s, memory_mb, import_name=BASELINE_MODULE) as base:
            reference = _setup(base, workload, guard_on=False, who="the baseline")
            inner = calibrate_inner(lambda: _run(base, bench.id, 1, _fresh_seed()))
            base.pause()  # frozen while the learner's module is imported and checked
            with TimedProcess(exercise.id, root, learner_file, bench.time_limit_s, memory_mb, exercise.forbid) as mine:
                sample = _setup(mine, workload, guard_on=True, who="your attention")
                mismatch = _compare(sample, reference, bench.dtype)
                if mismatch:
                    return BenchOutcome(bench, "failed", mismatch + f"\n  Make `grade {exercise.id}` pass first; "
                                        "nothing was recorded.")
                learner, baseline, seen = _time_both(mine, base, bench, inner, warmup, repeats)
    except BenchError as exc:
        return BenchOutcome(bench, "failed", str(exc))
    flops = attention_flops(tuple(bench.shape), bench.causal, bench.backward)
    for side in (learner, baseline):
        side.tflops = flops / side.timing.median / 1e12
    verdict = judge_ratio(learner.timing.median, baseline.timing.median, bench.target_ratio, bench.gold_ratio)
    details = {"learner": learner.to_dict(), "baseline": baseline.to_dict(), "flops": flops,
               "workload": workload, "spread": "interquartile range (q3 - q1) of the per-run times",
               "gold": verdict.gold}
    return BenchOutcome(bench, "measured", learner=learner, baseline=baseline, verdict=verdict,
                        environment=environment.stamp(bench.device, bench.dtype, seen), details=details)


def _setup(process: TimedProcess, workload: dict, guard_on: bool, who: str) -> dict:
    reply = process.call(driver_of(process) + "bench_setup", guard_on=guard_on, **workload)
    if not isinstance(reply, dict):
        raise BenchError(f"the benchmark could not read {who}'s reply")
    if reply.get("refused"):
        raise BenchError(f"your code called {reply['refused']}: torch's own attention is refused; write it yourself")
    if reply.get("problem"):
        raise BenchError(reply["problem"])
    return reply.get("sample") or {}


def driver_of(process: TimedProcess) -> str:
    """The driver module ('module:') a side's calls go to: attention_driver unless the side names
    another (stage3/flash_attention's learner side answers through its own bench driver)."""
    return getattr(process, "driver", DRIVER)


def _fresh_seed() -> int:
    """A seed the learner's process cannot predict (drawn here, sent only with the timed call)."""
    return secrets.randbits(62)


def _run(process: TimedProcess, name: str, inner: int, call_seed: int, reset_peak: bool = False) -> dict:
    reply = process.call(driver_of(process) + "bench_run", name, call_seed, inner, reset_peak)
    if not isinstance(reply, dict):
        raise BenchError("the benchmark could not read the reply of a timed run")
    if reply.get("refused"):
        raise BenchError(f"your code called {reply['refused']}: torch's own attention is refused; write it yourself")
    if reply.get("problem"):
        raise BenchError(reply["problem"])
    return reply


def _time_both(mine: TimedProcess, base: TimedProcess, bench, inner: int, warmup: int, repeats: int) -> tuple[Side, Side, dict]:
    """Warm both up, then time them in turns (baseline, learner, baseline, ...), the other one
    paused each time: a load that comes and goes on a shared machine falls on both alike,
    and nothing of the learner's process runs while the baseline is timed. Every call, warm-up
    included, gets a fresh seed, and the learner's digests must match the baseline's."""
    sides = ((base, mine, BASELINE_LABEL), (mine, base, "your attention"))
    for _ in range(warmup):
        seed = _fresh_seed()
        replies = []
        for process, other, _label in sides:
            with alone(process, other):
                replies.append(_run(process, bench.id, inner, seed))
        _check_digests(replies[1], replies[0], bench.dtype, inner)
    samples: dict[str, list[float]] = {label: [] for _, _, label in sides}
    peaks: dict[str, list[int]] = {label: [] for _, _, label in sides}
    for turn in range(repeats):
        seed = _fresh_seed()
        replies = []
        for process, other, label in sides:
            with alone(process, other):  # the signals are sent outside the clock
                cpu_before = process.cpu_seconds()
                started = time.perf_counter()
                reply = _run(process, bench.id, inner, seed, reset_peak=turn == 0)
                wall = time.perf_counter() - started
                cpu = process.cpu_seconds() - cpu_before
            if process is mine:
                _check_cores(cpu, wall, bench)
            samples[label].append(wall)
            replies.append(reply)
            if isinstance(reply.get("peak_bytes"), int):
                peaks[label].append(reply["peak_bytes"])
        _check_digests(replies[1], replies[0], bench.dtype, inner)
    with alone(base, mine):
        seen = base.call(DRIVER + "bench_environment", bench.device)
    made = [Side(label, per_run(samples[label], inner), inner, max(peaks[label]) if peaks[label] else None) for _, _, label in sides]
    return made[1], made[0], seen if isinstance(seen, dict) else {}


def _check_digests(mine: dict, base: dict, dtype: str, inner: int) -> None:
    """Refuse the timing when any run of the learner's timed call did not compute the attention
    of its inputs (same seed, same runs, the baseline's digests as the answer)."""
    want, got = np.asarray(base.get("digests"), dtype=np.float64), mine.get("digests")
    got = np.asarray(got, dtype=np.float64) if isinstance(got, np.ndarray) else None
    if got is None or got.shape != want.shape or want.shape[:1] != (inner,):
        shape = None if got is None else got.shape
        raise BenchError(f"a timed call of your attention did not answer for each of its {inner} runs (digests of shape "
                         f"{shape}, expected {want.shape}): the benchmark's driver must run unchanged; nothing was recorded")
    tolerance = SAMPLE_TOLERANCE.get(dtype, 2e-2)
    for run, (a, b) in enumerate(zip(got, want)):
        error = float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))
        if not error <= tolerance:
            raise BenchError(f"on a timed call, run {run + 1} of {inner}: your attention's output or gradients differ from "
                             f"{BASELINE_LABEL}'s on the same fresh inputs (relative error {error:.2e}, allowed {tolerance:g} "
                             f"in {dtype}). Every timed run must compute attention on the inputs it gets; nothing was recorded")


def _check_cores(cpu: float, wall: float, bench) -> None:
    """On a benchmark declared for N threads, the learner's side may not keep more cores busy."""
    if not bench.threads or bench.device != "cpu" or wall < 0.05:
        return
    allowed = bench.threads + THREAD_SLACK
    if cpu / wall > allowed:
        raise BenchError(f"your attention kept {cpu / wall:.1f} cores busy during a timed call, on a benchmark declared for "
                         f"{bench.threads} thread{'s' if bench.threads != 1 else ''} on both sides (leave torch.set_num_threads "
                         "and extra threads or processes alone); nothing was recorded")


def _compare(sample: dict, reference: dict, dtype: str) -> str:
    """'' when the learner's output (and gradients) match the baseline's on the benchmark input."""
    tolerance = SAMPLE_TOLERANCE.get(dtype, 2e-2)
    names = {"out": "the output", "dq": "q.grad", "dk": "k.grad", "dv": "v.grad"}
    for key, want in reference.items():
        got = sample.get(key)
        if got is None or np.shape(got) != np.shape(want):
            return f"on the benchmark input, {names[key]} is missing or has shape {np.shape(got)}, expected {np.shape(want)}"
        got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        error = float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))
        if not error <= tolerance:
            return (f"on the benchmark input, {names[key]} differs from {BASELINE_LABEL}'s "
                    f"(relative error {error:.2e}, allowed {tolerance:g} in {dtype})")
    return ""
