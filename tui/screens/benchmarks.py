"""Every benchmark's latest and best result, its device, target and ratio."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from mldojo.tui.data import benchmark_rows, history_errors
from mldojo.tui.messages import HistoryChanged
from mldojo.tui.widgets.benchmark_table import BenchmarkTable
from mldojo.tui.widgets.view_tabs import ViewTabs


class BenchmarksScreen(Screen):
    """The benchmark table, or what to run when there are no results yet."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs("benchmarks")
        yield Static(id="bench-note")
        yield BenchmarkTable(id="bench-table")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the tracker's benchmark results."""
        app = self.app
        if app.history is None:
            return
        try:
            rows = benchmark_rows(app.history)
        except history_errors():
            return  # the app's next poll shows what is wrong with the file
        table = self.query_one(BenchmarkTable)
        table.show(rows)
        table.display = bool(rows)
        note = self.query_one("#bench-note", Static)
        if rows:
            note.update("Ratio = your median time ÷ the baseline's (lower is faster); best = your fastest run.")
        else:
            declared = [e.id for e in app.catalogue.exercises if e.benchmarks]
            which = f" Exercises with benchmarks: {', '.join(declared)}." if declared else ""
            note.update(f"No benchmark results yet. `grade bench ID` times your code against a baseline and records it here.{which}")
        if rows:
            table.focus()
