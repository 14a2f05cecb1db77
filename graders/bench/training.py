"""Training benchmarks: the judge times the learner's whole training call to the accuracy goal.

They go through the training tasks' own API (graders.engine.training.run_training): the
judge sends the data, times the train-and-predict call with its own clock, and scores the
predictions with the test labels it kept. A benchmark counts as met when the accuracy reaches
the goal within `target_s` (when the catalogue gives one); without `target_s` the time to the
goal is only recorded. There is no baseline process: the target is a wall time.
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable

from mldojo.graders.bench import environment
from mldojo.graders.bench.harness import UNCAPPED_MB, BenchError, BenchOutcome, Side, TimedProcess, cuda_available
from mldojo.graders.bench.stats import Verdict, summarize

# The training run has its own budget (task.time_limit_s); the process gets a little more
# for starting up and for the data transfer.
STARTUP_MARGIN_S = 60.0


@contextlib.contextmanager
def gpus_hidden(hide: bool):
    """While starting a process for a CPU benchmark, hide the GPUs (the child inherits the
    environment), so a driver that prefers CUDA trains on the CPU as declared."""
    if not hide:
        yield
        return
    saved = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = saved


def measure_training(exercise, bench, learner_file, root, task, repeats: int | None = None,
                     on_progress: Callable[[dict], None] | None = None) -> BenchOutcome:
    """Train `repeats` times (default: the catalogue's), each in a fresh learner process; the
    median wall time of the runs that reached the goal is the result."""
    from mldojo.graders.engine.outcomes import LearnerGone, LearnerRaised, NotImplementedYet
    from mldojo.graders.engine.training import TrainingDataMissing, run_training

    if bench.device == "cuda" and not cuda_available():
        return BenchOutcome(bench, "skipped", "needs a CUDA GPU: torch sees none on this machine. Run "
                            f"`grade bench {exercise.id}` on a machine with one; nothing was recorded.")
    memory_mb = UNCAPPED_MB if bench.device == "cuda" else exercise.memory_limit_mb
    runs = []
    try:
        for _ in range(repeats or bench.repeats):
            with gpus_hidden(bench.device == "cpu"):
                process = TimedProcess(exercise.id, root, learner_file, task.time_limit_s + STARTUP_MARGIN_S, memory_mb, exercise.forbid)
                process.__enter__()
            try:
                result = run_training(process.learner, task, on_progress)
            finally:
                process.__exit__(None, None, None)
            if not result.met:
                raise BenchError(f"{result.describe()}: the goal was not reached, so there is no time to record")
            if bench.device == "cuda" and not str(result.device).startswith("cuda"):
                raise BenchError(f"the training ran on {result.device}, not on the GPU this benchmark is for")
            runs.append(result)
    except TrainingDataMissing as exc:
        return BenchOutcome(bench, "skipped", f"{exc}\n  Nothing was recorded.")
    except NotImplementedYet as exc:
        return BenchOutcome(bench, "failed", f"{exc.function} is not written yet (it still raises NotImplementedError)")
    except LearnerRaised as exc:
        return BenchOutcome(bench, "failed", f"your code raised {exc.type_name}:\n{exc.describe()}")
    except LearnerGone as exc:
        return BenchOutcome(bench, "failed", f"{exc.detail} (in {exc.during})")
    except AssertionError as exc:  # the training API's checks of the predictions
        return BenchOutcome(bench, "failed", str(exc))
    except BenchError as exc:
        return BenchOutcome(bench, "failed", str(exc))
    timing = summarize([r.wall_s for r in runs])
    met = None if bench.target_s is None else timing.median <= bench.target_s
    learner = Side("your training, to the goal", timing, 1)
    details = {"learner": learner.to_dict(), "runs": [r.to_dict() for r in runs], "target_s": bench.target_s,
               "spread": "interquartile range (q3 - q1) of the wall times"}
    stamp = environment.stamp(bench.device, bench.dtype, {"trained_on": runs[-1].device})
    return BenchOutcome(bench, "measured", learner=learner, verdict=Verdict(None, met, False),
                        environment=stamp, details=details)
