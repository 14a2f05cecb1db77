"""The learner's history on disk: one SQLite file, written safely by concurrent `grade` runs."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Engine, distinct, event, func
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, SQLModel, col, create_engine, select

from .errors import TrackerCorrupt, TrackerError, TrackerTooNew, TrackerUnavailable, storage_error
from .models import (
    CRITERION_KINDS,
    SCHEMA_VERSION,
    TABLES,
    TRAINING_STATUSES,
    VERDICTS,
    Attempt,
    BenchmarkResult,
    CheckResult,
    CriterionRecord,
    HintShown,
    Meta,
    Reveal,
    TrainingRun,
)
from .summary import SCHEMA_VERSION_KEY, check_history

__all__ = ["Tracker", "TrackerError", "TrackerCorrupt", "TrackerTooNew", "TrackerUnavailable"]

BUSY_TIMEOUT_MS = 10_000
# busy_timeout already waits up to 10 s for the lock; these retries only cover the rare
# "database is locked" that SQLite reports without waiting (e.g. while a checkpoint runs).
LOCK_RETRIES = 3
_WRITE_OPTION = "mldojo_write"  # execution option: this transaction will write
# Columns added to existing tables after schema 1 shipped, each nullable so that an older
# mldojo keeps reading and writing the file (it names its columns; SQLite fills in NULL).
# Tracker.open adds a missing one, which is why SCHEMA_VERSION did not change for them.
# The training_run columns can only be missing where the table exists: a history without the
# table gets it whole, new columns included, on its first training run.
ADDED_COLUMNS = (
    ("attempt", "sandboxed", "BOOLEAN"),
    ("training_run", "metric", "VARCHAR"),
    ("training_run", "loss", "FLOAT"),
)

T = TypeVar("T")
CheckRow = tuple[str, str, str, float]  # (name, verdict, message, duration_s)


class Tracker:
    """Reads and writes one learner's history; every write is one short transaction."""

    def __init__(self, engine: Engine, path: Path | None = None) -> None:
        self.engine = engine
        self.path = path
        self._writer = engine.execution_options(**{_WRITE_OPTION: True})
        self._unsaved_wal = False  # a write whose checkpoint could not run yet

    @classmethod
    def open(cls, path: Path) -> Tracker:
        """Open the history at path, creating it (and its folder) if missing."""
        path = Path(path)
        # Proven readable and not too new before anything writes: a corrupt or newer file
        # must stay byte-for-byte as the learner left it.
        already_initialised = check_history(path, SCHEMA_VERSION)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(path, error) or TrackerError(str(error)) from error
        tracker = cls(_file_engine(path), path)
        try:
            if not already_initialised:
                tracker._initialise()
            tracker._add_missing_columns()
        except BaseException:
            tracker.close()
            raise
        return tracker

    def close(self) -> None:
        """Checkpoint the WAL into the main file if a write left it behind, then close every pooled connection."""
        try:
            if self._unsaved_wal:
                self._checkpoint()
        finally:
            # The last connection of any process to close also checkpoints and removes the WAL.
            self.engine.dispose()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Tracker({str(self.path or self.engine.url)!r})"

    # --- attempts -------------------------------------------------------------------

    def record_attempt(
        self,
        exercise_id: str,
        started_at: datetime,
        duration_s: float,
        verdict: str,
        grader_version: str,
        mldojo_version: str,
        file_sha256: str,
        seed: int | None,
        summary: str,
        checks: Sequence[CheckRow] = (),
        sandboxed: bool | None = None,
    ) -> Attempt:
        """Store one attempt and its checks (in the given order) in a single transaction.

        sandboxed: whether the learner process ran in the sandbox; None when no learner
        process ran (a syntax error) or nobody said.
        """
        _require_known(verdict, VERDICTS, "verdict")
        if seed is not None and not -(2**63) <= seed < 2**63:
            raise ValueError(f"seed {seed} does not fit SQLite's 64-bit integers")
        started_at = _as_utc(started_at)

        def work(session: Session) -> Attempt:
            attempt = Attempt(
                exercise_id=exercise_id,
                started_at=started_at,
                duration_s=duration_s,
                verdict=verdict,
                grader_version=grader_version,
                mldojo_version=mldojo_version,
                file_sha256=file_sha256,
                seed=seed,
                summary=summary,
                sandboxed=sandboxed,
            )
            session.add(attempt)
            session.flush()  # assigns attempt.id, which the checks point to
            for position, (name, check_verdict, message, check_duration_s) in enumerate(checks):
                session.add(
                    CheckResult(
                        attempt_id=attempt.id,
                        position=position,
                        name=name,
                        verdict=check_verdict,
                        message=message,
                        duration_s=check_duration_s,
                    )
                )
            return attempt

        return self._write(work)

    def attempts(self, exercise_id: str | None = None, limit: int | None = None) -> list[Attempt]:
        """Attempts, newest first, optionally for one exercise and at most limit of them."""
        query = select(Attempt).order_by(col(Attempt.started_at).desc(), col(Attempt.id).desc())
        if exercise_id is not None:
            query = query.where(Attempt.exercise_id == exercise_id)
        if limit is not None:
            query = query.limit(limit)
        return self._read(lambda session: list(session.exec(query).all()))

    def checks_for(self, attempt_id: int) -> list[CheckResult]:
        """The checks of one attempt, in the order they ran."""
        query = (
            select(CheckResult)
            .where(CheckResult.attempt_id == attempt_id)
            .order_by(col(CheckResult.position))
        )
        return self._read(lambda session: list(session.exec(query).all()))

    def latest_verdicts(self) -> dict[str, str]:
        """The verdict of the most recent attempt at each exercise."""
        # Same query as summary.latest_verdicts; the tests hold the two to the same answers.
        recency = (
            func.row_number()
            .over(
                partition_by=Attempt.exercise_id,
                order_by=(col(Attempt.started_at).desc(), col(Attempt.id).desc()),
            )
            .label("recency")
        )
        ranked = select(Attempt.exercise_id, Attempt.verdict, recency).subquery()
        query = select(ranked.c.exercise_id, ranked.c.verdict).where(ranked.c.recency == 1)
        return self._read(lambda session: {row[0]: row[1] for row in session.exec(query)})

    def passed_exercises(self) -> set[str]:
        """Every exercise that has ever been passed."""
        query = select(Attempt.exercise_id).where(Attempt.verdict == "passed").distinct()
        return self._read(lambda session: set(session.exec(query).all()))

    # --- hints and reveals ----------------------------------------------------------

    def record_hint(self, exercise_id: str, hint_index: int) -> HintShown:
        """Note that hint number hint_index (0-based) of an exercise was shown."""
        return self._insert(lambda: HintShown(exercise_id=exercise_id, hint_index=hint_index))

    def hints_shown(self, exercise_id: str) -> int:
        """How many different hints of an exercise have been shown."""
        query = select(func.count(distinct(HintShown.hint_index))).where(
            HintShown.exercise_id == exercise_id
        )
        return self._read(lambda session: session.exec(query).one())

    def record_reveal(self, exercise_id: str, forced: bool, passed_before: bool) -> Reveal:
        """Note that the reference solution of an exercise was shown."""
        return self._insert(
            lambda: Reveal(exercise_id=exercise_id, forced=forced, passed_before=passed_before)
        )

    def reveals(self, exercise_id: str | None = None) -> list[Reveal]:
        """Reveals, newest first, optionally for one exercise."""
        query = select(Reveal).order_by(col(Reveal.revealed_at).desc(), col(Reveal.id).desc())
        if exercise_id is not None:
            query = query.where(Reveal.exercise_id == exercise_id)
        return self._read(lambda session: list(session.exec(query).all()))

    # --- stage criteria -------------------------------------------------------------

    def record_criterion(
        self, stage_id: str, criterion_id: str, kind: str, evidence: str
    ) -> CriterionRecord:
        """Record evidence for a stage's criterion; a later record replaces earlier ones."""
        _require_known(kind, CRITERION_KINDS, "criterion kind")
        return self._insert(
            lambda: CriterionRecord(
                stage_id=stage_id, criterion_id=criterion_id, kind=kind, evidence=evidence
            )
        )

    def criteria(self, stage_id: str | None = None) -> list[CriterionRecord]:
        """The latest record of each (stage, criterion), sorted by stage then criterion."""
        query = select(CriterionRecord).order_by(
            col(CriterionRecord.recorded_at), col(CriterionRecord.id)
        )
        if stage_id is not None:
            query = query.where(CriterionRecord.stage_id == stage_id)
        history = self._read(lambda session: list(session.exec(query).all()))
        # Oldest first, so a later record overwrites an earlier one for the same key.
        latest = {(record.stage_id, record.criterion_id): record for record in history}
        return [latest[key] for key in sorted(latest)]

    # --- benchmarks -----------------------------------------------------------------

    def record_benchmark(
        self,
        *,
        exercise_id: str,
        benchmark_id: str,
        device: str,
        environment: Mapping[str, Any] | str,
        median_s: float,
        spread_s: float,
        baseline_s: float | None = None,
        ratio: float | None = None,
        target_ratio: float | None = None,
        gold_ratio: float | None = None,
        met_target: bool | None = None,
        details: Mapping[str, Any] | str = "{}",
    ) -> BenchmarkResult:
        """Store one benchmark result; environment and details are JSON (dicts are encoded)."""
        fields = dict(
            exercise_id=exercise_id,
            benchmark_id=benchmark_id,
            device=device,
            environment=_as_json(environment),
            median_s=median_s,
            spread_s=spread_s,
            baseline_s=baseline_s,
            ratio=ratio,
            target_ratio=target_ratio,
            gold_ratio=gold_ratio,
            met_target=met_target,
            details=_as_json(details),
        )
        return self._insert(lambda: BenchmarkResult(**fields))

    def benchmarks(
        self, exercise_id: str | None = None, benchmark_id: str | None = None
    ) -> list[BenchmarkResult]:
        """Benchmark results, newest first, optionally for one exercise and/or benchmark."""
        query = select(BenchmarkResult).order_by(
            col(BenchmarkResult.recorded_at).desc(), col(BenchmarkResult.id).desc()
        )
        if exercise_id is not None:
            query = query.where(BenchmarkResult.exercise_id == exercise_id)
        if benchmark_id is not None:
            query = query.where(BenchmarkResult.benchmark_id == benchmark_id)
        return self._read(lambda session: list(session.exec(query).all()))

    # --- training runs --------------------------------------------------------------

    def record_training_run(
        self,
        *,
        attempt_id: int,
        exercise_id: str,
        check_name: str,
        dataset: str,
        status: str,
        accuracy: float | None,
        goal: float,
        met: bool,
        wall_s: float,
        epochs: int | None = None,
        device: str = "",
        details: Mapping[str, Any] | str = "{}",
        metric: str | None = None,
        loss: float | None = None,
    ) -> TrainingRun:
        """Store one training run of an attempt (the table is created in older history files)."""
        _require_known(status, TRAINING_STATUSES, "training status")
        fields = dict(
            attempt_id=attempt_id,
            exercise_id=exercise_id,
            check_name=check_name,
            dataset=dataset,
            status=status,
            accuracy=accuracy,
            goal=goal,
            met=met,
            wall_s=wall_s,
            epochs=epochs,
            device=device,
            details=_as_json(details),
            metric=metric,
            loss=loss,
        )

        def work(session: Session) -> TrainingRun:
            # A history made before this table existed: add it inside the same write lock.
            TrainingRun.__table__.create(session.connection(), checkfirst=True)  # type: ignore[attr-defined]
            row = TrainingRun(**fields)
            session.add(row)
            return row

        return self._write(work)

    def training_runs(self, exercise_id: str | None = None, attempt_id: int | None = None) -> list[TrainingRun]:
        """Training runs, newest first, optionally for one exercise or one attempt."""
        query = select(TrainingRun).order_by(col(TrainingRun.recorded_at).desc(), col(TrainingRun.id).desc())
        if exercise_id is not None:
            query = query.where(TrainingRun.exercise_id == exercise_id)
        if attempt_id is not None:
            query = query.where(TrainingRun.attempt_id == attempt_id)
        try:
            return self._read(lambda session: list(session.exec(query).all()))
        except OperationalError as error:
            if "no such table" in str(error.orig):
                return []  # a history from before training runs were recorded
            raise

    # --- transactions ---------------------------------------------------------------

    def _initialise(self) -> None:
        """Create the tables and stamp the schema version, in one transaction."""
        stamp = sqlite_insert(Meta).values(key=SCHEMA_VERSION_KEY, value=str(SCHEMA_VERSION))
        with self._disk_errors():
            with self._writer.begin() as connection:
                # checkfirst (the default) plus the IMMEDIATE lock: a concurrent `grade` that
                # got here first has already created everything and this becomes a no-op.
                SQLModel.metadata.create_all(connection, tables=TABLES)
                connection.execute(stamp.on_conflict_do_nothing(index_elements=["key"]))
        self._checkpoint()

    def _add_missing_columns(self) -> None:
        """Add the columns newer than the history file (ADDED_COLUMNS); a no-op once they exist."""
        with self._disk_errors():
            with self.engine.connect() as connection:
                missing = _missing_columns(connection)
                connection.rollback()
            if not missing:
                return  # the usual case: no write, so a read-only history still opens
            with self._writer.begin() as connection:
                # Asked again under the write lock: a concurrent `grade` may have added them.
                for table, column, sql_type in _missing_columns(connection):
                    connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
        self._checkpoint()

    def _insert(self, make_row: Callable[[], T]) -> T:
        """Insert one freshly made row (made anew on each retry) and return it."""

        def work(session: Session) -> T:
            row = make_row()
            session.add(row)
            return row

        return self._write(work)

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run work in one write transaction, retrying briefly if the database stays locked."""
        for attempt_number in range(LOCK_RETRIES + 1):
            try:
                with self._disk_errors(), Session(self._writer, expire_on_commit=False) as session:
                    result = work(session)
                    session.commit()
                self._checkpoint()
                return result
            except TrackerUnavailable as error:
                cause = error.__cause__
                if attempt_number == LOCK_RETRIES or not (isinstance(cause, OperationalError) and _is_lock_error(cause)):
                    raise
                time.sleep(random.uniform(0.05, 0.2) * 2**attempt_number)
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Session], T]) -> T:
        """Run work in one read transaction; returned objects stay usable after it closes."""
        with self._disk_errors(), Session(self.engine, expire_on_commit=False) as session:
            return work(session)

    def _checkpoint(self) -> None:
        """Copy what the WAL holds into tracker.sqlite, so that the main file alone is the whole history.

        SQLite before 3.51.3 can corrupt a database when a checkpoint starts while another
        connection resets the WAL (https://sqlite.org/wal.html#walresetbug), and checkpointing
        after every write makes that race frequent. Only a writer resets the WAL, so this
        checkpoint runs while this tracker holds the write lock: a PASSIVE checkpoint from a
        second connection then copies every committed frame and nobody can reset the WAL
        under it. Other writers wait no longer than the copy takes. A failure here loses
        nothing (the transaction is already safe in the WAL), so it is not reported.
        """
        if self.path is None or not self.path.exists():
            return  # an in-memory database has no WAL; a vanished file must not be created anew
        self._unsaved_wal = True
        try:
            with self._writer.connect() as lock_holder, self.engine.connect() as checkpointer:
                lock_holder.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock
                try:
                    raw = checkpointer.connection.driver_connection
                    busy, in_wal, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                finally:
                    lock_holder.rollback()
        except (DBAPIError, sqlite3.Error):
            return
        self._unsaved_wal = bool(busy) or copied < in_wal

    @contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """Turn SQLite's disk errors (read-only, full, I/O, locked, corrupt) into TrackerErrors that say what to do."""
        try:
            yield
        except DBAPIError as error:
            problem = storage_error(self.path, error.orig) if self.path is not None else None
            if problem is None:
                raise
            raise problem from error


def _file_engine(path: Path) -> Engine:
    """An engine on path with WAL, foreign keys and a busy timeout on every connection."""
    engine = create_engine(URL.create("sqlite", database=str(path)))

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # SQLAlchemy emits BEGIN itself (see below), so the driver must not.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        _use_wal(dbapi_connection)
        # Safe with WAL: an application crash loses nothing, a power cut at most the last attempt.
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # A writer takes the write lock up front. A deferred transaction that later tries
        # to write fails at once with "database is locked" if another process wrote in
        # between, without waiting for busy_timeout.
        writes = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _use_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode (readers never block the writer), once, whoever gets there first."""
    # Switching the journal mode reports "database is locked" at once, without waiting for
    # busy_timeout, when another process holds a lock: two `grade` runs creating the file
    # together hit this. The mode is stored in the file, so usually it is already WAL.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
        if mode == "wal":
            return
        try:
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if not _is_lock_code(error) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.02))


def _missing_columns(connection: Any) -> list[tuple[str, str, str]]:
    """The ADDED_COLUMNS that the history's tables do not have yet."""
    missing = []
    for table, column, sql_type in ADDED_COLUMNS:
        rows = connection.exec_driver_sql(f"PRAGMA table_info({table})").fetchall()
        if rows and column not in {row[1] for row in rows}:
            missing.append((table, column, sql_type))
    return missing


def _as_utc(moment: datetime) -> datetime:
    """moment in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(UTC)


def _as_json(value: Mapping[str, Any] | str) -> str:
    """JSON text for value, which may already be JSON text."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _require_known(value: str, allowed: frozenset[str], what: str) -> None:
    """Raise ValueError naming the allowed values unless value is one of them."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")


def _is_lock_error(error: OperationalError) -> bool:
    """Whether SQLAlchemy's error is SQLite refusing because another connection holds a lock."""
    return isinstance(error.orig, sqlite3.Error) and _is_lock_code(error.orig)


def _is_lock_code(error: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
