"""What a learner sees when the history cannot be written: `grade` run as a subprocess on a passing solution."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from grading import package_file, place_source
from test_tracker_disk import read_only_mount_command

from mldojo.tracker.store import Tracker
from mldojo.workspace import init_workspace

EXERCISE = "stage1/knn"  # one of the quickest to grade


@pytest.fixture
def workspace(tmp_path):
    """A workspace holding the reference solution of EXERCISE, so grading it passes."""
    made = init_workspace(tmp_path / "learner", [], "learner").workspace
    place_source(EXERCISE, package_file("reference", EXERCISE), made.root)
    return made


def grade(*args: str, prefix: tuple[str, ...] = (), python: tuple[str, ...] = ("-m", "mldojo.cli")) -> subprocess.CompletedProcess:
    """`grade ARGS` as a learner runs it, on a terminal wide enough that no line wraps."""
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run([*prefix, sys.executable, *python, *args], capture_output=True, text=True, timeout=240, env=env)


def assert_passed_with_one_warning(result: subprocess.CompletedProcess, words: str) -> str:
    """The verdict is printed, then a one-line warning containing words; exit code 0; no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "OperationalError" not in output
    assert "passed" in result.stdout
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, output
    assert warnings[0].startswith("warning: this attempt was not recorded: ")
    assert words in warnings[0]
    return warnings[0]


def test_a_pass_on_a_read_only_history_prints_the_verdict_a_warning_and_exits_0(workspace) -> None:
    with Tracker.open(workspace.tracker_path):
        pass  # an existing (empty) history, closed, as after an earlier `grade`
    before = workspace.tracker_path.read_bytes()
    prefix = read_only_mount_command(workspace.tracker_path.parent)
    result = grade(EXERCISE, "--workspace", str(workspace.root), prefix=tuple(prefix))
    warning = assert_passed_with_one_warning(result, "is on a read-only disk or in a read-only folder")
    assert f"make {workspace.tracker_path.parent} and the files in it writable" in warning
    assert workspace.tracker_path.read_bytes() == before


FULL_DISK = textwrap.dedent(
    """
    import sys
    from sqlalchemy import Engine, event

    @event.listens_for(Engine, "connect")
    def full_disk(dbapi_connection, _record):
        # The history may not grow by a single page, as on a full disk (SQLITE_FULL).
        dbapi_connection.execute("PRAGMA max_page_count = 1")

    from mldojo.cli import run
    run()
    """
)


def test_a_pass_on_a_full_disk_prints_the_verdict_a_warning_and_exits_0(workspace) -> None:
    with Tracker.open(workspace.tracker_path) as tracker:
        # One attempt that nearly fills its page: the next one needs a new page, which the "disk" refuses.
        tracker.record_attempt("stage1/linreg", datetime.now(UTC), 1.0, "failed", "1", "0.1.0", "0" * 64, None, "x" * 3850)
    result = grade(EXERCISE, "--workspace", str(workspace.root), python=("-c", FULL_DISK))
    assert_passed_with_one_warning(result, "is full (database or disk is full); free some space on it")
    with Tracker.open(workspace.tracker_path) as tracker:
        assert [a.exercise_id for a in tracker.attempts()] == ["stage1/linreg"]


def test_after_grade_the_main_file_alone_holds_the_attempt_and_whether_it_ran_sandboxed(workspace, tmp_path) -> None:
    result = grade(EXERCISE, "--json", "--workspace", str(workspace.root))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["recorded"] is True
    copy = tmp_path / "backup" / "tracker.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(workspace.tracker_path, copy)  # without -wal and -shm
    with sqlite3.connect(copy) as raw:
        rows = raw.execute("SELECT exercise_id, verdict, sandboxed FROM attempt").fetchall()
    raw.close()
    expected = None if report["sandboxed"] is None else int(report["sandboxed"])
    assert rows == [(EXERCISE, "passed", expected)]
