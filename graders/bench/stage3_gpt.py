"""The stage3/gpt benchmark: on one CUDA GPU, train_char_gpt to a validation loss of 1.50 within 5 minutes.

The same path as the grader's training check (stage3/gpt.train_and_score): the judge sends the
training characters, times the train_char_gpt call with its own clock (the driver waits for the
GPU before answering), then streams 2,000 characters of the validation text through the
trained model, one call each, and computes the loss itself. The result counts only when the
loss reaches BENCH_GOAL; the wall time is then compared with the catalogue's target_s.
"""

from __future__ import annotations

from mldojo.graders.bench import environment
from mldojo.graders.bench.harness import UNCAPPED_MB, BenchError, BenchOutcome, Side, TimedProcess, cuda_available
from mldojo.graders.bench.stats import Verdict, summarize

BENCH_GOAL = 1.50  # the validation loss a GPU run must reach (the curriculum's target)
STARTUP_MARGIN_S = 120.0


def measure(exercise, bench, learner_file, root, warmup=None, repeats=None, on_progress=None):
    """Train `repeats` times in fresh processes; the median wall time of the runs that reached the goal."""
    from mldojo.graders.engine.outcomes import LearnerGone, LearnerRaised, NotImplementedYet
    from mldojo.graders.engine.training import TrainingDataMissing
    from mldojo.graders.stage3.gpt import train_and_score

    if bench.device == "cuda" and not cuda_available():
        return BenchOutcome(bench, "skipped", "needs a CUDA GPU: torch sees none on this machine. Run "
                            f"`grade bench {exercise.id}` on a machine with one; nothing was recorded.")
    memory_mb = UNCAPPED_MB if bench.device == "cuda" else exercise.memory_limit_mb
    emit = on_progress or (lambda fields: None)
    runs = []
    try:
        for _ in range(repeats or bench.repeats):
            with TimedProcess(exercise.id, root, learner_file, bench.time_limit_s + STARTUP_MARGIN_S, memory_mb, exercise.forbid) as process:
                run, reply = train_and_score(process.learner, bench.time_limit_s, emit, f"{bench.time_limit_s:g} s (benchmark)")
            loss, wall = run.loss, run.wall_s
            if bench.device == "cuda" and str(reply.get("device", "")).startswith("cpu"):
                raise BenchError(f"the training ran on {reply.get('device')}, not on the GPU this benchmark is for")
            if loss > BENCH_GOAL:
                raise BenchError(f"validation loss {loss:.4f} after {wall:.1f} s: the goal {BENCH_GOAL} was not reached, "
                                 "so there is no time to record")
            runs.append({"val_loss": loss, "wall_s": wall, "device": reply.get("device"), "parameters": reply.get("parameters"),
                         "block_size": reply.get("block_size"), "steps": reply.get("steps")})
    except TrainingDataMissing as exc:
        return BenchOutcome(bench, "skipped", f"{exc}\n  Nothing was recorded.")
    except NotImplementedYet as exc:
        return BenchOutcome(bench, "failed", f"{exc.function} is not written yet (it still raises NotImplementedError)")
    except LearnerRaised as exc:
        return BenchOutcome(bench, "failed", f"your code raised {exc.type_name}:\n{exc.describe()}")
    except LearnerGone as exc:
        return BenchOutcome(bench, "failed", f"{exc.detail} (in {exc.during})")
    except (AssertionError, BenchError) as exc:
        return BenchOutcome(bench, "failed", str(exc))
    timing = summarize([r["wall_s"] for r in runs])
    met = None if bench.target_s is None else timing.median <= bench.target_s
    learner = Side(f"your training, to a validation loss of {BENCH_GOAL}", timing, 1)
    details = {"learner": learner.to_dict(), "runs": runs, "target_s": bench.target_s, "goal_val_loss": BENCH_GOAL}
    stamp = environment.stamp(bench.device, bench.dtype, {"trained_on": runs[-1]["device"]})
    return BenchOutcome(bench, "measured", learner=learner, verdict=Verdict(None, met, False), environment=stamp, details=details)
