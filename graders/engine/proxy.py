"""The learner's module as the judge sees it: attribute access and calls become requests.

`learner.LinearRegression(fit_intercept=True)` returns a RemoteObject standing for the
instance in the learner process; `model.fit(X, y)` sends X and y there; `model.coef_`
comes back as a NumPy array. Nothing here executes the learner's code.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from mldojo.graders.engine import wire
from mldojo.graders.engine.process import Budget, LearnerModule, LearnerProcess


class LearnerSession:
    """The current learner process, restarted after a check that killed it."""

    def __init__(self, module: LearnerModule, budget: Budget):
        self.module = module
        self.budget = budget
        self.process: LearnerProcess | None = None
        self.generation = 0  # handles from an earlier process are no longer valid
        self.last_printed = ""
        self.was_sandboxed = False
        self.on_progress: Callable[[dict], None] | None = None  # progress frames (channel.py)

    def start(self, prepare=None) -> LearnerProcess:
        """Start a fresh learner process (raises ImportFailed or LearnerGone); `prepare()`
        runs in the judge while the new process is still importing."""
        self.close()
        self.generation += 1
        process = LearnerProcess(self.module, self.budget)
        process.on_progress = self._forward_progress
        self.process = process
        process.start(prepare)
        self.was_sandboxed = process.sandboxed
        return process

    def alive(self) -> bool:
        """True when the current process is running."""
        return self.process is not None and self.process.proc is not None and self.process.proc.poll() is None

    def request(self, message: dict, max_reply_bytes: int | None = None) -> Any:
        """Send a request to the current process and wrap handles in the reply."""
        if self.process is None:
            raise RuntimeError("the learner process was not started")
        return self.process.request(message, max_reply_bytes)

    @property
    def sandboxed(self) -> bool:
        """True when the current (or last) learner process ran in the sandbox."""
        return self.process.sandboxed if self.process is not None else self.was_sandboxed

    @contextmanager
    def listening(self, on_progress: Callable[[dict], None] | None) -> Iterator[None]:
        """Send progress frames to `on_progress` inside the block."""
        saved, self.on_progress = self.on_progress, on_progress
        try:
            yield
        finally:
            self.on_progress = saved

    @contextmanager
    def separate_budget(self, seconds: float) -> Iterator[Budget]:
        """Give the calls inside the block their own time limit; the shared budget is not
        charged meanwhile (a training run has its own budget, not the property checks')."""
        shared = self.budget
        own = Budget(seconds)
        self._use_budget(own)
        try:
            yield own
        finally:
            self._use_budget(shared)

    def _use_budget(self, budget: Budget) -> None:
        self.budget = budget
        if self.process is not None:
            self.process.budget = budget

    def _forward_progress(self, fields: dict) -> None:
        if self.on_progress is not None:
            self.on_progress(fields)

    def take_output(self) -> str:
        """What the current process printed since the last take (empty when there is none)."""
        return self.process.take_output() if self.process is not None else ""

    def import_output(self) -> str:
        """What the learner's module printed while it was imported."""
        return self.process.import_output if self.process is not None else ""

    def printed(self) -> str:
        """What the learner's code printed in the current (or last) process."""
        return self.process.printed() if self.process else self.last_printed

    def close(self) -> None:
        """Stop the current process, if any, keeping what it printed."""
        if self.process is not None:
            self.process.close()
            self.last_printed = self.process.printed()  # the pipe is closed now: no waiting
            self.process = None


class RemoteObject:
    """An object living in the learner process (a function, a class, an instance)."""

    def __init__(self, session: LearnerSession, handle_id: int, label: str, generation: int):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle_id", handle_id)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_generation", generation)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        label = f"{self._label}.{name}" if self._label else name
        return self._ask({"op": "getattr", "handle": self._handle_id, "name": name, "label": label}, label)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message = {
            "op": "call",
            "handle": self._handle_id,
            "args": [_to_wire(a) for a in args],
            "kwargs": {k: _to_wire(v) for k, v in kwargs.items()},
            "label": f"{self._label}()",
        }
        return self._ask(message, self._label)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("setting attributes on the learner's objects is not supported")

    def __repr__(self) -> str:
        return f"<learner object {self._label}>"

    def _ask(self, message: dict, label: str, max_reply_bytes: int | None = None) -> Any:
        if self._generation != self._session.generation:
            raise RuntimeError(f"{self._label} belongs to a learner process that has ended")
        return _from_wire(self._session.request(message, max_reply_bytes), self._session, label)


def same_object(a: Any, b: Any) -> bool:
    """True when two values stand for the same object in the learner process (`fit` returned self)."""
    return (
        isinstance(a, RemoteObject)
        and isinstance(b, RemoteObject)
        and a._handle_id == b._handle_id
        and a._generation == b._generation
    )


class Learner(RemoteObject):
    """The learner's module: `learner.mse(y, yhat)` calls their `mse` in their process."""

    def __init__(self, session: LearnerSession):
        super().__init__(session, 0, "", session.generation)

    def _drive(self, function: str, *args: Any, max_reply_bytes: int | None = None, shown_as: str | None = None,
               **kwargs: Any) -> Any:
        """Run a trusted driver `module:function(learner_module, *args)` in the learner process;
        `shown_as` names the call in a failure message when the driver's own name would mean nothing to the learner."""
        message = {
            "op": "driver",
            "function": function,
            "args": [_to_wire(a) for a in args],
            "kwargs": {k: _to_wire(v) for k, v in kwargs.items()},
            "label": shown_as or function.rpartition(":")[2] + "()",
        }
        return self._ask(message, function, max_reply_bytes)


def _to_wire(value: Any) -> Any:
    if isinstance(value, RemoteObject):
        return wire.Handle(value._handle_id, value._label)
    if isinstance(value, (list, tuple)):
        items = [_to_wire(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    return value


def _from_wire(value: Any, session: LearnerSession, label: str) -> Any:
    if isinstance(value, wire.Handle):
        # "class LinearRegression" / "function LinearRegression.fit" / "LinearRegression" (an instance)
        kind, _, name = value.type_name.partition(" ")
        shown = name if kind in ("class", "function") and name else value.type_name
        return RemoteObject(session, value.id, shown, session.generation)
    if isinstance(value, wire.Tensor):
        import torch

        return torch.from_numpy(value.array).to(getattr(torch, value.dtype)).requires_grad_(value.requires_grad)
    if isinstance(value, list):
        return [_from_wire(v, session, label) for v in value]
    if isinstance(value, tuple):
        return tuple(_from_wire(v, session, label) for v in value)
    if isinstance(value, dict):
        return {k: _from_wire(v, session, label) for k, v in value.items()}
    return value
