"""What can happen to a request sent to the learner process, as exceptions the judge raises.

Ordinary learner errors are `Exception`s so Hypothesis can shrink the input that caused
them. A stub that is not written yet, and a process that is gone, are `BaseException`s:
they must stop the check at once instead of being shrunk (Hypothesis re-raises them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SIGNAL_NAMES = {4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}


class LearnerRaised(Exception):
    """The learner's code raised an ordinary exception."""

    def __init__(self, info: dict):
        self.info = info
        super().__init__(f"{info.get('type')}: {info.get('message')}")

    @property
    def type_name(self) -> str:
        """The exception's class name, e.g. 'ValueError'."""
        return str(self.info.get("type"))

    def headline(self) -> str:
        """The exception line alone, e.g. 'ValueError: bad shape' (no paths: the same wherever the file lies)."""
        return f"{self.info.get('type')}: {self.info.get('message')}"

    def describe(self) -> str:
        """The learner's traceback (their frames only) and the exception line."""
        tb = self.info.get("traceback") or ""
        head = f"{self.info.get('type')}: {self.info.get('message')}"
        return (f"Traceback (your code):\n{tb}{head}" if tb else head).rstrip()


class NotImplementedYet(BaseException):
    """The learner's code raised NotImplementedError: that part is still a stub."""

    def __init__(self, info: dict):
        self.info = info
        super().__init__(info.get("qualname") or info.get("function") or "?")

    @property
    def function(self) -> str:
        """The learner's function that is not written yet, e.g. 'LinearRegression.fit'."""
        return str(self.info.get("qualname") or self.info.get("function") or self.info.get("during"))


@dataclass
class LearnerGone(BaseException):
    """The learner process stopped answering: timeout, crash, exit, or out of memory."""

    kind: str  # "timeout" | "crashed" | "exited" | "out_of_memory"
    detail: str
    during: str
    output: str = ""
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.detail} ({self.during})"


@dataclass
class ImportFailed(Exception):
    """The learner's module could not be imported; `kind` names the verdict."""

    kind: str  # "syntax_error" | "error" | "forbidden" | "not_implemented"
    detail: str
    output: str = ""

    def __str__(self) -> str:
        return self.detail


def signal_name(number: int) -> str:
    """'SIGSEGV' for 11, and so on; 'signal N' for the rest."""
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return SIGNAL_NAMES.get(number, f"signal {number}")
