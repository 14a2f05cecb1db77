"""The study group's table inside the TUI (filled in by the study-group work)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static


class GroupPanel(Static):
    """The group's members and their progress; until a group is joined, how to join one."""

    DEFAULT_CSS = """
    GroupPanel { padding: 1 2; }
    """

    def __init__(self, workspace_root: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace_root = workspace_root

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the group's files again and redraw."""
        self.update(
            "You are not in a study group yet.\n\n"
            "A group shares progress through a git repository:\n"
            "  grade group join REMOTE   (any git URL or local path)\n"
            "  grade group sync          (share yours, fetch everyone's)"
        )
