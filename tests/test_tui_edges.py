"""The TUI's rough edges, one test each: hints beside the log, task text wrapped once, the evidence
form at 80 columns, the group table and its sync key, the footer's l, one word per verdict, a
lone benchmark run, plurals, and a start-up that reads the history without SQLModel."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rich.console import Console

from mldojo.tracker.group.overview import GroupOverview, MemberRow
from mldojo.tracker.reader import HistoryReader
from mldojo.tracker.store import Tracker
from mldojo.tui.app import GradeRun
from mldojo.tui.data import reflow
from mldojo.tui.screens.evidence import EvidenceScreen
from mldojo.tui.screens.exercise import ExerciseScreen
from mldojo.tui.screens.group import GroupScreen
from mldojo.tui.widgets.attempt_table import AttemptTable
from mldojo.tui.widgets.check_list import CheckList
from mldojo.tui.widgets.exercise_list import ExerciseList
from mldojo.tui.widgets.group_panel import compact_view
from mldojo.words import plural
from test_tui import SIZE, make_app, settle, sync, text_of
from tui_fixtures import T0, attempt, make_workspace


@pytest.fixture()
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws")


def footer_text(screen) -> str:
    return " ".join(str(key.render()) for key in screen.query("FooterKey"))


@sync
async def test_a_hint_shows_in_the_hints_section_not_over_the_log(workspace):
    async with make_app(workspace).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("j", "enter", "h")
        await settle(pilot, lambda: "2. The gradient has the same form as before." in text_of(pilot.app.screen.query_one("#hints")))
        assert not list(pilot.app._notifications), "the hint is not a pop-up over the grading log"
        pilot.app.notify("any other message")
        await settle(pilot, lambda: pilot.app.screen.query("ToastRack"))
        assert pilot.app.screen.query_one("ToastRack").styles.dock == "top"  # pop-ups stay clear of the log at the bottom


def test_the_task_is_wrapped_once():
    text = ("A first paragraph that the author\nwrapped by hand at seventy columns.\n\n"
            "1. an item that goes on\n   over two lines\n2. a second item\n\n"
            "    code = stays(as, it, is)\n    and = so(does, this)")
    assert reflow(text) == ("A first paragraph that the author wrapped by hand at seventy columns.\n\n"
                            "1. an item that goes on over two lines\n2. a second item\n\n"
                            "    code = stays(as, it, is)\n    and = so(does, this)")


@sync
async def test_a_long_criterion_wraps_in_the_evidence_form(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("2", "down", "enter")
        await settle(pilot, lambda: isinstance(pilot.app.screen, EvidenceScreen))
        title = pilot.app.screen.query_one("#evidence-title")
        assert title.size.height >= 2  # wrapped, not cut at the form's edge
        assert title.size.width <= SIZE[0]
        assert "and why boosting overfits less than a deep tree" in text_of(title)


def overview(rows: int = 3) -> GroupOverview:
    members = [
        MemberRow("ada", {"stage1": 4, "stage2": 1}, 2, "2026-03-02T10:00:00Z",
                  ("stage2/micrograd backward: 2.50× baseline on AMD EPYC 7B13 64-Core Processor",), True, True),
        MemberRow("grace-hopper-the-long-handle", {"stage1": 3}, 1, "2026-03-01T18:30:00Z", (), False, False, ("stage1/linreg",)),
        MemberRow("alan", {}, 0, "2026-02-27T08:15:00Z", (), False, False),
    ][:rows]
    return GroupOverview(True, "git@example.org:study/ml-group.git", members, {"stage1": 4, "stage2": 1}, [], [], "2026-03-02T11:00:00Z")


def test_the_group_table_fits_80_columns():
    console = Console(width=76, record=True, color_system=None)
    console.print(compact_view(overview()))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 76
    table_rows = [line.strip() for line in lines if line.strip().startswith(("ada", "grace", "alan")) and "/4" in line]
    assert len(table_rows) == 3  # one line per member: nothing squeezed into two
    assert "4/4" in table_rows[0] and "1/1" in table_rows[0]
    assert any("2.50× baseline on AMD EPYC" in line for line in lines)  # benchmarks on lines of their own
    assert any("s syncs now" in line for line in lines)


@sync
async def test_s_syncs_with_the_group(workspace, tmp_path, monkeypatch):
    from mldojo.tracker.group.repository import init_group, join_group

    remote = tmp_path / "group.git"
    init_group(str(remote), "ada")
    join_group(workspace, str(remote))
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(pilot, lambda: isinstance(app.screen, GroupScreen))
        assert "Sync" in footer_text(app.screen)
        await pilot.press("s")
        await settle(pilot, lambda: "ada (you)" in app.screen.query_one("#group").plain, timeout=120)
    shared = json.loads((workspace.tracker_path.parent / "group" / "members" / "ada.json").read_text())
    assert {e["id"] for e in shared["exercises"]} == {"stage1/linreg", "stage2/micrograd"}


@sync
async def test_s_outside_a_group_says_how_to_join(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "s")
        await settle(pilot, lambda: any("grade group join" in n.message for n in app._notifications))


@sync
async def test_the_footer_shows_l_for_the_log(workspace):
    async with make_app(workspace).run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
        assert "Log" in footer_text(pilot.app.screen)


@sync
async def test_one_attempt_has_one_name_everywhere(tmp_path):
    workspace = make_workspace(tmp_path / "ws", history=False)
    with Tracker.open(workspace.tracker_path) as tracker:
        attempt(tracker, "stage1/linreg", 0, "not_implemented", [("mse_is_a_mean", "not_implemented", "mse is not written yet")])
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "last attempt not implemented yet" in text_of(app.screen.query_one("#summary"))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        assert "Last attempt: not implemented yet" in app.screen.query_one(CheckList).plain
        table = app.screen.query_one(AttemptTable)
        assert str(table.get_row_at(0)[1]) == "not implemented yet"
    run = GradeRun("stage1/linreg", process=None, exit_code=1, verdict="not_implemented")
    run.process = type("Ended", (), {"killed": False, "interrupted": False})()
    assert run.outcome == "not implemented yet"  # the toast and the log's title say the same


@sync
async def test_a_single_benchmark_run_gets_words_not_a_sparkline(tmp_path):
    workspace = make_workspace(tmp_path / "ws", history=False)
    with Tracker.open(workspace.tracker_path) as tracker:
        tracker.record_benchmark(exercise_id="stage2/micrograd", benchmark_id="backward", device="cpu", environment={},
                                 median_s=0.02, spread_s=0.001, baseline_s=0.01, ratio=2.0, target_ratio=3.0, met_target=True)
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        listing = app.screen.query_one(ExerciseList)
        listing.highlight_exercise("stage2/micrograd")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        chart = app.screen.query_one("#benchmarks")
        assert not chart.query("Sparkline")
        assert "one run so far" in " ".join(text_of(w) for w in chart.query("Static"))


def test_counts_agree_with_their_nouns():
    assert [plural(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert plural(1, "exercise") == "1 exercise" and plural(3, "criterion") == "3 criteria"


def test_the_reader_gives_the_trackers_answers(workspace):
    """The TUI reads with the stdlib reader; it must agree with the SQLModel tracker on every query it makes."""
    with Tracker.open(workspace.tracker_path) as tracker:
        reader = HistoryReader.open(workspace.tracker_path)
        try:
            def same(left, right):
                assert [_plain(a) for a in left] == [_plain(b) for b in right]

            same(reader.attempts(), tracker.attempts())
            same(reader.attempts("stage1/linreg"), tracker.attempts("stage1/linreg"))
            same(reader.checks_for(3), tracker.checks_for(3))
            same(reader.reveals(), tracker.reveals())
            same(reader.criteria(), tracker.criteria())
            same(reader.benchmarks(), tracker.benchmarks())
            same(reader.benchmarks("stage2/micrograd", "backward"), tracker.benchmarks("stage2/micrograd", "backward"))
            assert reader.hints_shown("stage1/logreg") == tracker.hints_shown("stage1/logreg") == 1
            assert reader.attempts()[0].started_at == T0.replace(minute=0, hour=10)  # aware UTC datetimes
        finally:
            reader.close()


def _plain(row) -> dict:
    return row.model_dump() if hasattr(row, "model_dump") else dict(vars(row))


def test_the_tui_starts_without_sqlmodel(workspace):
    """What made start-up slow: the first screen needs neither SQLModel, SQLAlchemy nor GitPython."""
    code = (
        "import sys\n"
        "from mldojo.tui.app import DojoApp\n"
        "from mldojo.catalogue import load_catalogue\n"
        "from mldojo.workspace import find_workspace\n"
        "async def first_screen(pilot):\n"
        "    await pilot.pause()\n"
        "    assert 'stage1/linreg' in {o.id for o in pilot.app.screen.query_one('ExerciseList').options}\n"
        "    pilot.app.exit(sorted(m for m in ('sqlmodel', 'sqlalchemy', 'git', 'numpy') if m in sys.modules))\n"
        f"app = DojoApp(find_workspace({str(workspace.root)!r}), load_catalogue(), poll_interval_s=60)\n"
        "print(app.run(headless=True, auto_pilot=first_screen, size=(80, 24)))\n"
    )
    tests = str(__import__("pathlib").Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tests)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@sync
async def test_saving_a_passed_file_flags_it_until_graded_again(workspace):
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        listing = app.screen.query_one(ExerciseList)
        assert "!" not in str(listing.get_option("stage1/linreg").prompt)
        path = workspace.exercise_file("stage1/linreg")
        path.write_text(path.read_text() + "\n# a change not graded yet\n")
        await settle(pilot, lambda: str(listing.get_option("stage1/linreg").prompt).rstrip().endswith("!"))
        assert "passed" in str(listing.get_option("stage1/linreg").prompt)  # still passed: not graded since
        assert "edited since graded" in text_of(app.screen.query_one("#summary"))
