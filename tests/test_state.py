"""State that tells the truth: a pass followed by a failure is *failing now (passed before)*
in `grade list`, `grade status`, the TUI and the group file alike, and a broken prerequisite
is flagged on the exercises that build on it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from mldojo.catalogue import load_catalogue
from mldojo.progress import (
    FAILING, NOT_STARTED, PASSED, REGRESSED, compute_status, current_exercise, exercise_state, exercise_states, next_after,
)
from mldojo.tracker import summary
from mldojo.tracker.group.summary import build_member_file
from mldojo.tracker.models import Attempt, HintShown, Reveal
from mldojo.tracker.store import Tracker
from mldojo.workspace import init_workspace

CATALOGUE = load_catalogue()
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SHA = "a" * 64


def record(tracker: Tracker, exercise_id: str, minute: int, verdict: str, sha: str = SHA) -> None:
    tracker.record_attempt(exercise_id, T0 + timedelta(minutes=minute), 1.0, verdict, "1", "0.1.0", sha, None,
                           "10/10 checks passed" if verdict == "passed" else "9/10 checks passed")


@pytest.fixture()
def workspace(tmp_path):
    """A workspace where linreg passes, tree passed then broke, forest (on tree) passed, knn only failed,
    logreg passed and was then interrupted."""
    made = init_workspace(tmp_path / "course", [e.id for e in CATALOGUE.exercises], "ada").workspace
    with Tracker.open(made.tracker_path) as tracker:
        record(tracker, "stage1/linreg", 0, "passed")
        record(tracker, "stage1/tree", 1, "passed")
        record(tracker, "stage1/forest", 2, "passed")
        record(tracker, "stage1/tree", 3, "failed")
        record(tracker, "stage1/knn", 4, "not_implemented")
        record(tracker, "stage1/logreg", 5, "passed")
        record(tracker, "stage1/logreg", 6, "interrupted")  # Ctrl-C decides nothing
    return made


EXPECTED = {"stage1/linreg": PASSED, "stage1/tree": REGRESSED, "stage1/forest": PASSED, "stage1/knn": FAILING,
            "stage1/logreg": PASSED, "stage1/ridge_lasso": NOT_STARTED}


def grade(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    env.update(NO_COLOR="1", COLUMNS="120")
    return subprocess.run([sys.executable, "-m", "mldojo.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_state_follows_the_latest_attempt_with_a_verdict():
    rows = [("a", "failed", "2"), ("a", "passed", "1"), ("b", "interrupted", "4"), ("b", "passed", "3"), ("c", "interrupted", "5")]
    records = summary.records_from_rows(rows)  # newest first
    assert exercise_state(records["a"]) == REGRESSED
    assert records["a"].decided_sha256 == "2" and records["a"].attempts == 2
    assert exercise_state(records["b"]) == PASSED and records["b"].latest_verdict == "interrupted"
    assert exercise_state(records["c"]) == FAILING  # tried, never decided


def test_attempts_skipped_for_a_missing_package_leave_an_exercise_not_started():
    rows = [("a", "skipped", "2"), ("a", "skipped", "1"), ("b", "skipped", "4"), ("b", "failed", "3"),
            ("c", "skipped", "6"), ("c", "passed", "5")]
    records = summary.records_from_rows(rows)  # newest first
    assert exercise_state(records["a"]) == NOT_STARTED and records["a"].attempts == 2
    assert exercise_state(records["b"]) == FAILING
    assert exercise_state(records["c"]) == PASSED
    assert exercise_state(None) == NOT_STARTED


def test_the_fast_reader_and_the_tracker_agree(workspace):
    fast = exercise_states(CATALOGUE, summary.exercise_records(workspace.tracker_path))
    with Tracker.open(workspace.tracker_path) as tracker:
        stages = compute_status(CATALOGUE, tracker, workspace)
    full = {e.id: e.state for stage in stages for e in stage.exercises}
    assert fast == full
    assert {k: full[k] for k in EXPECTED} == EXPECTED


def test_a_regressed_prerequisite_is_flagged_on_what_builds_on_it(workspace):
    with Tracker.open(workspace.tracker_path) as tracker:
        statuses = {e.id: e for stage in compute_status(CATALOGUE, tracker) for e in stage.exercises}
    assert statuses["stage1/forest"].regressed_prerequisites == ["stage1/tree"]
    assert "builds on stage1/tree, which fails now" in statuses["stage1/forest"].notes()
    assert statuses["stage1/boosting"].regressed_prerequisites == ["stage1/tree"]
    assert statuses["stage1/linreg"].regressed_prerequisites == []


def test_a_criterion_counts_what_passes_now(tmp_path):
    made = init_workspace(tmp_path / "course", [], "ada").workspace
    with Tracker.open(made.tracker_path) as tracker:
        record(tracker, "stage2/micrograd", 0, "passed")
        met = {c.id: c.met for s in compute_status(CATALOGUE, tracker) for c in s.criteria if s.id == "stage2"}
        record(tracker, "stage2/micrograd", 1, "failed")
        now = {c.id: c.met for s in compute_status(CATALOGUE, tracker) for c in s.criteria if s.id == "stage2"}
    assert met["micrograd"] and not now["micrograd"]


def test_the_current_exercise_is_the_first_that_does_not_pass():
    ids = [e.id for e in CATALOGUE.exercises]
    states = {i: PASSED for i in ids}
    assert current_exercise(CATALOGUE, states) is None
    states["stage1/tree"] = REGRESSED
    states["stage2/mlp"] = FAILING
    assert current_exercise(CATALOGUE, states).id == "stage1/tree"
    assert current_exercise(CATALOGUE, states, passed_now="stage1/tree").id == "stage2/mlp"
    assert next_after(CATALOGUE, states, "stage1/tree").id == "stage2/mlp"
    assert next_after(CATALOGUE, states, "stage2/mlp").id == "stage1/tree"  # wraps round
    assert next_after(CATALOGUE, {i: PASSED for i in ids}, "stage1/linreg") is None


def test_an_edit_after_grading_is_flagged_not_judged(workspace):
    path = workspace.exercise_file("stage1/linreg")
    with Tracker.open(workspace.tracker_path) as tracker:
        record(tracker, "stage1/linreg", 10, "passed", sha=summary_sha(path))
        status = {e.id: e for s in compute_status(CATALOGUE, tracker, workspace) for e in s.exercises}["stage1/linreg"]
        assert status.edited_since_graded is False and status.notes() == []
        path.write_text(path.read_text() + "\n# an edit\n")
        status = {e.id: e for s in compute_status(CATALOGUE, tracker, workspace) for e in s.exercises}["stage1/linreg"]
    assert status.state == PASSED and status.edited_since_graded is True and status.notes() == ["edited since graded"]


def summary_sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_status_and_next_agree(workspace):
    listed = json.loads(grade("list", "--json", cwd=workspace.root).stdout)
    status = json.loads(grade("status", "--json", cwd=workspace.root).stdout)
    following = json.loads(grade("next", "--json", cwd=workspace.root).stdout)
    from_list = {e["id"]: e["state"] for s in listed["stages"] for e in s["exercises"]}
    from_status = {e["id"]: e["state"] for s in status["stages"] for e in s["exercises"]}
    assert from_list == from_status
    assert {k: from_list[k] for k in EXPECTED} == EXPECTED
    assert listed["current"] == status["current"] == following["current"]["id"] == "stage1/ridge_lasso"
    text = grade("list", cwd=workspace.root).stdout
    assert "✗ stage1/tree" in text and "failing now (passed before)" in text
    assert "builds on stage1/tree, which fails now" in text.split("stage1/forest", 1)[1].splitlines()[0]
    assert "Next: grade stage1/ridge_lasso" in text
    status_text = grade("status", cwd=workspace.root).stdout
    assert "failing now (passed before)" in status_text and "stage1/forest: builds on stage1/tree, which fails now" in status_text


def test_the_group_file_shares_only_what_passes_now(workspace):
    with Tracker.open(workspace.tracker_path) as tracker:
        member = build_member_file(workspace, CATALOGUE, tracker)
    shared = {e.id for e in member.exercises}
    assert shared == {"stage1/linreg", "stage1/forest", "stage1/logreg"}
    assert member.format_version() == 1  # the format an older mldojo reads


def test_the_tui_shows_the_same_states(workspace):
    from mldojo.tui.app import DojoApp
    from mldojo.tui.screens.exercise import ExerciseScreen
    from mldojo.tui.widgets.check_list import CheckList
    from mldojo.tui.widgets.exercise_list import ExerciseList

    async def scenario():
        app = DojoApp(workspace, CATALOGUE, poll_interval_s=60)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            listing = app.screen.query_one(ExerciseList)
            prompts = {o.id: str(o.prompt) for o in listing.options if o.id}
            assert "✗" in prompts["stage1/tree"] and "failing now (passed before)" in prompts["stage1/tree"]
            assert "passed !" in prompts["stage1/forest"]  # flagged: its prerequisite broke
            listing.highlight_exercise("stage1/tree")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ExerciseScreen)
            title = str(app.screen.query_one("#title").render())
            assert "failing now (passed before)" in title and "✓ passed" not in title
            assert "Last attempt: failed" in app.screen.query_one(CheckList).plain

    asyncio.run(scenario())


def test_the_fast_reader_names_the_tables_it_reads():
    assert summary.HINT_TABLE == HintShown.__table__.name
    assert set(summary.HINT_COLUMNS) <= set(HintShown.__table__.columns.keys())
    assert summary.REVEAL_TABLE == Reveal.__table__.name
    assert set(summary.REVEAL_COLUMNS) <= set(Reveal.__table__.columns.keys())
    assert set(summary.ATTEMPT_COLUMNS) <= set(Attempt.__table__.columns.keys())
