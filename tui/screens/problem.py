"""A full screen that says what is wrong (no workspace, an unreadable history) and what to do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static


class ProblemScreen(Screen):
    """The problem in words; the app retries by itself when the history becomes readable."""

    BINDINGS = [Binding("r", "retry", "Try again")]

    def __init__(self, title: str, message: str, retryable: bool) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.retryable = retryable

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="problem"):
            yield Label(self.title_text, id="problem-title", classes="section")
            yield Static(self.message, id="problem-message", markup=False)
            yield Static(self._footnote(), id="problem-next")
        yield Footer()

    def _footnote(self) -> str:
        if self.retryable:
            return "Fix it in another terminal; this screen goes away by itself once the file reads again (r checks now, q quits)."
        return "q quits."

    def show(self, title: str, message: str) -> None:
        """Replace the text (the problem changed)."""
        self.title_text, self.message = title, message
        self.query_one("#problem-title", Label).update(title)
        self.query_one("#problem-message", Static).update(message)

    def action_retry(self) -> None:
        """Read the history again now."""
        if self.retryable:
            self.app.reload()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return action != "retry" or self.retryable
