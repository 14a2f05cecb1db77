"""The live output of a grading started from the TUI."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog


class GradeLog(RichLog):
    """`grade ID`'s output as it streams in, colours kept; hidden until a grading starts."""

    DEFAULT_CSS = """
    GradeLog { height: 10; border: round $primary; display: none; }
    GradeLog.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, **kwargs)

    def begin(self, exercise_id: str) -> None:
        """Show the log, empty, titled for a new grading."""
        self.clear()
        self.add_class("-shown")
        self.border_title = f"grading {exercise_id} — c cancels"

    def add_line(self, line: str) -> None:
        """One line of output (ANSI colour codes are rendered, other escapes dropped)."""
        self.write(Text.from_ansi(line))

    def end(self, title: str) -> None:
        """Title the log with how the grading ended."""
        self.border_title = title
