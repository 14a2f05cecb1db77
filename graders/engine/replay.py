"""Re-grading in a warm judge: a passing check's inputs are replayed, not drawn again.

Drawing the inputs is most of the judge's own work in a re-grade (Hypothesis's strategies and
engine: about 60 % of the judge's CPU time for stage1/linreg). In `grade watch` the same checks
are drawn again with the same seed on every save, so the judge keeps, per check, the inputs
its last passing run was called with, and calls the check with them again, in order.

Why this is exactly as strict as drawing them. With a fixed seed, the next input Hypothesis
draws depends on the grader's strategies and on how each earlier call of the check ended
(returned, rejected, failed), and on nothing else: the local-constants pool is pinned
(hypothesis_pin.py), and the clock counts only once a failure has been found. So when a check
passed and every call of it returned normally, learner code that returns normally on the same
inputs, in the same order, from the same state of its process, is given exactly these inputs by
Hypothesis too. Each replayed call runs with the global random generators in the state
Hypothesis gave that call, and with its inputs unchanged since they were recorded (a digest).
A check passes on replay only if every call returns normally. At the first call that does not
(a failed assertion, an error, a crash, a timeout, a rejection, changed inputs), the replay
says nothing about what Hypothesis would have drawn next: `Diverged` is raised, and the runner
throws the whole grading away and grades again from a fresh learner process with every input
drawn (runner.py), so a failure is found, shrunk and reported exactly as a cold `grade ID` does.

A recording is kept for the life of one warm judge, under the check, the grader's VERSION and
source, the seed, the examples scale and the Hypothesis version: a change to any of them is a
miss, and the check is drawn again (and recorded again if it passes).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


class Diverged(BaseException):
    """A replayed call did not return as recorded: the grading must be redone in full.
    (A BaseException, so that no check's own `except Exception` can turn it into a verdict.)"""


@dataclass
class Call:
    """One recorded call of a check: its inputs, their digest, the random generators' states."""

    inputs: dict
    digest: bytes
    randoms: dict


@dataclass
class Recording:
    """Every call of one passing Hypothesis run of a check, in order."""

    spec: Any = None  # the check recorded (held, so that its id in the key stays its own)
    calls: list[Call] = field(default_factory=list)
    usable: bool = True  # False once a call did not return normally, or could not be recorded

    def before(self, inputs: dict) -> None:
        """Record a call about to be made (inside Hypothesis's per-call context)."""
        if not self.usable:
            return
        digest = digest_of(inputs)
        randoms = random_states()
        if digest is None or randoms is None or any(_is_data_object(v) for v in inputs.values()):
            # st.data() draws inside the check, interleaved with the learner's answers: not replayable.
            self.usable = False
            self.calls.clear()
            return
        self.calls.append(Call(inputs, digest, randoms))

    def spoiled(self) -> None:
        """A call raised (a failure, a rejection): this run cannot be replayed."""
        self.usable = False
        self.calls.clear()


class Replays:
    """The recordings of passing checks kept by one warm judge (`WarmPool.replays`)."""

    def __init__(self) -> None:
        self.recordings: dict[tuple, Recording] = {}
        self.replayed = 0  # checks passed by replay (tests and benchmarks read it)

    def key(self, spec, seed: int | None, examples_scale: float) -> tuple | None:
        """What a recording depends on (None: the grader's source cannot be read, never replay)."""
        fingerprint = grader_fingerprint(spec.function)
        if fingerprint is None:
            return None
        import hypothesis

        # id(spec), kept unique by the recording holding the spec: a reloaded grader is a new spec.
        return (spec.name, id(spec), fingerprint, seed, examples_scale, hypothesis.__version__)

    def get(self, key: tuple | None) -> Recording | None:
        """The recording for this key, if one is kept."""
        return None if key is None else self.recordings.get(key)

    def keep(self, key: tuple | None, recording: Recording) -> None:
        """Keep the recording of a check that passed (if every call of it can be replayed)."""
        if key is not None and recording.usable and recording.calls:
            self.recordings[key] = recording

    def forget(self, key: tuple | None) -> None:
        """Drop a recording (its replay diverged: the next grading draws the inputs again)."""
        if key is not None:
            self.recordings.pop(key, None)


def replay(recording: Recording, body: Callable[..., None]) -> None:
    """Call `body` with each recorded input, in order; raise Diverged at the first call that
    does not return normally or whose inputs or random generators cannot be put back as recorded."""
    import warnings

    from hypothesis.errors import HypothesisDeprecationWarning
    from hypothesis.internal.entropy import deterministic_PRNG

    # Hypothesis saves the generators before each call and puts them back after it; saved once
    # around all the calls here, the state outside the check ends the same, and each call still
    # starts from the state recorded for it (set just before it).
    with deterministic_PRNG(), warnings.catch_warnings():
        # A check's assume(True) outside Hypothesis's own run is fine here: it warns, and
        # assume(False) still raises (and diverges).
        warnings.simplefilter("ignore", HypothesisDeprecationWarning)
        generators = managed_generators()
        for call in recording.calls:
            if digest_of(call.inputs) != call.digest:
                raise Diverged("the recorded inputs changed since they were recorded")
            if set(generators) != set(call.randoms):
                raise Diverged("the random generators Hypothesis manages changed")
            for key, state in call.randoms.items():
                generators[key].setstate(state)
            try:
                body(**call.inputs)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - anything but a normal return
                raise Diverged(f"{type(exc).__name__} on a replayed input") from exc


def grader_fingerprint(function: Callable) -> tuple | None:
    """The grader module's VERSION and the sha256 of its source."""
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    path = getattr(module, "__file__", None)
    if module is None or not path:
        return None
    try:
        source = Path(path).read_bytes()
    except OSError:
        return None
    return str(getattr(module, "VERSION", "1")), hashlib.sha256(source).hexdigest()


def digest_of(inputs: dict) -> bytes | None:
    """A digest of the inputs' current values (None when they cannot be pickled)."""
    try:
        return hashlib.sha256(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)).digest()
    except Exception:  # noqa: BLE001 - a lambda, a generator, a torch module with hooks: not replayable
        return None


def managed_generators() -> dict | None:
    """The random generators Hypothesis seeds for each call, by its key (None if unknown)."""
    try:
        from hypothesis.internal.entropy import RANDOMS_TO_MANAGE
    except ImportError:
        return None
    found = {key: ref() for key, ref in list(RANDOMS_TO_MANAGE.data.items())}
    return {key: generator for key, generator in found.items() if generator is not None}


def random_states() -> dict | None:
    """The states of those generators now (None if unknown)."""
    generators = managed_generators()
    return None if generators is None else {key: generator.getstate() for key, generator in generators.items()}


def _is_data_object(value: Any) -> bool:
    return type(value).__name__ == "DataObject" and type(value).__module__.startswith("hypothesis")
