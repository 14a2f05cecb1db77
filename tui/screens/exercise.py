"""One exercise: last attempt's checks, the task, hints, attempts, benchmarks, live grading."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from mldojo.tui.data import STATE_STYLES, history_errors, load_detail, reflow
from mldojo.tui.messages import GradeFinished, GradeOutput, GradeStarted, HistoryChanged
from mldojo.tui.widgets.attempt_table import AttemptTable
from mldojo.tui.widgets.benchmark_chart import BenchmarkChart
from mldojo.tui.widgets.check_list import CheckList
from mldojo.tui.widgets.grade_log import GradeLog


class ExerciseScreen(Screen):
    """Everything about one exercise; g grades it here, c cancels, h shows the next hint."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("g", "grade", "Grade"),
        Binding("c", "cancel", "Cancel", show=False),
        Binding("h", "hint", "Hint"),
        Binding("l", "toggle_log", "Log"),
        Binding("j", "scroll('down')", "Scroll down", show=False),
        Binding("k", "scroll('up')", "Scroll up", show=False),
    ]

    def __init__(self, exercise_id: str) -> None:
        super().__init__()
        self.exercise_id = exercise_id
        self._lines_shown = 0  # of the app's current grading, how many lines the log has

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"):
            yield Static(id="title")
            yield CheckList(id="checks")
            yield Label("Task", classes="section")
            yield Static(id="task")
            yield Label("Hints", classes="section", id="hints-title")
            yield Static(id="hints")
            yield Label("Attempts", classes="section")
            yield AttemptTable(id="attempts")
            yield Label("Benchmarks", classes="section")
            yield BenchmarkChart(id="benchmarks")
        yield GradeLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self._catch_up_log()
        self.query_one("#body").focus()

    def on_screen_resume(self) -> None:
        self.refresh_view()
        self._catch_up_log()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw every section from the tracker."""
        app = self.app
        if app.progress is None or app.history is None:
            return
        try:
            detail = load_detail(app.catalogue, app.history, app.workspace, app.progress, self.exercise_id)
        except history_errors():
            return  # the app's next poll shows what is wrong with the file
        exercise = detail.exercise
        mark, word, colour = STATE_STYLES[detail.state]
        title: list = [(f"{exercise.id} — {exercise.title}", "bold"), "  ", (f"{mark} {word}", colour)]
        if detail.revealed_early and detail.state != "revealed":
            title += ["  ", ("(solution revealed before passing)", "$warning")]
        for note in detail.notes:
            title += ["\n", ("! ", "$warning"), note]
        title += ["\nNeeds: "]
        if detail.prerequisites:
            for index, (prerequisite, state) in enumerate(detail.prerequisites):
                p_mark, _, p_colour = STATE_STYLES[state]
                title += [", " if index else "", (p_mark, p_colour), f" {prerequisite}"]
        else:
            title.append("nothing before it")
        title += [f" · file: {exercise.id}.py · time limit {exercise.time_limit_s:g} s"]
        self.query_one("#title", Static).update(Content.assemble(*title))
        self.query_one(CheckList).show(exercise.id, detail.attempts[0] if detail.attempts else None, detail.last_checks)
        self.query_one("#task", Static).update(Content(reflow(detail.task)))
        total = len(exercise.hints)
        self.query_one("#hints-title", Label).update(f"Hints ({detail.hints_shown} of {total} shown)")
        shown = [f"{i + 1}. {hint}" for i, hint in enumerate(exercise.hints[: detail.hints_shown])]
        more = ("Press h for the first hint." if not shown else "Press h for the next one." if detail.hints_shown < total
                else f"That was every hint. `grade reveal {exercise.id} --force` shows the reference solution.")
        lines: list = [part for line in shown[:-1] for part in (line, "\n")]
        if shown:  # the newest hint stands out: it is shown here, not in a pop-up over the grading log
            lines += [(shown[-1], "bold"), "\n"]
        self.query_one("#hints", Static).update(Content.assemble(*lines, (more, "$text-muted")))
        self.query_one(AttemptTable).show(detail.attempts)
        self.query_one(BenchmarkChart).show(list(exercise.benchmarks), detail.benchmarks)

    # --- grading ---------------------------------------------------------------------

    def _catch_up_log(self) -> None:
        """Show the lines of this exercise's grading that the log has not shown yet."""
        run = self.app.grading
        if run is None or run.exercise_id != self.exercise_id:
            return
        log = self.query_one(GradeLog)
        if self._lines_shown == 0 and run.lines or self._lines_shown == 0 and run.running:
            log.begin(self.exercise_id)
        for line in run.lines[self._lines_shown :]:
            log.add_line(line)
        self._lines_shown = len(run.lines)
        if not run.running:
            log.end(f"{self.exercise_id}: {run.outcome} — l hides this log")

    def on_grade_started(self, event: GradeStarted) -> None:
        if event.exercise_id == self.exercise_id:
            self._lines_shown = 0
            self.query_one(GradeLog).begin(self.exercise_id)

    def on_grade_output(self, event: GradeOutput) -> None:
        if event.exercise_id == self.exercise_id:
            self._catch_up_log()

    def on_grade_finished(self, event: GradeFinished) -> None:
        if event.exercise_id == self.exercise_id:
            self._catch_up_log()
            self.refresh_view()
            self.query_one("#body", VerticalScroll).scroll_home(animate=False)

    # --- actions ---------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the curriculum."""
        self.app.pop_screen()

    def action_grade(self) -> None:
        """Grade this exercise in the background."""
        self.app.start_grading(self.exercise_id)

    def action_cancel(self) -> None:
        """Cancel the running grading."""
        self.app.action_cancel_grading()

    def action_hint(self) -> None:
        """Record and show the next hint."""
        self.app.show_next_hint(self.exercise_id)
        self.query_one("#hints-title").scroll_visible(animate=False, top=True)

    def action_toggle_log(self) -> None:
        """Show or hide the grading log."""
        self.query_one(GradeLog).toggle_class("-shown")

    def action_scroll(self, direction: str) -> None:
        """Scroll the body one line."""
        body = self.query_one("#body", VerticalScroll)
        body.scroll_relative(y=1 if direction == "down" else -1, animate=False)
