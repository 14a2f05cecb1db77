"""The stage3/attention reference against F.scaled_dot_product_attention, through `grade bench`'s harness.

Usage:  python benchmarks/attention_vs_sdpa.py [--repeats N] [--warmup N]

Runs every benchmark the catalogue declares for stage3/attention that this machine can run
(the CPU one always, the CUDA ones when torch sees a GPU), with the reference solution in
the learner's place: the same processes, the same judge-side clock and the same baseline
as a learner's `grade bench stage3/attention`. Prints the device, both medians with their
interquartile range, the ratio against the target, TFLOP/s and CUDA peak memory. Nothing
is recorded in any tracker.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from mldojo.catalogue import load_catalogue
from mldojo.graders.bench import environment
from mldojo.graders.bench import stage3_attention
from mldojo.graders.bench.harness import cuda_available
from mldojo.workspace import reference_path

EXERCISE = "stage3/attention"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def main() -> None:
    """Measure and print one block per benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=None, help="timed runs (default: the catalogue's)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed runs first (default: the catalogue's)")
    args = parser.parse_args()
    exercise = load_catalogue().exercise(EXERCISE)
    gpu = cuda_available()
    print(f"device: {'CUDA GPU present' if gpu else 'CPU only (no CUDA GPU visible: the cuda benchmarks are skipped)'}")
    with tempfile.TemporaryDirectory(prefix="mldojo-attention-bench-") as folder:
        root = Path(folder)
        learner_file = root / (EXERCISE + ".py")
        learner_file.parent.mkdir(parents=True)
        learner_file.write_text(reference_path(EXERCISE).read_text())
        for bench in exercise.benchmarks:
            print(f"\n{bench.id}: {bench.title}")
            outcome = stage3_attention.measure(exercise, bench, learner_file, root, args.warmup, args.repeats)
            if outcome.status != "measured":
                print(f"  {outcome.status}: {outcome.message}")
                continue
            for side in (outcome.learner, outcome.baseline):
                t = side.timing
                label = "reference" if side is outcome.learner else side.label
                memory = f"  peak {side.peak_bytes / 2**20:.0f} MiB" if side.peak_bytes is not None else ""
                print(f"  {label:<32} median {_ms(t.median):>9}  IQR {_ms(t.q1)} – {_ms(t.q3)}  (n={t.n}, {side.inner} runs per call)"
                      f"  {side.tflops:.3g} TFLOP/s{memory}")
            print(f"  ratio: {outcome.verdict.words(bench.target_ratio, bench.gold_ratio)}")
            print(f"  {environment.describe(outcome.environment)}")


if __name__ == "__main__":
    main()
