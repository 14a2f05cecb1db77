"""The stage3/mnist_torch benchmarks: wall time of the learner's training to 98 %, on a GPU and on the CPU."""

from __future__ import annotations

from mldojo.graders.bench.training import measure_training


def measure(exercise, bench, learner_file, root, warmup=None, repeats=None, on_progress=None):
    """Time the training call to the goal (no warm-up: a training run is its own warm-up)."""
    from mldojo.graders.stage3.mnist_torch import MNIST

    return measure_training(exercise, bench, learner_file, root, MNIST, repeats, on_progress)
