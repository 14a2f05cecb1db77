"""Verdicts and results of a grading, as plain data (printed, stored, sent as JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not_implemented"
ERROR = "error"
SYNTAX_ERROR = "syntax_error"
FORBIDDEN = "forbidden"
TIMEOUT = "timeout"
CRASHED = "crashed"
EXITED = "exited"
OUT_OF_MEMORY = "out_of_memory"
SKIPPED = "skipped"
INTERRUPTED = "interrupted"

# When checks end differently, the overall verdict is the most serious one present.
SEVERITY = [INTERRUPTED, TIMEOUT, CRASHED, EXITED, OUT_OF_MEMORY, ERROR, FAILED, NOT_IMPLEMENTED, SKIPPED, PASSED]

VERDICT_WORDS = {
    PASSED: "passed",
    FAILED: "failed",
    NOT_IMPLEMENTED: "not implemented yet",
    ERROR: "error in your code",
    SYNTAX_ERROR: "syntax error",
    FORBIDDEN: "forbidden import",
    TIMEOUT: "timeout",
    CRASHED: "crashed",
    EXITED: "exited",
    OUT_OF_MEMORY: "out of memory",
    SKIPPED: "not run",
    INTERRUPTED: "interrupted",
}


ACCURACY_METRIC = "test accuracy"  # what run_training's tasks are judged by; the loss tasks name their loss


def is_loss_metric(metric: str | None) -> bool:
    """True for a loss metric ("dev loss", "validation loss": lower is better); None (recorded before metrics were) is an accuracy."""
    return bool(metric) and metric.endswith("loss")


@dataclass
class CheckOutcome:
    """One check's result: the claim, the verdict, and what the learner should see."""

    name: str
    claim: str
    verdict: str
    duration_s: float = 0.0
    message: str = ""  # what went wrong, in the learner's names
    inputs: str = ""  # the minimal counterexample, one input per line
    diagnosis: str | None = None  # the known mistake the learner's output matches
    traceback: str = ""  # the learner's frames only
    printed: str = ""  # what the learner's code printed, when it matters
    training: dict | None = None  # a training check's TrainingResult.to_dict() (training.py)


@dataclass
class GradeReport:
    """Everything one grading found out."""

    exercise: str
    verdict: str
    checks: list[CheckOutcome] = field(default_factory=list)
    problem: str = ""  # for verdicts reached before any check ran (syntax error, import crash)
    unwritten: list[str] = field(default_factory=list)  # stub functions still to write
    printed: str = ""
    duration_s: float = 0.0
    seed: int | None = None
    file_sha256: str = ""
    grader_version: str = ""
    sandboxed: bool | None = None  # None: no learner process ran (static verdicts)

    @property
    def passed(self) -> bool:
        """True only when every check ran and passed."""
        return self.verdict == PASSED

    @property
    def training(self) -> list[dict]:
        """The training runs of this grading (TrainingResult dicts), in check order."""
        return [c.training for c in self.checks if c.training]

    def counts(self) -> dict[str, int]:
        """How many checks ended with each verdict."""
        counts: dict[str, int] = {}
        for outcome in self.checks:
            counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
        return counts

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        data = asdict(self)
        data["passed"] = self.passed
        data["training"] = self.training
        return data


def overall_verdict(outcomes: list[CheckOutcome]) -> str:
    """PASSED only if there is at least one check and all passed; else the most serious."""
    if not outcomes:
        return ERROR
    verdicts = {o.verdict for o in outcomes}
    if verdicts == {PASSED}:
        return PASSED
    for verdict in SEVERITY:
        if verdict in verdicts and verdict not in (PASSED, SKIPPED):
            return verdict
    return FAILED
