"""SQLModel tables of the history: attempts, checks, hints, reveals, criteria, benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Bump when a table or column changes; a history with a larger number is refused
# (TrackerTooNew) rather than half-understood.
SCHEMA_VERSION = 1

VERDICTS = frozenset(
    {
        "passed",
        "failed",
        "not_implemented",
        "error",
        "syntax_error",
        "timeout",
        "crashed",
        "exited",
        "out_of_memory",
        "forbidden",
        "interrupted",
        "skipped",  # the exercise needs a package that is not installed (catalogue `requires`)
    }
)

CRITERION_KINDS = frozenset({"automatic", "self-reported"})

TRAINING_STATUSES = frozenset({"finished", "timeout", "interrupted", "failed"})


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC text and read back timezone-aware."""

    # SQLite has no time zone type: storing every value in UTC with a fixed-width
    # format keeps text order equal to time order, which the read-only summary relies on.
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes (their zone is a guess) and store the UTC wall time."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamps must be timezone-aware, got naive {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach the UTC zone the value was stored in."""
        return None if value is None else value.replace(tzinfo=UTC)


class Attempt(SQLModel, table=True):
    """One run of `grade` on one exercise."""

    __tablename__ = "attempt"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: str = Field(index=True)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    duration_s: float
    verdict: str
    grader_version: str
    mldojo_version: str
    file_sha256: str
    seed: int | None = None
    summary: str
    # Whether the learner process ran in the sandbox; None when no learner process ran (a
    # syntax error) or for attempts recorded before the column existed. Added after schema 1
    # shipped: Tracker.open adds it to older history files (store.ADDED_COLUMNS).
    sandboxed: bool | None = None


class CheckResult(SQLModel, table=True):
    """The verdict of one check within an attempt."""

    __tablename__ = "check_result"

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    position: int
    name: str
    verdict: str
    message: str = Field(sa_type=Text)
    duration_s: float


class HintShown(SQLModel, table=True):
    """A hint the learner asked to see."""

    __tablename__ = "hint_shown"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: str = Field(index=True)
    hint_index: int
    shown_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Reveal(SQLModel, table=True):
    """The learner looked at the reference solution."""

    __tablename__ = "reveal"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: str = Field(index=True)
    revealed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    forced: bool
    passed_before: bool


class CriterionRecord(SQLModel, table=True):
    """Evidence that a stage's "done when" criterion was met."""

    __tablename__ = "criterion_record"

    id: int | None = Field(default=None, primary_key=True)
    stage_id: str = Field(index=True)
    criterion_id: str
    kind: str
    evidence: str = Field(sa_type=Text)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class BenchmarkResult(SQLModel, table=True):
    """One timing benchmark of the learner's code against a baseline."""

    __tablename__ = "benchmark_result"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: str = Field(index=True)
    benchmark_id: str
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    device: str
    environment: str = Field(sa_type=Text)  # JSON: CPU model, GPU, torch version, dtype...
    median_s: float
    spread_s: float
    baseline_s: float | None = None
    ratio: float | None = None
    target_ratio: float | None = None
    gold_ratio: float | None = None
    met_target: bool | None = None
    details: str = Field(default="{}", sa_type=Text)  # JSON


class TrainingRun(SQLModel, table=True):
    """A training task within an attempt: the judge's accuracy or held-out loss, wall time and epochs."""

    # Added after schema 1 shipped without changing its number: a history file made before
    # it gets the table on its first training run (Tracker.record_training_run), and
    # reading a file without it gives no runs. Older mldojo versions ignore the table.
    __tablename__ = "training_run"

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    exercise_id: str = Field(index=True)
    check_name: str
    dataset: str
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    status: str  # "finished" | "timeout" | "interrupted" | "failed"
    accuracy: float | None = None  # scored by the judge; None when the run did not finish
    goal: float
    met: bool
    wall_s: float  # the judge's clock around training + prediction
    epochs: int | None = None  # as the learner's progress callback reported them
    device: str = ""
    details: str = Field(default="{}", sa_type=Text)  # JSON: data source, transfer time, last loss, training loss
    # Added later (store.ADDED_COLUMNS): NULL in rows recorded before, which were all accuracy runs.
    metric: str | None = None  # "test accuracy", or a loss: "dev loss", "validation loss" (goal is then a loss to get down to)
    loss: float | None = None  # the judge's held-out loss for a loss metric; None when the run did not finish


class Meta(SQLModel, table=True):
    """Key/value facts about the history file itself, such as "schema_version"."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


# The tables a history file holds; other SQLModel tables elsewhere in mldojo stay out of it.
TABLES = [
    model.__table__  # type: ignore[attr-defined]
    for model in (Attempt, CheckResult, HintShown, Reveal, CriterionRecord, BenchmarkResult, TrainingRun, Meta)
]
