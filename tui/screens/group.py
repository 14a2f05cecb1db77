"""The study group's view (its table comes from the group panel)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from mldojo.tui.messages import HistoryChanged
from mldojo.tui.widgets.group_panel import GroupPanel
from mldojo.tui.widgets.view_tabs import ViewTabs


class GroupScreen(Screen):
    """The group panel, reloaded whenever the app refreshes."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs("group")
        yield GroupPanel(self.app.workspace.root, id="group")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.query_one(GroupPanel).reload()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.query_one(GroupPanel).reload()
