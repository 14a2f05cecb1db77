"""Snapshots of the main screens at 80×24 against the fixture history (fixed texts and times).

Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
(then look at the SVGs in tests/__snapshots__/test_tui_snapshots/ before committing them).
"""

from __future__ import annotations

import time

import pytest

from mldojo.tui.app import DojoApp
from test_tui import settle
from tui_fixtures import fixture_catalogue, make_workspace

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch):
    """Times are shown in the local zone; pin it so the snapshots match on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def after(*keys: str, until=None, before=None):
    """A run_before that waits for the first screen, presses keys, then waits until until(app) holds.

    Waiting on what the screen shows, not on time: on a loaded machine a snapshot taken after
    a fixed pause can catch a screen half drawn.
    """

    async def run_before(pilot) -> None:
        if before is not None:
            before(pilot)
        await settle(pilot, lambda: _first_screen_drawn(pilot.app))
        if keys:
            await pilot.press(*keys)
        if until is not None:
            await settle(pilot, lambda: until(pilot.app))
        await pilot.pause()

    return run_before


def _first_screen_drawn(app) -> bool:
    from mldojo.tui.screens.curriculum import CurriculumScreen
    from mldojo.tui.screens.problem import ProblemScreen

    if isinstance(app.screen, ProblemScreen):
        return True
    return isinstance(app.screen, CurriculumScreen) and bool(app.screen.query("ExerciseList")) and app.screen.query_one("ExerciseList").option_count > 0


def _screen(name: str):
    return lambda app: type(app.screen).__name__ == name


def _exercise_drawn(app) -> bool:
    return type(app.screen).__name__ == "ExerciseScreen" and bool(app.screen.query_one("#checks").plain)


@pytest.fixture()
def app(tmp_path) -> DojoApp:
    # A long poll interval: the snapshot is taken from the first, complete, drawing.
    return DojoApp(make_workspace(tmp_path / "ws"), fixture_catalogue(), poll_interval_s=60)


def test_curriculum(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after())


def test_curriculum_in_the_light_theme(snap_compare, app):
    def light(pilot):
        pilot.app.theme = "textual-light"

    assert snap_compare(app, terminal_size=SIZE, run_before=after("j", before=light))


def test_a_failing_exercise(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("j", "enter", until=_exercise_drawn))


def test_search(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("slash", "l", "o", "g", until=lambda a: a.screen.query_one("#search").value == "log"))


def test_done_when_criteria(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("2", until=_screen("CriteriaScreen")))


def test_benchmarks(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("3", until=lambda a: _screen("BenchmarksScreen")(a) and a.screen.query_one("#bench-table").row_count > 0))


def test_help(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("question_mark", until=_screen("HelpScreen")))


def test_no_workspace(snap_compare):
    problem = "no mldojo workspace here (/home/ada) or in any folder above it.\n  Create one with `grade init course && cd course`."
    assert snap_compare(DojoApp(None, fixture_catalogue(), problem=problem), terminal_size=SIZE, run_before=after())


@pytest.fixture()
def regressed_app(tmp_path) -> DojoApp:
    from mldojo.tracker.store import Tracker
    from tui_fixtures import write_regression

    workspace = make_workspace(tmp_path / "ws")
    with Tracker.open(workspace.tracker_path) as tracker:
        write_regression(tracker)
    return DojoApp(workspace, fixture_catalogue(), poll_interval_s=60)


def test_a_regression_in_the_curriculum(snap_compare, regressed_app):
    """linreg passed, then failed: failing now (passed before); logreg and knn, which build on it, are flagged."""
    assert snap_compare(regressed_app, terminal_size=SIZE, run_before=after("j"))


def test_a_regressed_exercise(snap_compare, regressed_app):
    """The header says what the last attempt says: no "✓ passed" above "Last attempt: failed"."""
    assert snap_compare(regressed_app, terminal_size=SIZE, run_before=after("enter", until=_exercise_drawn))


def test_the_evidence_form_at_80_columns(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=after("2", "down", "enter", until=_screen("EvidenceScreen")))


def test_the_group_view(snap_compare, app, monkeypatch):
    from test_tui_edges import overview

    monkeypatch.setattr("mldojo.tracker.group.overview.group_overview", lambda workspace, catalogue: overview())
    monkeypatch.setattr("mldojo.tracker.group.repository.is_joined", lambda workspace: True)
    assert snap_compare(app, terminal_size=SIZE, run_before=after("4", until=lambda a: _screen("GroupScreen")(a) and "ada" in a.screen.query_one("#group").plain))
