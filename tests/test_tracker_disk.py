"""The tracker on an unkind disk: read-only, full, failing; the WAL folded into the main file; added columns."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, event

from mldojo.tracker import summary
from mldojo.tracker.errors import TrackerCorrupt, TrackerError, TrackerUnavailable, storage_error
from mldojo.tracker.store import Tracker
from mldojo.workspace import Workspace

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def record(tracker: Tracker, exercise_id: str, verdict: str = "passed", **extra):
    """Record an attempt with defaults for everything the test does not care about."""
    fields = dict(duration_s=1.0, grader_version="g1", mldojo_version="0.1.0", file_sha256="0" * 64,
                  seed=None, summary=f"{exercise_id} {verdict}", checks=[])
    fields.update(extra)
    return tracker.record_attempt(exercise_id, T0, verdict=verdict, **fields)


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return Workspace(tmp_path / "workspace", "learner").tracker_path


def read_only_mount_command(folder: Path) -> list[str]:
    """A command prefix that runs what follows with folder bind-mounted read-only (even root cannot write it).

    chmod does not stop root, who runs the tests in CI; a read-only mount does. The mount
    lives in a private mount namespace (unshare -m) and vanishes with the command.
    """
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to make a read-only mount")
    user_namespace = [] if os.geteuid() == 0 else ["-r"]
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    prefix = ["unshare", *user_namespace, "-m", "sh", "-c", script, "sh", str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", f'! touch "{folder}/.probe" 2>/dev/null'], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr.strip() or 'the mount stayed writable'}")
    return prefix


# --- read-only --------------------------------------------------------------------------


def test_a_write_sqlite_refuses_as_read_only_is_a_tracker_error_that_says_what_to_do(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        record(tracker, "stage1/a")
        # SQLite itself refuses every write (SQLITE_READONLY), which no chmod-proof root bypasses.
        event.listen(tracker.engine, "connect", lambda connection, _: connection.execute("PRAGMA query_only = 1"))
        tracker.engine.dispose()
        with pytest.raises(TrackerUnavailable) as raised:
            record(tracker, "stage1/b")
        assert [a.exercise_id for a in tracker.attempts()] == ["stage1/a"]  # reading still works
    message = str(raised.value)
    assert "read-only" in message and str(history_path) in message
    assert f"make {history_path.parent} and the files in it writable" in message
    assert isinstance(raised.value, TrackerError) and "\n" not in message


READ_ONLY_SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from mldojo.tracker import summary
    from mldojo.tracker.errors import TrackerError
    from mldojo.tracker.store import Tracker

    path = sys.argv[1]
    print("verdicts", summary.latest_verdicts(path))
    try:
        with Tracker.open(path) as tracker:
            tracker.record_attempt("stage1/b", datetime.now(UTC), 1.0, "passed", "g1", "0.1.0", "0" * 64, None, "b")
    except TrackerError as error:
        print(type(error).__name__, error)
    """
)


@pytest.mark.parametrize("history", ["existing", "missing", "no folder"])
def test_a_history_on_a_read_only_mount_is_read_and_writing_it_says_what_to_do(history_path: Path, history: str) -> None:
    history_path.parent.mkdir(parents=True)
    if history == "existing":
        with Tracker.open(history_path) as tracker:
            record(tracker, "stage1/a")
        assert not history_path.with_name("tracker.sqlite-wal").exists()  # closed: no WAL, no -shm
    if history == "no folder":
        history_path.parent.rmdir()  # the workspace is read-only and .mldojo is yet to be made
    prefix = read_only_mount_command(history_path.parent if history != "no folder" else history_path.parent.parent)
    result = subprocess.run([*prefix, sys.executable, "-c", READ_ONLY_SCRIPT, str(history_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    # A WAL history with no -shm beside it is still readable on read-only media (immutable).
    assert lines[0] == ("verdicts {'stage1/a': 'passed'}" if history == "existing" else "verdicts {}")
    assert lines[1].startswith("TrackerUnavailable your history ")
    assert "read-only disk or in a read-only folder" in lines[1] and "writable" in lines[1]
    if history == "no folder":
        assert not history_path.parent.exists()
    else:
        assert os.listdir(history_path.parent) == (["tracker.sqlite"] if history == "existing" else [])


def test_a_folder_that_cannot_be_made_is_a_tracker_error_not_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "workspace"
    blocker.write_text("a file where the workspace folder should be")
    with pytest.raises(TrackerError, match="Not a directory"):
        Tracker.open(blocker / ".mldojo" / "tracker.sqlite")


# --- full disk and I/O errors -------------------------------------------------------------


def fill_the_disk(tracker: Tracker) -> None:
    """From now on the file may not grow, like a full disk (SQLite reports SQLITE_FULL)."""
    # max_page_count cannot go below the file's size: 1 means "exactly as big as it is".
    event.listen(tracker.engine, "connect", lambda connection, _: connection.execute("PRAGMA max_page_count = 1"))
    tracker.engine.dispose()


def test_a_full_disk_is_a_tracker_error_that_says_what_to_do_and_keeps_the_history(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        record(tracker, "stage1/a")
        fill_the_disk(tracker)
        with pytest.raises(TrackerUnavailable) as raised:
            record(tracker, "stage1/b", "failed", checks=[("c", "failed", "x" * 100_000, 0.1)])
    message = str(raised.value)
    assert message == (
        f"the disk holding your history {history_path} is full (database or disk is full); free some space on it"
    )
    with Tracker.open(history_path) as tracker:  # nothing half-written, nothing damaged
        assert [a.exercise_id for a in tracker.attempts()] == ["stage1/a"]
        record(tracker, "stage1/b")


class FailingDisk(sqlite3.Connection):
    """An sqlite3 connection whose every INSERT fails the way a dying disk makes SQLite fail (SQLITE_IOERR_WRITE)."""

    def cursor(self, *args, **kwargs):
        return FailingCursor(self)


class FailingCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        if sql.lstrip().upper().startswith("INSERT"):
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorcode = sqlite3.SQLITE_IOERR_WRITE
            raise error
        return super().execute(sql, parameters)


def test_an_io_error_while_writing_is_a_tracker_error_that_says_what_to_do(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        record(tracker, "stage1/a")
    engine = create_engine(URL.create("sqlite", database=str(history_path)), connect_args={"factory": FailingDisk})
    with Tracker(engine, history_path) as failing:
        with pytest.raises(TrackerUnavailable) as raised:
            record(failing, "stage1/b")
        assert [a.exercise_id for a in failing.attempts()] == ["stage1/a"]
    assert str(raised.value) == (
        f"the disk reported an I/O error on your history {history_path} (disk I/O error); "
        f"check the disk, and that {history_path.parent} still exists"
    )


@pytest.mark.parametrize(
    "error, words",
    [
        (sqlite3.OperationalError("disk I/O error"), "I/O error"),
        (sqlite3.OperationalError("database or disk is full"), "is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.OperationalError("database is locked"), "locked by another program"),
        (sqlite3.DatabaseError("database disk image is malformed"), "cannot be read"),
        (sqlite3.OperationalError("attempt to write a readonly database (moved)"), "moved or deleted while in use"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (OSError(errno.ENOSPC, "No space left on device"), "is full"),
    ],
)
def test_each_disk_error_names_the_file_and_the_fix(tmp_path: Path, error: BaseException, words: str) -> None:
    codes = {"disk I/O error": sqlite3.SQLITE_IOERR_WRITE, "database or disk is full": sqlite3.SQLITE_FULL,
             "attempt to write a readonly database": sqlite3.SQLITE_READONLY, "database is locked": sqlite3.SQLITE_BUSY,
             "database disk image is malformed": sqlite3.SQLITE_CORRUPT,
             "attempt to write a readonly database (moved)": sqlite3.SQLITE_READONLY_DBMOVED}
    if isinstance(error, sqlite3.Error):
        error.sqlite_errorcode = codes[str(error)]
    path = tmp_path / ".mldojo" / "tracker.sqlite"
    translated = storage_error(path, error)
    assert isinstance(translated, TrackerError)
    assert words in str(translated) and str(path) in str(translated)
    assert isinstance(translated, TrackerCorrupt) == ("malformed" in str(error))


def test_a_mistake_in_sql_is_not_dressed_up_as_a_disk_problem(tmp_path: Path) -> None:
    error = sqlite3.OperationalError("no such table: nowhere")
    error.sqlite_errorcode = sqlite3.SQLITE_ERROR
    assert storage_error(tmp_path / "tracker.sqlite", error) is None


# --- the WAL is folded into tracker.sqlite ---------------------------------------------------

WRITE_THEN_VANISH = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from mldojo.tracker.store import Tracker

    tracker = Tracker.open(sys.argv[1])
    tracker.record_attempt("stage1/knn", datetime.now(UTC), 1.0, "passed", "g1", "0.1.0", "0" * 64, 7, "kept", sandboxed=False)
    tracker.record_hint("stage1/knn", 0)
    os._exit(0)  # like `grade`: no close, no interpreter teardown
    """
)


def copied_alone(history_path: Path, tmp_path: Path) -> Path:
    """A copy of tracker.sqlite without its -wal and -shm, as a backup tool or `cp` would take it."""
    copy = tmp_path / "elsewhere" / "tracker.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(history_path, copy)
    return copy


def test_the_main_file_alone_holds_every_write_even_when_the_process_never_closes(history_path: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", WRITE_THEN_VANISH, str(history_path)], check=True, timeout=60)
    assert history_path.with_name("tracker.sqlite-wal").exists()  # left behind, yet not needed
    copy = copied_alone(history_path, tmp_path)
    with sqlite3.connect(copy) as raw:
        assert raw.execute("SELECT exercise_id, seed, summary, sandboxed FROM attempt").fetchall() == [("stage1/knn", 7, "kept", 0)]
        assert raw.execute("SELECT exercise_id, hint_index FROM hint_shown").fetchall() == [("stage1/knn", 0)]
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()


def test_after_a_tracker_closes_the_main_file_is_the_whole_history(history_path: Path, tmp_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        for i in range(30):
            record(tracker, f"stage1/e{i}", checks=[("c", "passed", "y" * 2000, 0.1)])
    assert not history_path.with_name("tracker.sqlite-wal").exists()
    copy = copied_alone(history_path, tmp_path)
    with sqlite3.connect(copy) as raw:
        assert raw.execute("SELECT count(*) FROM attempt").fetchone() == (30,)
        assert raw.execute("SELECT count(*) FROM check_result").fetchone() == (30,)
    raw.close()


# --- the sandboxed column ------------------------------------------------------------------


def test_whether_an_attempt_ran_sandboxed_round_trips(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        for exercise_id, sandboxed in (("stage1/a", True), ("stage1/b", False), ("stage1/c", None)):
            record(tracker, exercise_id, sandboxed=sandboxed)
        record(tracker, "stage1/d")  # callers that do not know about it
        assert {a.exercise_id: a.sandboxed for a in tracker.attempts()} == {
            "stage1/a": True, "stage1/b": False, "stage1/c": None, "stage1/d": None,
        }


def make_history_from_before_the_column(path: Path) -> None:
    """A history file as an mldojo without the sandboxed column left it, with one attempt."""
    with Tracker.open(path) as tracker:
        record(tracker, "stage1/old")
    with sqlite3.connect(path) as raw:
        raw.execute("ALTER TABLE attempt DROP COLUMN sandboxed")
    raw.close()


def test_an_older_history_gains_the_column_and_keeps_its_attempts(history_path: Path) -> None:
    make_history_from_before_the_column(history_path)
    with Tracker.open(history_path) as tracker:
        assert [(a.exercise_id, a.sandboxed) for a in tracker.attempts()] == [("stage1/old", None)]
        record(tracker, "stage1/new", sandboxed=False)
    with sqlite3.connect(history_path) as raw:
        assert raw.execute("SELECT exercise_id, sandboxed FROM attempt ORDER BY id").fetchall() == [
            ("stage1/old", None), ("stage1/new", 0),
        ]
        # An older mldojo names its columns when it writes: the new column simply stays NULL.
        raw.execute(
            "INSERT INTO attempt (exercise_id, started_at, duration_s, verdict, grader_version, mldojo_version,"
            " file_sha256, seed, summary) VALUES ('stage1/older', '2025-03-01 12:00:00.000000', 1, 'passed', 'g', '0', '', NULL, 's')"
        )
    raw.close()
    assert summary.latest_verdicts(history_path)["stage1/older"] == "passed"
    with Tracker.open(history_path) as tracker:
        assert {a.exercise_id: a.sandboxed for a in tracker.attempts()}["stage1/older"] is None


def test_two_processes_opening_an_older_history_at_once_add_the_column_once(history_path: Path) -> None:
    make_history_from_before_the_column(history_path)
    opener = "import sys; from mldojo.tracker.store import Tracker; Tracker.open(sys.argv[1]).close()"
    openers = [subprocess.Popen([sys.executable, "-c", opener, str(history_path)], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in openers:
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
    with sqlite3.connect(history_path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(attempt)")]
    raw.close()
    assert columns.count("sandboxed") == 1


# --- the training_run metric and loss columns --------------------------------------------------

# training_run as an mldojo from before loss runs created it: no metric, no loss.
OLD_TRAINING_RUN = """CREATE TABLE training_run (
    id INTEGER NOT NULL, attempt_id INTEGER NOT NULL, exercise_id VARCHAR NOT NULL, check_name VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL, recorded_at DATETIME NOT NULL, status VARCHAR NOT NULL, accuracy FLOAT, goal FLOAT NOT NULL,
    met BOOLEAN NOT NULL, wall_s FLOAT NOT NULL, epochs INTEGER, device VARCHAR NOT NULL, details TEXT NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(attempt_id) REFERENCES attempt (id))"""


def record_loss_run(tracker: Tracker, attempt_id: int):
    """A finished stage2/makemore_mlp run, judged by its dev loss."""
    return tracker.record_training_run(
        attempt_id=attempt_id, exercise_id="stage2/makemore_mlp", check_name="train_reaches_a_dev_loss_of_2_20",
        dataset="names.txt", status="finished", accuracy=None, goal=2.20, met=True, wall_s=118.2, device="cpu, 1 thread",
        details={"train_loss": 2.09, "n_test": 22655}, metric="dev loss", loss=2.1534,
    )


def test_a_loss_run_round_trips_beside_an_accuracy_run(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        attempt = record(tracker, "stage2/makemore_mlp")
        record_loss_run(tracker, attempt.id)
        tracker.record_training_run(  # a caller that does not know about metrics
            attempt_id=attempt.id, exercise_id="stage2/mlp", check_name="reaches", dataset="MNIST", status="finished",
            accuracy=0.985, goal=0.98, met=True, wall_s=41.0, epochs=8,
        )
        runs = {run.exercise_id: run for run in tracker.training_runs()}
    loss, accuracy = runs["stage2/makemore_mlp"], runs["stage2/mlp"]
    assert (loss.metric, loss.loss, loss.accuracy, loss.goal, loss.met) == ("dev loss", 2.1534, None, 2.20, True)
    assert (accuracy.metric, accuracy.loss, accuracy.accuracy) == (None, None, 0.985)


def test_an_older_history_gains_the_metric_and_loss_columns_and_keeps_its_runs(history_path: Path) -> None:
    from rich.console import Console

    from mldojo.render import training_history_table
    from mldojo.tracker.reader import HistoryReader

    with Tracker.open(history_path) as tracker:
        attempt = record(tracker, "stage2/mlp")
    with sqlite3.connect(history_path) as raw:
        raw.execute("DROP TABLE training_run")
        raw.execute(OLD_TRAINING_RUN)
        raw.execute(
            "INSERT INTO training_run (attempt_id, exercise_id, check_name, dataset, recorded_at, status, accuracy, goal, met,"
            " wall_s, epochs, device, details) VALUES (?, 'stage2/mlp', 'reaches', 'MNIST', '2025-03-01 12:00:00.000000',"
            " 'finished', 0.985, 0.98, 1, 41.0, 8, 'cpu', '{}')", (attempt.id,),
        )
    raw.close()
    # Read as it is (the TUI's reader never writes): `grade history` shows the old run as before.
    reader = HistoryReader.open(history_path)
    out = Console(record=True, width=160)
    training_history_table(out, "stage2/mlp", reader.training_runs())
    reader.close()
    assert "98.50% (98%)" in out.export_text()
    with Tracker.open(history_path) as tracker:
        (old,) = tracker.training_runs()
        assert (old.accuracy, old.epochs, old.metric, old.loss) == (0.985, 8, None, None)
        record_loss_run(tracker, attempt.id)
        assert [(r.metric, r.loss, r.accuracy) for r in tracker.training_runs()] == [("dev loss", 2.1534, None), (None, None, 0.985)]
    with sqlite3.connect(history_path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(training_run)")]
    raw.close()
    assert columns[-2:] == ["metric", "loss"] and len(columns) == 16


def test_a_history_without_the_training_run_table_gets_it_with_the_new_columns(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        attempt = record(tracker, "stage2/makemore_mlp")
    with sqlite3.connect(history_path) as raw:
        raw.execute("DROP TABLE training_run")  # made before training runs were recorded: no columns to add
    raw.close()
    with Tracker.open(history_path) as tracker:
        assert tracker.training_runs() == []
        record_loss_run(tracker, attempt.id)
        (run,) = tracker.training_runs()
    assert (run.metric, run.loss) == ("dev loss", 2.1534)
