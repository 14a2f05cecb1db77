"""The attempt history of one exercise: when, verdict, checks passed, duration."""

from __future__ import annotations

from textual.widgets import DataTable

from mldojo.tui.data import format_seconds, format_when, verdict_words

SHOWN_ATTEMPTS = 50


class AttemptTable(DataTable):
    """Newest attempt first."""

    DEFAULT_CSS = """
    AttemptTable { height: auto; max-height: 12; margin: 0 1; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("When", "Verdict", "Checks", "Took")

    def show(self, attempts: list) -> None:
        """Replace the rows with these attempts (newest first)."""
        self.clear()
        for attempt in attempts[:SHOWN_ATTEMPTS]:
            self.add_row(format_when(attempt.started_at), verdict_words(attempt.verdict), attempt.summary, format_seconds(attempt.duration_s))
