"""The study group's view (its table comes from the group panel)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from mldojo.tui.messages import GroupSynced, HistoryChanged
from mldojo.tui.widgets.group_panel import GroupPanel
from mldojo.tui.widgets.view_tabs import ViewTabs


class GroupScreen(Screen):
    """The group panel, reloaded whenever the app refreshes; s syncs with the group."""

    BINDINGS = [Binding("s", "sync", "Sync")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs("group")
        with VerticalScroll(id="group-body"):
            yield GroupPanel(self.app.workspace.root, id="group")
        yield Footer()

    def action_sync(self) -> None:
        """Share this workspace's progress and fetch everyone's, in the background."""
        self.app.sync_group()

    def on_group_synced(self, _: GroupSynced) -> None:
        self.query_one(GroupPanel).force_reload()

    def on_screen_resume(self) -> None:
        self.query_one(GroupPanel).reload()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.query_one(GroupPanel).reload()
