"""Fast read-only view of the history for `grade list`: stdlib sqlite3 only, no SQLModel."""

# `grade list` must start in well under 0.3 s and importing SQLModel alone costs about
# 0.23 s, so this module talks to SQLite directly. Table and column names are written out
# by hand here; tests/test_tracker.py proves they match tracker/models.py.

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import TrackerCorrupt, TrackerError, TrackerTooNew, read_only_place, sqlite_code, storage_error

# Equal to models.SCHEMA_VERSION (a test keeps them in step); importing it would pull in SQLModel.
SCHEMA_VERSION = 1

ATTEMPT_TABLE = "attempt"
ATTEMPT_COLUMNS = ("id", "exercise_id", "started_at", "verdict", "file_sha256", "summary")
HINT_TABLE = "hint_shown"
HINT_COLUMNS = ("exercise_id", "hint_index")
REVEAL_TABLE = "reveal"
REVEAL_COLUMNS = ("exercise_id",)
META_TABLE = "meta"
META_COLUMNS = ("key", "value")
SCHEMA_VERSION_KEY = "schema_version"

BUSY_TIMEOUT_S = 10.0
SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_HEADER_SIZE = 100

_LATEST_VERDICTS_SQL = f"""
    SELECT exercise_id, verdict FROM (
        SELECT exercise_id, verdict,
               ROW_NUMBER() OVER (PARTITION BY exercise_id ORDER BY started_at DESC, id DESC)
                   AS recency
        FROM {ATTEMPT_TABLE}
    ) WHERE recency = 1
"""
_PASSED_EXERCISES_SQL = f"SELECT DISTINCT exercise_id FROM {ATTEMPT_TABLE} WHERE verdict = 'passed'"
_HINTS_SHOWN_SQL = f"SELECT COUNT(DISTINCT hint_index) FROM {HINT_TABLE} WHERE exercise_id = ?"
_REVEALED_SQL = f"SELECT DISTINCT exercise_id FROM {REVEAL_TABLE}"
_LATEST_SUMMARY_SQL = f"SELECT summary FROM {ATTEMPT_TABLE} WHERE exercise_id = ? ORDER BY started_at DESC, id DESC LIMIT 1"
_ATTEMPT_ROWS_SQL = f"SELECT exercise_id, verdict, file_sha256 FROM {ATTEMPT_TABLE} ORDER BY started_at DESC, id DESC"

# An attempt stopped with Ctrl-C (or cancelled in the TUI) says nothing about the code, nor does
# one skipped because a package the exercise requires is missing on this machine (triton): the
# state of an exercise follows its latest attempt that reached a verdict.
UNDECIDED_VERDICTS = frozenset({"interrupted", "skipped"})


@dataclass(frozen=True)
class ExerciseRecord:
    """What the history says about one exercise: enough to tell its state."""

    attempts: int
    latest_verdict: str  # of the newest attempt, interrupted ones included
    decided_verdict: str | None  # of the newest attempt that reached a verdict (None: none did)
    decided_sha256: str  # the file that attempt graded ("" when none did)
    ever_passed: bool
    ran: bool = True  # some attempt ran the code (False when every one was skipped: a package missing)


def records_from_rows(rows: Iterable[tuple[str, str, str]]) -> dict[str, ExerciseRecord]:
    """Each exercise's record from (exercise_id, verdict, file_sha256) rows, newest first.

    The one place that turns attempts into records: `grade list` feeds it rows read here,
    `grade status`, the TUI and the group file feed it the tracker's Attempt rows.
    """
    found: dict[str, dict] = {}
    for exercise_id, verdict, sha256 in rows:
        record = found.get(exercise_id)
        if record is None:
            record = found[exercise_id] = {"attempts": 0, "latest_verdict": verdict, "decided_verdict": None,
                                           "decided_sha256": "", "ever_passed": False, "ran": False}
        record["attempts"] += 1
        if record["decided_verdict"] is None and verdict not in UNDECIDED_VERDICTS:
            record["decided_verdict"], record["decided_sha256"] = verdict, sha256 or ""
        record["ever_passed"] = record["ever_passed"] or verdict == "passed"
        record["ran"] = record["ran"] or verdict != "skipped"
    return {exercise_id: ExerciseRecord(**fields) for exercise_id, fields in found.items()}


def latest_verdicts(path: Path) -> dict[str, str]:
    """The verdict of the most recent attempt at each exercise; empty if there is no history."""
    with read_only_history(path) as connection:
        if connection is None:
            return {}
        return dict(_query(connection, path, _LATEST_VERDICTS_SQL))


def passed_exercises(path: Path) -> set[str]:
    """Every exercise that has ever been passed; empty if there is no history."""
    with read_only_history(path) as connection:
        if connection is None:
            return set()
        return {exercise_id for (exercise_id,) in _query(connection, path, _PASSED_EXERCISES_SQL)}


def exercise_records(path: Path) -> dict[str, ExerciseRecord]:
    """Every attempted exercise's record (see records_from_rows); empty if there is no history."""
    with read_only_history(path) as connection:
        if connection is None:
            return {}
        return records_from_rows(_query(connection, path, _ATTEMPT_ROWS_SQL))


def revealed_exercises(path: Path) -> set[str]:
    """Every exercise whose reference solution was shown; empty if there is no history."""
    with read_only_history(path) as connection:
        if connection is None:
            return set()
        return {exercise_id for (exercise_id,) in _query(connection, path, _REVEALED_SQL)}


def hints_shown(path: Path, exercise_id: str) -> int:
    """How many different hints of an exercise have been shown (0 when there is no history)."""
    with read_only_history(path) as connection:
        if connection is None:
            return 0
        return int(_query(connection, path, _HINTS_SHOWN_SQL, (exercise_id,))[0][0])


def latest_summary(path: Path, exercise_id: str) -> str:
    """The one-line summary of the latest attempt at an exercise ("" when there is none)."""
    with read_only_history(path) as connection:
        if connection is None:
            return ""
        rows = _query(connection, path, _LATEST_SUMMARY_SQL, (exercise_id,))
        return str(rows[0][0]) if rows else ""


def check_history(path: Path, understood: int = SCHEMA_VERSION) -> bool:
    """Raise unless path is usable; True if it already holds a history, False if none exists yet."""
    with read_only_history(path, understood) as connection:
        return connection is not None


@contextmanager
def read_only_history(
    path: Path, understood: int = SCHEMA_VERSION
) -> Iterator[sqlite3.Connection | None]:
    """Yield a read-only connection to a checked history, or None when there is none yet."""
    path = Path(path)
    if not _has_sqlite_content(path):
        yield None
        return
    # mode=ro: nothing below can write to the file, whatever it turns out to contain.
    uri = path.resolve().as_uri() + "?mode=ro"
    if _on_read_only_mount(path) and not path.with_name(path.name + "-wal").exists():
        # SQLite cannot open a WAL database without creating its -shm file unless told the
        # file cannot change, which is true on a read-only mount (and with no WAL to replay).
        uri += "&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as error:
        raise _translate(error, path) from error
    with closing(connection):
        yield connection if _holds_history(connection, path, understood) else None


def _has_sqlite_content(path: Path) -> bool:
    """False for a missing or empty file (a fresh start); raise if it is not SQLite at all."""
    try:
        with path.open("rb") as file:
            header = file.read(SQLITE_HEADER_SIZE)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise TrackerError(f"Cannot read the progress history {path}: {error}") from error
    if not header:
        return False  # SQLite itself treats an empty file as an empty database
    if len(header) < SQLITE_HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        raise TrackerCorrupt(path, "it is not an SQLite database")
    return True


def _holds_history(connection: sqlite3.Connection, path: Path, understood: int) -> bool:
    """Check integrity and schema version; False for a valid database with no tables yet."""
    problems = [row[0] for row in _query(connection, path, "PRAGMA quick_check")]
    if problems != ["ok"]:
        raise TrackerCorrupt(path, f"integrity check failed: {problems[0]}")
    table_rows = _query(connection, path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = {name for (name,) in table_rows}
    if not tables:
        return False  # created but not yet initialised, possibly by a concurrent `grade`
    if META_TABLE not in tables:
        raise TrackerCorrupt(path, "it is an SQLite database but not an mldojo history")
    version_sql = f"SELECT value FROM {META_TABLE} WHERE key = ?"
    rows = _query(connection, path, version_sql, (SCHEMA_VERSION_KEY,))
    try:
        found = int(rows[0][0])
    except (IndexError, ValueError, TypeError):
        raise TrackerCorrupt(path, "its schema version is missing or unreadable") from None
    if found > understood:
        raise TrackerTooNew(path, found, understood)
    return True


def _query(
    connection: sqlite3.Connection, path: Path, sql: str, parameters: tuple = ()
) -> list[tuple]:
    """Run one read query, turning SQLite's errors into tracker errors that name the file."""
    try:
        return connection.execute(sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise _translate(error, path) from error


def _translate(error: sqlite3.Error, path: Path) -> TrackerError:
    """Corruption becomes TrackerCorrupt, a read-only place says so; anything else (locked, unreadable) is a TrackerError."""
    primary_code = sqlite_code(error)
    if primary_code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return TrackerCorrupt(path, str(error))
    if primary_code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY) and read_only_place(path):
        return storage_error(path, error) or TrackerError(str(error))
    return TrackerError(f"Cannot read the progress history {path}: {error}")


def _on_read_only_mount(path: Path) -> bool:
    """Whether the folder holding path is on a file system mounted read-only (nobody can write it)."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False
