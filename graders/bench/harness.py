"""The timing harness: processes to time, the timing loop, and what a benchmark produced.

The judge holds the clock: each timed call is a round trip to a learner process (a driver
call that runs the workload `inner` times and, on CUDA, synchronizes before it returns),
with time.perf_counter around it here. A learner process never reports its own time.
Inputs are made inside that process from a seed, so no transfer is timed.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mldojo.graders.bench.stats import Timing, Verdict, summarize

# Each timed call lasts at least this long (the workload repeated `inner` times), so the
# round trip to the process (a fraction of a millisecond) stays below 1 % of what is timed.
MIN_CALL_S = 0.02
MAX_INNER = 1000
# No address-space cap where CUDA runs: the CUDA driver reserves far more virtual memory
# than any physical limit, and a capped process cannot initialise it. The GPU's own memory
# is the limit there. (2**30 MB is 1 PiB, beyond any 64-bit user address space in use.)
UNCAPPED_MB = 2**30
BENCH_REPLY_LIMIT = 256 << 20  # samples of a (8, 16, 1024, 64) output and its gradients, digests


class BenchError(Exception):
    """A benchmark could not be measured; the message says why and what to do."""


@dataclass
class Side:
    """One measured implementation: the learner's or the baseline."""

    label: str
    timing: Timing
    inner: int  # workload runs per timed call
    peak_bytes: int | None = None  # CUDA peak memory during the timed runs
    tflops: float | None = None

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"label": self.label, "timing": self.timing.to_dict(), "inner": self.inner,
                "peak_bytes": self.peak_bytes, "tflops": self.tflops}


@dataclass
class BenchOutcome:
    """What one declared benchmark produced: measured, skipped (cannot run here) or failed."""

    benchmark: Any  # mldojo.catalogue.Benchmark
    status: str  # "measured" | "skipped" | "failed"
    message: str = ""
    learner: Side | None = None
    baseline: Side | None = None
    verdict: Verdict | None = None
    environment: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    recorded: bool = False

    @property
    def ok(self) -> bool:
        """Measured and, where there is a target, meeting it."""
        return self.status == "measured" and self.verdict is not None and self.verdict.met_target is not False


def cuda_available() -> bool:
    """True when torch sees a CUDA GPU here (CUDA_VISIBLE_DEVICES="" hides them)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return False
    import torch

    return bool(torch.cuda.is_available())


class TimedProcess:
    """A sandboxed learner process (the learner's module, or a trusted baseline module named by
    `import_name`) to time calls in."""

    def __init__(self, exercise: str, root: Path | None, file: Path | None, seconds: float, memory_mb: int,
                 forbid: tuple[str, ...] = (), import_name: str = "", drivers: tuple[str, ...] | None = None):
        from mldojo.graders.engine.process import Budget, LearnerModule
        from mldojo.graders.engine.proxy import Learner, LearnerSession

        module = LearnerModule(exercise, root.resolve() if root else None, file.resolve() if file else None, forbid,
                               memory_mb, import_name=import_name, drivers=drivers)
        self.session = LearnerSession(module, Budget(seconds))
        self.seconds = seconds
        self._learner_class = Learner
        self.learner = None

    def __enter__(self) -> "TimedProcess":
        from mldojo.graders.engine.outcomes import ImportFailed, LearnerGone

        try:
            self.session.start()
        except ImportFailed as exc:
            raise BenchError(f"your module could not be imported:\n{exc.detail}") from None
        except LearnerGone as exc:
            raise BenchError(f"{exc.detail} while importing the module") from None
        self.learner = self._learner_class(self.session)
        return self

    def __exit__(self, *exc_info) -> None:
        self.resume()  # a paused process could not read the request to exit
        self.session.close()  # kills the whole process group: nothing keeps running

    def pause(self) -> None:
        """Freeze every process of this side (SIGSTOP: every thread and child, and it cannot be
        caught), so that nothing of it runs while the other side is being timed. In the sandbox
        that is every process in its PID namespace, a `setsid` grandchild included; the scan is
        repeated until it finds nothing new, so a process forked meanwhile is stopped too."""
        stopped: set[int] = set()
        for _ in range(10):
            fresh = [pid for pid in self._pids() if pid not in stopped]
            if not fresh:
                break
            for pid in fresh:
                self._signal(pid, signal.SIGSTOP)
            stopped.update(fresh)
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused side run again."""
        self._signal_group(signal.SIGCONT)
        for pid in self._pids():
            self._signal(pid, signal.SIGCONT)

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by every live process of this side (from /proc),
        so the judge can see how many cores a timed call really kept busy."""
        total = 0
        for pid in self._pids():
            try:
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    fields = handle.read().rpartition(b")")[2].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
            except (OSError, IndexError, ValueError):
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def _pids(self) -> list[int]:
        process = self.session.process
        return process.pids() if process is not None else []

    @staticmethod
    def _signal(pid: int, number: int) -> None:
        try:
            os.kill(pid, number)
        except (ProcessLookupError, PermissionError):
            pass

    def _signal_group(self, number: int) -> None:
        process = self.session.process
        if process is not None and process.proc is not None and process.proc.poll() is None:
            try:
                os.killpg(process.proc.pid, number)  # its own session: the group id is its pid
            except (ProcessLookupError, PermissionError):
                pass

    def call(self, function: str, *args, **kwargs) -> Any:
        """A driver call, with the engine's failures turned into a BenchError."""
        from mldojo.graders.engine.outcomes import LearnerGone, LearnerRaised, NotImplementedYet

        try:
            return self.learner._drive(function, *args, max_reply_bytes=BENCH_REPLY_LIMIT, **kwargs)
        except NotImplementedYet as exc:
            raise BenchError(f"{exc.function} is not written yet (it still raises NotImplementedError)") from None
        except LearnerRaised as exc:
            raise BenchError(f"your code raised {exc.type_name}:\n{exc.describe()}") from None
        except LearnerGone as exc:
            detail = exc.detail
            if exc.kind == "timeout":
                detail = f"the benchmark ran past its {self.seconds:g} s limit"
            raise BenchError(f"{detail} (in {exc.during})") from None


@contextlib.contextmanager
def alone(running: TimedProcess, *others: TimedProcess):
    """Inside the block only `running` runs: the other processes are paused, then resumed."""
    for other in others:
        other.pause()
    running.resume()
    try:
        yield running
    finally:
        for other in others:
            other.resume()


def calibrate_inner(once: Callable[[], Any], min_call_s: float = MIN_CALL_S, tries: int = 3) -> int:
    """How many workload runs per timed call make the call last at least min_call_s: one
    untimed call (first-use costs: kernels, allocator, caches), then the fastest of `tries`."""
    once()
    fastest = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        once()
        fastest = min(fastest, time.perf_counter() - started)
    return max(1, min(MAX_INNER, math.ceil(min_call_s / max(fastest, 1e-9))))


def time_calls(call: Callable[[], Any], warmup: int, repeats: int) -> tuple[list[float], list[Any]]:
    """Run call() `warmup` times untimed, then `repeats` times timed by the judge's clock."""
    for _ in range(warmup):
        call()
    samples, replies = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        reply = call()
        samples.append(time.perf_counter() - started)
        replies.append(reply)
    return samples, replies


def per_run(samples: list[float], inner: int) -> Timing:
    """The timing of one workload run, from calls that each ran it `inner` times."""
    return summarize([s / inner for s in samples])
