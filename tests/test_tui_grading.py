"""Grading from the TUI: the real `grade check` runs in a worker, streams, can be cancelled."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from grading import mutants, package_file
from mldojo.catalogue import load_catalogue
from mldojo.tracker.store import Tracker
from mldojo.tui.app import DojoApp
from mldojo.tui.screens.curriculum import CurriculumScreen
from mldojo.tui.screens.exercise import ExerciseScreen
from mldojo.tui.widgets.check_list import CheckList
from mldojo.tui.widgets.exercise_list import ExerciseList
from mldojo.tui.widgets.grade_log import GradeLog
from mldojo.workspace import find_workspace
from test_tui import SIZE, settle, sync

EXERCISE = "stage1/linreg"


@pytest.fixture()
def course(tmp_path):
    """A workspace made by `grade init`, as a learner makes one."""
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    subprocess.run([sys.executable, "-m", "mldojo.cli", "init", "course"], cwd=tmp_path, env=env, check=True, capture_output=True)
    return find_workspace(tmp_path / "course")


def log_text(screen) -> str:
    return "\n".join(strip.text for strip in screen.query_one(GradeLog).lines)


async def grade_and_wait(pilot, timeout: float = 240.0) -> None:
    await pilot.press("g")
    await settle(pilot, lambda: pilot.app.grading is not None and not pilot.app.grading.running, timeout)
    # The worker reloads the history and tells the screen after the child ended: wait for that too.
    await settle(pilot, lambda: pilot.app.grading.verdict is not None or pilot.app.grading.exit_code not in (0, 1))
    await pilot.pause(0.2)


@sync
async def test_find_the_failure_read_it_fix_it_and_pass_without_leaving(course):
    """The issue's 'done when': a failing exercise, graded again from the UI, passes; progress moves."""
    mutant = next(m for m in mutants(EXERCISE) if m.name == "mse_sum_not_mean")
    learner_file = course.exercise_file(EXERCISE)
    learner_file.write_text(mutant.source)
    app = DojoApp(course, load_catalogue(), poll_interval_s=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert pilot.app.screen.query_one(ExerciseList).highlighted_exercise == EXERCISE
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
        screen = pilot.app.screen
        await grade_and_wait(pilot)
        assert app.grading.exit_code == 1
        await settle(pilot, lambda: "checks passed" in log_text(screen) and "Last attempt: failed" in screen.query_one(CheckList).plain)
        log = log_text(screen)
        assert "✗ mse_is_the_mean_of_squared_errors" in log and "checks passed" in log
        checks = screen.query_one(CheckList).plain
        assert "Last attempt: failed" in checks and "mse_is_the_mean_of_squared_errors" in checks
        assert "sum of squared errors" in checks  # the diagnosis, read without leaving the TUI
        server = app.grade_server.process

        learner_file.write_text(package_file("reference", EXERCISE).read_text())  # the fix
        await grade_and_wait(pilot)
        assert app.grading.exit_code == 0
        assert app.grade_server.process is server and server.returncode is None  # graded warm, by the same server
        await settle(pilot, lambda: "Last attempt: passed" in screen.query_one(CheckList).plain)
        assert "10 of 10 checks passed" in log_text(screen) or "checks passed — passed" in log_text(screen)
        assert "Last attempt: passed" in screen.query_one(CheckList).plain
        assert screen.query_one("#attempts").row_count == 2
        await pilot.press("escape")
        listing = pilot.app.screen.query_one(ExerciseList)
        assert "✓" in str(listing.get_option(EXERCISE).prompt)
        assert " 1/" in str(listing.get_option("stage:stage1").prompt)
    assert server.returncode is not None, "the grading server outlived the app"
    with Tracker.open(course.tracker_path) as tracker:
        assert [a.verdict for a in tracker.attempts(EXERCISE)] == ["passed", "failed"]


@sync
async def test_the_untouched_stub_fails_as_not_implemented(course):
    app = DojoApp(course, load_catalogue(), poll_interval_s=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await grade_and_wait(pilot)  # g from the curriculum opens the exercise and grades it
        assert isinstance(pilot.app.screen, ExerciseScreen) and app.grading.exit_code == 1
        await settle(pilot, lambda: "not implemented" in pilot.app.screen.query_one(CheckList).plain)


@sync
async def test_grading_streams_stays_responsive_and_cancels(course):
    course.exercise_file(EXERCISE).write_text("import time\nprint('loading', flush=True)\ntime.sleep(60)\n")
    app = DojoApp(course, load_catalogue(), poll_interval_s=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "g")
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
        screen = pilot.app.screen
        # the header line arrives while the child is still running: output streams
        await settle(pilot, lambda: "Linear regression" in log_text(screen), timeout=120)
        assert app.grading.running
        started = time.monotonic()
        await pilot.press("escape", "j", "k")  # the UI answers while grading goes on
        assert isinstance(pilot.app.screen, CurriculumScreen) and app.grading.running
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
        assert pilot.app.screen.exercise_id == EXERCISE
        await pilot.press("c")
        assert app.grading.process.interrupted, "the c key did not reach the cancel action"
        await settle(pilot, lambda: not app.grading.running, timeout=120)
        assert time.monotonic() - started < 60  # cancelled, not left to its 60-second sleep
        assert app.grading.exit_code == 130 and "cancelled" in app.grading.outcome
        await settle(pilot, lambda: "cancelled" in str(pilot.app.screen.query_one(GradeLog).border_title))
        # Cancelling ends the grading, not the grader: the next one runs on the same warm server.
        server = app.grade_server.process
        assert server.returncode is None
        course.exercise_file(EXERCISE).write_text(package_file("reference", EXERCISE).read_text())
        await grade_and_wait(pilot)
        assert app.grading.exit_code == 0 and app.grade_server.process is server
    with Tracker.open(course.tracker_path) as tracker:
        assert [a.verdict for a in tracker.attempts(EXERCISE)] == ["passed", "interrupted"]
