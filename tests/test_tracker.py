"""Tests of the tracker: real SQLite files, concurrent writers, corrupt and too-new histories."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from mldojo.tracker import models, summary
from mldojo.tracker.models import Attempt, CheckResult, Meta
from mldojo.tracker.store import (
    Tracker,
    TrackerCorrupt,
    TrackerError,
    TrackerTooNew,
)
from mldojo.workspace import Workspace

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SHA = "0" * 64


def record(tracker: Tracker, exercise_id: str, verdict: str, started_at: datetime = T0, **extra):
    """Record an attempt with sensible defaults for everything the test does not care about."""
    fields = dict(
        duration_s=1.25,
        grader_version="g1",
        mldojo_version="0.1.0",
        file_sha256=SHA,
        seed=None,
        summary=f"{exercise_id} {verdict}",
        checks=[],
    )
    fields.update(extra)
    return tracker.record_attempt(exercise_id, started_at, verdict=verdict, **fields)


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return Workspace(tmp_path / "workspace", "learner").tracker_path


@pytest.fixture
def tracker(history_path: Path) -> Iterator[Tracker]:
    with Tracker.open(history_path) as opened:
        yield opened


@pytest.fixture
def memory_tracker() -> Iterator[Tracker]:
    """A tracker on an in-memory database, the way SQLModel's docs set up test engines."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine, tables=models.TABLES)
    with Tracker(engine) as opened:
        yield opened


# --- opening --------------------------------------------------------------------------


def test_open_creates_the_folder_and_a_wal_database_stamped_with_the_schema_version(
    tracker: Tracker, history_path: Path
) -> None:
    assert history_path.is_file()
    with sqlite3.connect(history_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(models.SCHEMA_VERSION),
        )
    raw.close()


def test_every_connection_waits_for_locks_and_enforces_foreign_keys(tracker: Tracker) -> None:
    with tracker.engine.connect() as first, tracker.engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(IntegrityError), Session(tracker.engine) as session:
        session.add(CheckResult(attempt_id=999, position=0, name="x", verdict="passed",
                                message="", duration_s=0.0))
        session.commit()


def test_reopening_finds_what_was_written(history_path: Path) -> None:
    with Tracker.open(history_path) as first:
        record(first, "stage1/linreg", "passed")
    with Tracker.open(history_path) as second:
        assert [a.exercise_id for a in second.attempts()] == ["stage1/linreg"]


# --- attempts -------------------------------------------------------------------------


def test_an_attempt_and_its_checks_round_trip(tracker: Tracker) -> None:
    long_message = "\n".join(f"line {i}: expected 1.0, got {i}" for i in range(200))
    checks = [
        ("matches_sklearn", "passed", "", 0.5),
        ("gradient_is_correct", "failed", long_message, 1.5),
        ("handles_empty_input", "error", "ValueError: boom", 0.01),
    ]
    stored = tracker.record_attempt(
        "stage2/mlp", T0, 3.5, "failed", "g7", "0.1.0", "ab" * 32, 2**63 - 1,
        "1 of 3 checks failed", checks,
    )
    (loaded,) = tracker.attempts()
    assert loaded.id == stored.id is not None
    assert (loaded.exercise_id, loaded.started_at, loaded.duration_s, loaded.verdict) == (
        "stage2/mlp", T0, 3.5, "failed",
    )
    assert loaded.started_at.tzinfo is not None
    assert (loaded.grader_version, loaded.mldojo_version, loaded.file_sha256) == (
        "g7", "0.1.0", "ab" * 32,
    )
    assert (loaded.seed, loaded.summary) == (2**63 - 1, "1 of 3 checks failed")
    loaded_checks = tracker.checks_for(stored.id)
    assert [(c.name, c.verdict, c.message, c.duration_s) for c in loaded_checks] == checks
    assert [c.position for c in loaded_checks] == [0, 1, 2]


def test_timestamps_in_other_zones_come_back_as_the_same_instant_in_utc(tracker: Tracker) -> None:
    in_tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    record(tracker, "stage1/linreg", "passed", started_at=in_tokyo)
    (loaded,) = tracker.attempts()
    assert loaded.started_at == T0 and loaded.started_at.utcoffset() == timedelta(0)


def test_naive_timestamps_unknown_verdicts_and_huge_seeds_are_refused(tracker: Tracker) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record(tracker, "stage1/linreg", "passed", started_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="unknown verdict 'pass'"):
        record(tracker, "stage1/linreg", "pass")
    with pytest.raises(ValueError, match="64-bit"):
        record(tracker, "stage1/linreg", "passed", seed=2**64)
    assert tracker.attempts() == []


def test_attempts_come_newest_first_and_can_be_filtered_and_limited(tracker: Tracker) -> None:
    # Written out of time order, so the order proves it follows started_at, not insertion.
    for minutes, exercise in [(2, "a"), (0, "b"), (3, "a"), (1, "a")]:
        record(tracker, f"stage1/{exercise}", "failed", started_at=T0 + timedelta(minutes=minutes))
    starts = [(a.started_at - T0) // timedelta(minutes=1) for a in tracker.attempts()]
    assert starts == [3, 2, 1, 0]
    only_a = tracker.attempts("stage1/a", limit=2)
    assert [(a.exercise_id, a.started_at) for a in only_a] == [
        ("stage1/a", T0 + timedelta(minutes=3)),
        ("stage1/a", T0 + timedelta(minutes=2)),
    ]


def test_latest_verdicts_follow_the_most_recent_attempt_and_passes_are_remembered(
    tracker: Tracker,
) -> None:
    record(tracker, "stage1/a", "passed", started_at=T0)
    record(tracker, "stage1/a", "failed", started_at=T0 + timedelta(minutes=1))
    record(tracker, "stage1/b", "timeout", started_at=T0 + timedelta(minutes=5))
    record(tracker, "stage1/b", "not_implemented", started_at=T0)
    record(tracker, "stage1/c", "failed", started_at=T0)
    record(tracker, "stage1/c", "passed", started_at=T0)  # same instant: the later write wins
    assert tracker.latest_verdicts() == {
        "stage1/a": "failed",
        "stage1/b": "timeout",
        "stage1/c": "passed",
    }
    assert tracker.passed_exercises() == {"stage1/a", "stage1/c"}


def test_the_in_memory_engine_fixture_works_like_a_file(memory_tracker: Tracker) -> None:
    attempt = record(memory_tracker, "stage1/a", "passed", checks=[("c", "passed", "", 0.1)])
    assert memory_tracker.latest_verdicts() == {"stage1/a": "passed"}
    assert [c.name for c in memory_tracker.checks_for(attempt.id)] == ["c"]


# --- hints, reveals, criteria, benchmarks ---------------------------------------------


def test_hints_count_distinct_indexes(tracker: Tracker) -> None:
    for index in (0, 0, 2):
        shown = tracker.record_hint("stage1/a", index)
    assert (shown.exercise_id, shown.hint_index) == ("stage1/a", 2)
    assert shown.shown_at.tzinfo is not None
    assert tracker.hints_shown("stage1/a") == 2
    assert tracker.hints_shown("stage1/b") == 0


def test_reveals_round_trip_newest_first(tracker: Tracker) -> None:
    tracker.record_reveal("stage1/a", forced=False, passed_before=True)
    tracker.record_reveal("stage1/b", forced=True, passed_before=False)
    reveals = tracker.reveals()
    assert [(r.exercise_id, r.forced, r.passed_before) for r in reveals] == [
        ("stage1/b", True, False),
        ("stage1/a", False, True),
    ]
    assert reveals[0].revealed_at >= reveals[1].revealed_at
    assert [r.exercise_id for r in tracker.reveals("stage1/a")] == ["stage1/a"]


def test_the_latest_record_of_each_criterion_counts(tracker: Tracker) -> None:
    tracker.record_criterion("stage2", "mnist_accuracy", "automatic", "97.1% on test")
    tracker.record_criterion("stage1", "explain_bias", "self-reported", "wrote it up")
    tracker.record_criterion("stage2", "mnist_accuracy", "automatic", "98.2% on test")
    latest = tracker.criteria()
    assert [(c.stage_id, c.criterion_id, c.kind, c.evidence) for c in latest] == [
        ("stage1", "explain_bias", "self-reported", "wrote it up"),
        ("stage2", "mnist_accuracy", "automatic", "98.2% on test"),
    ]
    assert [c.evidence for c in tracker.criteria("stage2")] == ["98.2% on test"]
    with pytest.raises(ValueError, match="criterion kind"):
        tracker.record_criterion("stage1", "x", "manual", "")


def test_benchmarks_round_trip_newest_first(tracker: Tracker) -> None:
    environment = {"cpu": "AMD EPYC", "gpu": None, "torch": "2.4.0", "dtype": "float32"}
    first = tracker.record_benchmark(
        exercise_id="stage4/attention", benchmark_id="forward", device="cpu",
        environment=environment, median_s=0.012, spread_s=0.001, baseline_s=0.010,
        ratio=1.2, target_ratio=1.5, gold_ratio=1.1, met_target=True,
        details={"runs": 30},
    )
    tracker.record_benchmark(
        exercise_id="stage4/attention", benchmark_id="backward", device="cuda",
        environment="{}", median_s=0.5, spread_s=0.05,
    )
    assert [b.benchmark_id for b in tracker.benchmarks()] == ["backward", "forward"]
    (loaded,) = tracker.benchmarks("stage4/attention", "forward")
    assert loaded.id == first.id
    assert json.loads(loaded.environment) == environment
    assert json.loads(loaded.details) == {"runs": 30}
    assert (loaded.median_s, loaded.spread_s, loaded.baseline_s, loaded.ratio) == (
        0.012, 0.001, 0.010, 1.2,
    )
    assert (loaded.target_ratio, loaded.gold_ratio, loaded.met_target) == (1.5, 1.1, True)
    (other,) = tracker.benchmarks(benchmark_id="backward")
    assert (other.baseline_s, other.ratio, other.met_target) == (None, None, None)


# --- two `grade` processes at once ----------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from mldojo.tracker.store import Tracker

    path, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    with Tracker.open(path) as tracker:  # both usually race to create the file, too
        print("ready", flush=True)
        while not go.exists():  # then both start writing at the same moment
            time.sleep(0.001)
        for i in range(200):
            checks = [(f"check{j}", "failed", f"{name} {i} {j}", 0.01) for j in range(3)]
            tracker.record_attempt(
                "stage1/" + name, datetime.now(UTC), 0.1, "failed", "g1", "0.1.0",
                "0" * 64, i, f"{name} {i}", checks,
            )
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path, history_path: Path) -> None:
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(history_path), name, str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("left", "right")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    go.touch()
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors

    with Tracker.open(history_path) as tracker:
        attempts = tracker.attempts()
        assert len(attempts) == 400
        spans = []
        for name in ("left", "right"):
            mine = [a for a in attempts if a.exercise_id == "stage1/" + name]
            assert sorted(a.seed for a in mine) == list(range(200))
            spans.append((min(a.started_at for a in mine), max(a.started_at for a in mine)))
        for attempt in attempts:
            messages = [c.message for c in tracker.checks_for(attempt.id)]
            assert messages == [f"{attempt.summary} {j}" for j in range(3)]
    # The two processes were writing during the same time (not one, then the other). The
    # commits themselves may still come out in runs: SQLite's lock is not fair.
    (left_start, left_end), (right_start, right_end) = spans
    assert left_start < right_end and right_start < left_end


# --- files the tracker must not touch -------------------------------------------------


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(0).randbytes(8192))


def _text_file(path: Path) -> None:
    path.write_text("# my notes\nI should finish stage 2 this week.\n" * 20)


def _sqlite_header_then_garbage(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + random.Random(1).randbytes(8192))


def _truncated_history(path: Path) -> None:
    with Tracker.open(path) as tracker:
        for i in range(40):
            record(tracker, f"stage1/e{i}", "failed", checks=[("c", "failed", "x" * 3000, 0.1)])
    whole = path.read_bytes()
    assert not path.with_name(path.name + "-wal").exists()  # everything is in the main file
    path.write_bytes(whole[: len(whole) // 2])


def _someone_elses_database(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.close()


@pytest.mark.parametrize(
    "make_bad_file",
    [_random_bytes, _text_file, _sqlite_header_then_garbage, _truncated_history,
     _someone_elses_database],
)
def test_a_corrupt_history_is_reported_and_left_byte_for_byte_alone(
    history_path: Path, make_bad_file
) -> None:
    history_path.parent.mkdir(parents=True)
    make_bad_file(history_path)
    before = history_path.read_bytes()

    with pytest.raises(TrackerCorrupt) as raised:
        Tracker.open(history_path)
    message = str(raised.value)
    assert str(history_path) in message
    assert "exercise files are untouched" in message
    assert f"mv {history_path} {history_path}.bak" in message
    assert history_path.read_bytes() == before

    for read in (summary.latest_verdicts, summary.passed_exercises):
        with pytest.raises(TrackerCorrupt, match="untouched"):
            read(history_path)
    assert history_path.read_bytes() == before
    assert issubclass(TrackerCorrupt, TrackerError)


def test_after_moving_a_corrupt_file_aside_a_fresh_history_starts(history_path: Path) -> None:
    history_path.parent.mkdir(parents=True)
    _text_file(history_path)
    history_path.rename(history_path.with_name("tracker.sqlite.bak"))
    with Tracker.open(history_path) as tracker:
        assert tracker.attempts() == []


def test_a_history_from_a_newer_mldojo_is_refused_and_left_alone(history_path: Path) -> None:
    with Tracker.open(history_path) as tracker:
        record(tracker, "stage1/a", "passed")
    with sqlite3.connect(history_path) as raw:
        raw.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    raw.close()
    before = history_path.read_bytes()

    with pytest.raises(TrackerTooNew) as raised:
        Tracker.open(history_path)
    message = str(raised.value)
    assert "newer mldojo" in message and "schema 7" in message
    assert f"understands schema {models.SCHEMA_VERSION}" in message
    assert "pip install -U mldojo" in message
    with pytest.raises(TrackerTooNew):
        summary.latest_verdicts(history_path)
    assert history_path.read_bytes() == before


# --- the fast read-only summary -------------------------------------------------------


def test_summary_gives_the_same_answers_as_the_store(tracker: Tracker, history_path: Path) -> None:
    draw = random.Random(3)
    verdicts = sorted(models.VERDICTS)
    for _ in range(300):
        minutes = draw.randrange(50)  # many ties, which both must break the same way
        record(tracker, f"stage{draw.randrange(3)}/e{draw.randrange(8)}", draw.choice(verdicts),
               started_at=T0 + timedelta(minutes=minutes))
    assert summary.latest_verdicts(history_path) == tracker.latest_verdicts()
    assert summary.passed_exercises(history_path) == tracker.passed_exercises()
    assert len(tracker.latest_verdicts()) > 10


def test_summary_of_a_missing_or_empty_history_is_empty(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tracker.sqlite"
    assert summary.latest_verdicts(missing) == {}
    assert summary.passed_exercises(missing) == set()
    assert not missing.parent.exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert summary.latest_verdicts(empty) == {}
    assert empty.read_bytes() == b""


def test_summary_names_match_the_models() -> None:
    # summary.py spells the names out to avoid importing SQLModel; a rename in models.py
    # must break this test rather than `grade list`.
    assert summary.SCHEMA_VERSION == models.SCHEMA_VERSION
    assert summary.ATTEMPT_TABLE == Attempt.__table__.name
    assert set(summary.ATTEMPT_COLUMNS) <= set(Attempt.__table__.columns.keys())
    assert summary.META_TABLE == Meta.__table__.name
    assert set(summary.META_COLUMNS) == set(Meta.__table__.columns.keys())
    assert "passed" in models.VERDICTS  # summary.passed_exercises filters on this literal


def test_importing_the_summary_does_not_import_sqlalchemy() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import mldojo.tracker.summary"],
        capture_output=True, text=True, check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "mldojo.tracker.summary" in imported
    heavy_packages = {"sqlalchemy", "sqlmodel", "pydantic"}
    heavy = {name for name in imported if name.split(".")[0] in heavy_packages}
    assert heavy == set()
