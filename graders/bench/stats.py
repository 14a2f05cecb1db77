"""Statistics of repeated timings: median and spread, and the ratio against a baseline.

The spread is the interquartile range (q3 - q1): unlike min/max it ignores the one run
another process interrupted, and unlike a standard deviation it assumes no distribution.
min and max are kept beside it for the record.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Timing:
    """Summary of n timed runs, in seconds."""

    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    n: int

    @property
    def iqr(self) -> float:
        """The interquartile range q3 - q1 (the spread we report)."""
        return self.q3 - self.q1

    def to_dict(self) -> dict:
        """JSON-ready, with the IQR."""
        return dict(asdict(self), iqr=self.iqr)


def summarize(samples: list[float]) -> Timing:
    """Median, quartiles (inclusive method: they lie within the samples) and extremes."""
    if not samples:
        raise ValueError("no timings to summarize")
    ordered = sorted(samples)
    if len(ordered) == 1:
        q1 = q3 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Timing(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered))


@dataclass(frozen=True)
class Verdict:
    """Where a measured ratio stands against the catalogue's target and gold ratios."""

    ratio: float | None  # learner median / baseline median; lower is faster
    met_target: bool | None  # None: no target to meet
    gold: bool

    def words(self, target_ratio: float | None, gold_ratio: float | None) -> str:
        """'2.00x the baseline: target (at most 3x) met; gold (at most 1.5x) not yet'."""
        if self.ratio is None:
            return "no ratio (no baseline)"
        parts = [f"{self.ratio:.2f}x the baseline's time"]
        if target_ratio is not None:
            parts.append(f"target (at most {target_ratio:g}x) {'met' if self.met_target else 'not met'}")
        if gold_ratio is not None:
            parts.append(f"gold (at most {gold_ratio:g}x) {'reached' if self.gold else 'not yet'}")
        return "; ".join(parts)


def judge_ratio(learner_s: float, baseline_s: float | None, target_ratio: float | None, gold_ratio: float | None) -> Verdict:
    """The ratio learner / baseline and whether it meets the target (<=) and gold (<=)."""
    if baseline_s is None or baseline_s <= 0:
        return Verdict(None, None, False)
    ratio = learner_s / baseline_s
    met = None if target_ratio is None else ratio <= target_ratio
    gold = gold_ratio is not None and ratio <= gold_ratio
    return Verdict(ratio, met, gold)


def attention_flops(shape: tuple[int, ...], causal: bool, backward: bool) -> float:
    """4·B·H·S²·D for the forward (two matmuls, 2 flops per multiply-add), x3.5 with the
    backward, halved when causal (half of the score matrix is skipped)."""
    B, H, S, D = shape
    flops = 4.0 * B * H * S * S * D
    if backward:
        flops *= 3.5
    return flops / 2 if causal else flops
