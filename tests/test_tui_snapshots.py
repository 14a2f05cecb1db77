"""Snapshots of the main screens at 80×24 against the fixture history (fixed texts and times).

Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
(then look at the SVGs in tests/__snapshots__/test_tui_snapshots/ before committing them).
"""

from __future__ import annotations

import time

import pytest

from mldojo.tui.app import DojoApp
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


@pytest.fixture()
def app(tmp_path) -> DojoApp:
    # A long poll interval: the snapshot is taken from the first, complete, drawing.
    return DojoApp(make_workspace(tmp_path / "ws"), fixture_catalogue(), poll_interval_s=60)


def test_curriculum(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE)


def test_curriculum_in_the_light_theme(snap_compare, app):
    def light(pilot):
        pilot.app.theme = "textual-light"

    assert snap_compare(app, terminal_size=SIZE, run_before=light, press=["j"])


def test_a_failing_exercise(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["j", "enter"])


def test_search(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["slash", "l", "o", "g"])


def test_done_when_criteria(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["2"])


def test_benchmarks(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["3"])


def test_help(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"])


def test_no_workspace(snap_compare):
    problem = "no mldojo workspace here (/home/ada) or in any folder above it.\n  Create one with `grade init course && cd course`."
    assert snap_compare(DojoApp(None, fixture_catalogue(), problem=problem), terminal_size=SIZE)
