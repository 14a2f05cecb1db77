"""The stage3/tokenizer benchmark: RegexTokenizer().train on all of tiny Shakespeare to vocab_size 512.

Like the training benchmarks (training.py), the result is a wall time against `target_s`, with
no baseline process; unlike them there is no accuracy to reach, so the time counts only when
the merges are right: the judge learns the same merges with its own BPE (the grader's) and
compares all 256 of them before anything is recorded. The text is sent before the clock starts;
the judge's clock runs around the one `train` call (the split included, as a learner's
training does it).
"""

from __future__ import annotations

import time
from functools import lru_cache

from mldojo.graders.bench import environment
from mldojo.graders.bench.harness import BenchError, BenchOutcome, Side, TimedProcess
from mldojo.graders.bench.stats import Verdict, summarize

DRIVER = "mldojo.graders.stage3.tokenizer_driver:"
VOCAB_SIZE = 512


@lru_cache(maxsize=1)
def judge_merges(text: str) -> list[tuple[int, int]]:
    """The 256 merges the judge's own BPE learns from the text, GPT-4 chunks (about 15 s: it recounts
    every pair of the 15,000 distinct chunks after each merge; kept for the next run)."""
    from mldojo.graders.stage3.tokenizer import GPT4, chunks_of, learn

    return learn(chunks_of(text, GPT4), VOCAB_SIZE - 256)


def measure(exercise, bench, learner_file, root, warmup=None, repeats=None, on_progress=None):
    """Time RegexTokenizer().train(tiny Shakespeare, 512) `repeats` times, each in a fresh process."""
    from mldojo.datasets import DatasetError
    from mldojo.datasets.text import load_text

    try:
        text = load_text("tinyshakespeare")[0]
    except DatasetError as exc:
        return BenchOutcome(bench, "skipped", f"{exc}\n  Nothing was recorded.")
    expected = None
    samples = []
    try:
        for _ in range(repeats or bench.repeats):
            with TimedProcess(exercise.id, root, learner_file, bench.time_limit_s, exercise.memory_limit_mb, exercise.forbid) as process:
                process.call(DRIVER + "bench_setup", text)
                started = time.perf_counter()
                reply = process.call(DRIVER + "bench_train", VOCAB_SIZE)
                wall = time.perf_counter() - started
            if reply.get("problem"):
                raise BenchError(reply["problem"])
            expected = expected or judge_merges(text)
            got = [tuple(m[:2]) for m in reply["merges"]]
            if got != expected:
                first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
                raise BenchError(f"the merges differ from the judge's (first at merge {first} of {len(expected)}): "
                                 f"`grade {exercise.id}` says where; nothing was recorded")
            samples.append(wall)
    except BenchError as exc:
        return BenchOutcome(bench, "failed", str(exc))
    timing = summarize(samples)
    met = None if bench.target_s is None else timing.median <= bench.target_s
    learner = Side("your RegexTokenizer().train(tiny Shakespeare, 512)", timing, 1)
    details = {"learner": learner.to_dict(), "target_s": bench.target_s, "characters": len(text), "vocab_size": VOCAB_SIZE}
    return BenchOutcome(bench, "measured", learner=learner, verdict=Verdict(None, met, False),
                        environment=environment.stamp(bench.device, bench.dtype), details=details)
