"""How fast is this machine right now? A fixed NumPy workload timed in the judge, to scale the
time budgets of training tasks: a correct solution must not time out on a slow or busy laptop.

The workload is the shape of one MLP training step on MNIST (a 4096-row batch through
784-256-10, forward and backward) on one BLAS thread, as the learner's training runs on a
small machine. It runs in the judge, never in the learner's process: the learner's code can
neither slow it down to get more time nor see it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

# The workload's median time on the 2-core development machine, quiet (load < 1), one thread:
# `python -c "from mldojo.graders.engine.calibration import measure; print(measure())"`.
# The median of several runs, not the best: it must see a busy machine's contention, which is
# what stretches a training run.
REFERENCE_S = 0.09
MAX_FACTOR = 4.0  # a budget never grows beyond this many times the catalogue's


@dataclass(frozen=True)
class Calibration:
    """The workload's time here against the reference machine's, and the factor applied."""

    measured_s: float
    reference_s: float
    factor: float

    def describe(self, base_s: float) -> str:
        """'300 s × 1.6 = 480 s (this machine ran the calibration workload in 0.19 s; 0.12 s on the reference machine)'."""
        if self.factor <= 1.0:
            return f"{base_s:g} s (this machine is at least as fast as the reference machine)"
        return (f"{base_s:g} s × {self.factor:.1f} = {base_s * self.factor:.0f} s (this machine ran mldojo's calibration "
                f"workload in {self.measured_s:.2f} s; {self.reference_s:.2f} s on the reference machine)")


def _workload(rng: np.random.Generator) -> float:
    x = rng.standard_normal((4096, 784), dtype=np.float32)
    w1 = rng.standard_normal((784, 256), dtype=np.float32) * 0.05
    w2 = rng.standard_normal((256, 10), dtype=np.float32) * 0.05
    started = time.perf_counter()
    hidden = np.maximum(x @ w1, 0)  # (4096, 256)
    scores = hidden @ w2  # (4096, 10)
    dscores = scores - scores.mean(axis=1, keepdims=True)
    dw2 = hidden.T @ dscores
    dhidden = (dscores @ w2.T) * (hidden > 0)
    dw1 = x.T @ dhidden
    _ = float(dw1[0, 0] + dw2[0, 0])
    return time.perf_counter() - started


def measure(repeats: int = 5) -> float:
    """The workload's median time over `repeats` runs, on one BLAS thread, in seconds."""
    rng = np.random.default_rng(0)
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=1)
    except ImportError:
        limits = None
    try:
        return float(np.median([_workload(rng) for _ in range(repeats)]))
    finally:
        if limits is not None:
            limits.restore_original_limits()


FACTOR_ENV = "MLDOJO_CALIBRATION_FACTOR"  # a fixed factor instead of a measurement (tests, CI)


def calibrate() -> Calibration:
    """Measure now, and the factor (1 to MAX_FACTOR) a training budget is scaled by."""
    fixed = os.environ.get(FACTOR_ENV)
    if fixed:
        return Calibration(0.0, REFERENCE_S, min(MAX_FACTOR, max(1.0, float(fixed))))
    measured = measure()
    return Calibration(measured, REFERENCE_S, min(MAX_FACTOR, max(1.0, measured / REFERENCE_S)))
