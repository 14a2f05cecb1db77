"""The history read with the standard library's sqlite3: the tracker's rows, without SQLModel.

The TUI reads everything it shows through this (importing SQLModel and SQLAlchemy costs
more than the rest of its start-up together) and opens the SQLModel Tracker only to write
a hint or a criterion. Rows carry the same attribute names and Python types as the
tracker's (aware UTC datetimes, bools); tests/test_tui_edges.py holds the two to the
same answers. Table names are written out here, as in summary.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from .summary import _has_sqlite_content, _holds_history, _query, _translate, BUSY_TIMEOUT_S, SCHEMA_VERSION

TIME_COLUMNS = frozenset({"started_at", "shown_at", "revealed_at", "recorded_at"})
BOOL_COLUMNS = frozenset({"sandboxed", "forced", "passed_before", "met_target", "met"})


class Row(SimpleNamespace):
    """One row: its columns as attributes."""


class HistoryReader:
    """Read-only queries on one history file, over one connection kept open (WAL: it sees every commit)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._tables: set[str] = set()

    @classmethod
    def open(cls, path: Path) -> HistoryReader:
        """A reader on path; a missing or empty file reads as an empty history. TrackerError if it cannot be read."""
        reader = cls(path)
        reader._connect()
        return reader

    def _connect(self) -> None:
        if not _has_sqlite_content(self.path):
            return  # nothing yet: every query answers empty until a first write creates the file
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        except sqlite3.Error as error:
            raise _translate(error, self.path) from error
        try:
            if not _holds_history(connection, self.path, SCHEMA_VERSION):
                connection.close()
                return
            self._tables = {name for (name,) in _query(connection, self.path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _rows(self, table: str, sql: str, parameters: tuple = ()) -> list[Row]:
        if self._connection is None:
            self._connect()  # the file may have been created since
        if self._connection is None or table not in self._tables:
            return []
        try:
            cursor = self._connection.execute(sql, parameters)
            rows = cursor.fetchall()
        except sqlite3.Error as error:  # a TrackerError that names the file, as everywhere else
            raise _translate(error, self.path) from error
        names = [description[0] for description in cursor.description]
        return [Row(**{name: _value(name, value) for name, value in zip(names, row)}) for row in rows]

    # --- the tracker's read methods, same names, same order -------------------------

    def attempts(self, exercise_id: str | None = None, limit: int | None = None) -> list[Row]:
        """Attempts, newest first, optionally for one exercise and at most limit of them."""
        where, parameters = _where(exercise_id=exercise_id)
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        return self._rows("attempt", f"SELECT * FROM attempt{where} ORDER BY started_at DESC, id DESC{tail}", parameters)

    def checks_for(self, attempt_id: int) -> list[Row]:
        """The checks of one attempt, in the order they ran."""
        return self._rows("check_result", "SELECT * FROM check_result WHERE attempt_id = ? ORDER BY position", (attempt_id,))

    def hints_shown(self, exercise_id: str) -> int:
        """How many different hints of an exercise have been shown."""
        rows = self._rows("hint_shown", "SELECT COUNT(DISTINCT hint_index) AS n FROM hint_shown WHERE exercise_id = ?", (exercise_id,))
        return int(rows[0].n) if rows else 0

    def reveals(self, exercise_id: str | None = None) -> list[Row]:
        """Reveals, newest first, optionally for one exercise."""
        where, parameters = _where(exercise_id=exercise_id)
        return self._rows("reveal", f"SELECT * FROM reveal{where} ORDER BY revealed_at DESC, id DESC", parameters)

    def criteria(self, stage_id: str | None = None) -> list[Row]:
        """The latest record of each (stage, criterion), sorted by stage then criterion."""
        where, parameters = _where(stage_id=stage_id)
        history = self._rows("criterion_record", f"SELECT * FROM criterion_record{where} ORDER BY recorded_at, id", parameters)
        latest = {(record.stage_id, record.criterion_id): record for record in history}
        return [latest[key] for key in sorted(latest)]

    def benchmarks(self, exercise_id: str | None = None, benchmark_id: str | None = None) -> list[Row]:
        """Benchmark results, newest first, optionally for one exercise and/or benchmark."""
        where, parameters = _where(exercise_id=exercise_id, benchmark_id=benchmark_id)
        return self._rows("benchmark_result", f"SELECT * FROM benchmark_result{where} ORDER BY recorded_at DESC, id DESC", parameters)

    def training_runs(self, exercise_id: str | None = None, attempt_id: int | None = None) -> list[Row]:
        """Training runs, newest first (none in a history made before the table existed)."""
        where, parameters = _where(exercise_id=exercise_id, attempt_id=attempt_id)
        return self._rows("training_run", f"SELECT * FROM training_run{where} ORDER BY recorded_at DESC, id DESC", parameters)


def _where(**equal: object) -> tuple[str, tuple]:
    """' WHERE a = ? AND b = ?' for the arguments that are not None, and their values."""
    given = {column: value for column, value in equal.items() if value is not None}
    if not given:
        return "", ()
    return " WHERE " + " AND ".join(f"{column} = ?" for column in given), tuple(given.values())


def _value(name: str, value: object) -> object:
    """A column's value with the tracker's Python type."""
    if value is None:
        return None
    if name in TIME_COLUMNS and isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)  # stored as naive UTC text
    if name in BOOL_COLUMNS:
        return bool(value)
    return value
