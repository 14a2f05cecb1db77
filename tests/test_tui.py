"""The TUI through Textual's Pilot at 80×24: navigation, search, hints, criteria, refresh, problems."""

from __future__ import annotations

import asyncio
import functools

import pytest

from mldojo.tracker.store import Tracker
from mldojo.tui.app import DojoApp
from mldojo.tui.screens.benchmarks import BenchmarksScreen
from mldojo.tui.screens.criteria import CriteriaScreen
from mldojo.tui.screens.curriculum import CurriculumScreen
from mldojo.tui.screens.evidence import EvidenceScreen
from mldojo.tui.screens.exercise import ExerciseScreen
from mldojo.tui.screens.group import GroupScreen
from mldojo.tui.screens.help import HelpScreen, binding_lines
from mldojo.tui.screens.problem import ProblemScreen
from mldojo.tui.widgets.benchmark_table import BenchmarkTable
from mldojo.tui.widgets.check_list import CheckList
from mldojo.tui.widgets.exercise_list import ExerciseList
from mldojo.tui.widgets.view_tabs import ViewTabs
from tui_fixtures import attempt, fixture_catalogue, make_workspace

SIZE = (80, 24)


def sync(test):
    """Run an async test with asyncio.run (the project has no pytest-asyncio); fixtures still apply."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture()
def workspace(tmp_path):
    """The fixture workspace with its known history."""
    return make_workspace(tmp_path / "ws")


def make_app(workspace, **kwargs) -> DojoApp:
    return DojoApp(workspace, fixture_catalogue(), poll_interval_s=kwargs.pop("poll_interval_s", 0.2), **kwargs)


def text_of(widget) -> str:
    """The plain text a Static-like widget is showing."""
    return str(widget.render())


async def settle(pilot, until, timeout: float = 60.0) -> None:
    """Pause until until() is true (the app is polling, a worker is running, a screen is being composed).

    The budget has a wide margin (a 2-core machine at load 8 runs everything several times
    slower): it costs nothing when the app is quick, since this returns as soon as until() holds.
    A widget not mounted yet (NoMatches) counts as "not yet".
    """
    from textual.css.query import NoMatches

    for _ in range(int(timeout / 0.05)):
        try:
            if until():
                return
        except NoMatches:
            pass
        await pilot.pause(0.05)
    raise AssertionError("the app never reached the expected state")


@sync
async def test_opens_on_the_curriculum_with_states(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, CurriculumScreen))
        listing = pilot.app.screen.query_one(ExerciseList)
        prompts = {o.id: str(o.prompt) for o in listing.options}
        assert "✓" in prompts["stage1/linreg"] and "passed" in prompts["stage1/linreg"]
        assert "✗" in prompts["stage1/logreg"] and "failing" in prompts["stage1/logreg"]
        assert "·" in prompts["stage1/knn"] and "not started" in prompts["stage1/knn"]
        assert "!" in prompts["stage1/tree"] and "revealed early" in prompts["stage1/tree"]
        assert "1/4 passed" in prompts["stage:stage1"] and "1/1 passed" in prompts["stage:stage2"]
        assert listing.highlighted_exercise == "stage1/linreg"  # stage headers are skipped


@sync
async def test_arrows_and_j_k_move_and_enter_opens(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        listing = pilot.app.screen.query_one(ExerciseList)
        await pilot.press("j", "j")
        assert listing.highlighted_exercise == "stage1/knn"
        summary = text_of(pilot.app.screen.query_one("#summary"))
        assert "Vote among the closest points" in summary and "✓ stage1/linreg" in summary  # prerequisite shown
        await pilot.press("k", "down", "down", "down")
        assert listing.highlighted_exercise == "stage2/micrograd"  # across the stage header
        await pilot.press("up", "up", "up", "enter")
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen) and pilot.app.screen.exercise_id == "stage1/logreg")
        screen = pilot.app.screen
        await settle(pilot, lambda: "probabilities_match_sklearn" in screen.query_one(CheckList).plain)
        checks = screen.query_one(CheckList).plain
        assert "probabilities_match_sklearn" in checks and "X=[[0.], [1.]]" in checks and "sign flip" in checks
        assert "Fit a logistic regression by gradient descent" in text_of(screen.query_one("#task"))
        assert "1. Probabilities come from a sigmoid." in text_of(screen.query_one("#hints"))
        assert screen.query_one("#attempts").row_count == 1
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(pilot.app.screen, CurriculumScreen))
        assert listing.highlighted_exercise == "stage1/logreg"


@sync
async def test_the_mouse_opens_an_exercise_and_switches_views(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click(ViewTabs, offset=(20, 0))  # on "2 Done when"
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, CriteriaScreen))
        await pilot.click(ViewTabs, offset=(4, 0))  # on "1 Curriculum"
        await pilot.pause()
        listing = pilot.app.screen.query_one(ExerciseList)
        await pilot.click(ExerciseList, offset=(10, 3))  # row 3: stage1/knn
        await pilot.pause()
        assert listing.highlighted_exercise == "stage1/knn"
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen) and pilot.app.screen.exercise_id == "stage1/knn")


@sync
async def test_search_filters_by_name_and_escape_clears(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        listing = pilot.app.screen.query_one(ExerciseList)
        await pilot.press("slash", *"auto")  # matches "Autograd engine" (title), not the id
        ids = [o.id for o in listing.options if not o.disabled]
        assert ids == ["stage2/micrograd"]
        await pilot.press("enter")  # from the search box to the list
        assert pilot.app.focused is listing
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen.exercise_id == "stage2/micrograd"
        await pilot.press("escape", "slash", *"zzz")
        assert not [o for o in listing.options if not o.disabled]
        assert "nothing matches" in str(listing.options[-1].prompt)
        await pilot.press("escape")
        assert len([o for o in listing.options if not o.disabled]) == 5
        assert not pilot.app.screen.query_one("#search").display


@sync
async def test_typing_q_in_the_search_box_searches_instead_of_quitting(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("slash", "q", "g")
        await pilot.pause()
        assert pilot.app.is_running and pilot.app.screen.query_one("#search").value == "qg"
        assert pilot.app.grading is None


@sync
async def test_views_by_number_keys(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await settle(pilot, lambda: isinstance(pilot.app.screen, CriteriaScreen))
        await pilot.press("3")
        await settle(pilot, lambda: isinstance(pilot.app.screen, BenchmarksScreen))
        screen = pilot.app.screen
        table = screen.query_one(BenchmarkTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        # latest 19.0 ms at 2.50× against a target of 3×; best run is the same one
        assert row == ["stage2/micrograd backward", "cpu", "19.0 ms", "19.0 ms", "2.50×", "≤ 3×", "yes"]
        await pilot.press("4")
        await settle(pilot, lambda: isinstance(pilot.app.screen, GroupScreen))
        assert "grade group join" in text_of(pilot.app.screen.query_one("#group"))
        await pilot.press("1")
        await settle(pilot, lambda: isinstance(pilot.app.screen, CurriculumScreen))


@sync
async def test_help_lists_every_binding(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        shown = text_of(pilot.app.screen.query_one("#help Static"))
        for key in ("q", "?", "/", "g", "h", "c", "Esc", "j", "k", "1", "4", "Enter"):
            assert f"  {key} " in shown, key
        for _, rows in binding_lines():
            for _, what in rows:
                assert what in shown
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(pilot.app.screen, CurriculumScreen))


@sync
async def test_hint_is_recorded_like_grade_hint(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")  # stage1/logreg, one hint shown already
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        with Tracker.open(workspace.tracker_path) as tracker:
            assert tracker.hints_shown("stage1/logreg") == 2
        hints = text_of(pilot.app.screen.query_one("#hints"))
        assert "2. The gradient has the same form as before." in hints
        assert "Hints (2 of 4 shown)" in text_of(pilot.app.screen.query_one("#hints-title"))
        await pilot.press("h", "h", "h")  # two more, then "that was every hint"
        await pilot.pause()
        with Tracker.open(workspace.tracker_path) as tracker:
            assert tracker.hints_shown("stage1/logreg") == 4


@sync
async def test_a_self_reported_criterion_is_entered_in_a_form(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        listing = pilot.app.screen.query_one("#criteria")
        assert listing.get_option_at_index(listing.highlighted).id == "stage1::exercises"
        assert "pass stage1/logreg, stage1/knn, stage1/tree" in str(listing.get_option("stage1::exercises").prompt)
        assert "✓" in str(listing.get_option("stage2::micrograd").prompt)  # automatic, ticked
        await pilot.press("enter")  # automatic: nothing to enter
        assert not isinstance(pilot.app.screen, EvidenceScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, EvidenceScreen))
        await pilot.press("enter")  # empty evidence is refused with a reason
        await settle(pilot, lambda: isinstance(pilot.app.screen, EvidenceScreen))
        assert "Write something first" in text_of(pilot.app.screen.query_one("#evidence-error"))
        await pilot.press(*"my notes v2", "enter")
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, CriteriaScreen))
        with Tracker.open(workspace.tracker_path) as tracker:
            (record,) = [c for c in tracker.criteria("stage1") if c.criterion_id == "write-up"]
        assert record.evidence == "my notes v2" and record.kind == "self-reported"
        await settle(pilot, lambda: "my notes v2" in str(listing.get_option("stage1::write-up").prompt))
        await pilot.press("enter", "escape")  # the form can be cancelled
        await pilot.pause()
        await settle(pilot, lambda: isinstance(pilot.app.screen, CriteriaScreen))


@sync
async def test_an_attempt_from_another_terminal_shows_without_a_restart(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        with Tracker.open(workspace.tracker_path) as other_terminal:
            attempt(other_terminal, "stage1/logreg", 90, "passed", [("probabilities_match_sklearn", "passed", "")])
        checks = pilot.app.screen.query_one(CheckList)
        await settle(pilot, lambda: "Last attempt: passed" in checks.plain)
        await pilot.press("escape")
        listing = pilot.app.screen.query_one(ExerciseList)
        assert "passed" in str(listing.get_option("stage1/logreg").prompt)
        assert "2/4 passed" in str(listing.get_option("stage:stage1").prompt)


@sync
async def test_an_empty_workspace_says_what_to_do(tmp_path):
    workspace = make_workspace(tmp_path / "ws", history=False)
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = pilot.app.screen.query_one("#banner")
        assert banner.display and "No attempts yet" in text_of(banner) and "press g" in text_of(banner)
        await pilot.press("enter")
        await pilot.pause()
        assert "Not graded yet" in pilot.app.screen.query_one(CheckList).plain
        await pilot.press("escape", "3")
        await pilot.pause()
        assert "No benchmark results yet" in text_of(pilot.app.screen.query_one("#bench-note"))


@sync
async def test_no_workspace_gets_a_screen_with_the_fix():
    app = DojoApp(None, fixture_catalogue(), problem="no mldojo workspace here. Create one with `grade init course`.")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await settle(pilot, lambda: isinstance(app.screen, ProblemScreen))
        assert "grade init course" in text_of(app.screen.query_one("#problem-message"))
        await pilot.press("1", "g", "r")  # nothing to switch to, nothing to grade, no crash
        await settle(pilot, lambda: isinstance(app.screen, ProblemScreen))
        await pilot.press("q")
    assert app.return_code == 0


@sync
async def test_a_damaged_history_gets_a_screen_then_recovers(tmp_path):
    workspace = make_workspace(tmp_path / "ws")
    good = workspace.tracker_path.read_bytes()
    for suffix in ("-wal", "-shm"):
        workspace.tracker_path.with_name(workspace.tracker_path.name + suffix).unlink(missing_ok=True)
    workspace.tracker_path.write_bytes(b"this is not a database" * 100)
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await settle(pilot, lambda: isinstance(app.screen, ProblemScreen))
        message = text_of(app.screen.query_one("#problem-message"))
        assert "cannot be read" in message and "mv " in message  # the exact command to move it aside
        await asyncio.sleep(0.05)
        workspace.tracker_path.write_bytes(good)  # the learner restored it
        await settle(pilot, lambda: isinstance(app.screen, CurriculumScreen) and app.screen.query(ExerciseList) and app.screen.query_one(ExerciseList).option_count)
        assert "✓" in str(app.screen.query_one(ExerciseList).get_option("stage1/linreg").prompt)


@sync
async def test_a_history_replaced_while_open_gets_the_problem_screen(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        damaged = workspace.tracker_path.with_name("damaged")
        damaged.write_bytes(b"not sqlite at all " * 200)
        for suffix in ("-wal", "-shm"):
            workspace.tracker_path.with_name(workspace.tracker_path.name + suffix).unlink(missing_ok=True)
        damaged.replace(workspace.tracker_path)  # e.g. a bad copy from another machine
        await settle(pilot, lambda: isinstance(app.screen, ProblemScreen) and app.screen.query("#problem-message"))
        assert "cannot be read" in text_of(app.screen.query_one("#problem-message"))
        await pilot.press("r", "question_mark")  # still answers keys, no traceback
        await pilot.pause()
        assert app.is_running


@sync
async def test_t_switches_between_light_and_dark(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        dark = pilot.app.current_theme.dark
        await pilot.press("t")
        assert pilot.app.current_theme.dark is not dark
        await pilot.press("t")
        assert pilot.app.current_theme.dark is dark


@sync
async def test_c_twice_stops_a_grading_that_ignores_ctrl_c(workspace, tmp_path):
    stubborn = tmp_path / "stubborn-grade"  # stands in for a `grade` that hangs after Ctrl-C
    stubborn.write_text("#!/bin/sh\ntrap '' INT\necho 'grading, ignoring Ctrl-C'\nsleep 60\n")
    stubborn.chmod(0o755)
    app = make_app(workspace, python=str(stubborn))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await settle(pilot, lambda: app.grading.lines)
        assert app.grading.lines == ["grading, ignoring Ctrl-C"]
        await pilot.press("c")
        await pilot.pause(0.5)
        assert app.grading.running  # Ctrl-C was ignored
        await pilot.press("c")
        await settle(pilot, lambda: not app.grading.running)
        assert app.grading.outcome == "stopped hard (not recorded)"
