"""The stage2/mlp benchmark: the CPU wall time of the learner's NumPy training to 98 %, recorded."""

from __future__ import annotations

from mldojo.graders.bench.training import measure_training


def measure(exercise, bench, learner_file, root, warmup=None, repeats=None, on_progress=None):
    """Time the training call to the goal (no warm-up: a training run is its own warm-up)."""
    from mldojo.graders.stage2.mlp import MNIST

    return measure_training(exercise, bench, learner_file, root, MNIST, repeats, on_progress)
