"""The study group's table inside the TUI: the same table as `grade group show`."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from mldojo.tracker.group.repository import GroupError, clone_path

NOT_JOINED = (
    "You are not in a study group yet.\n\n"
    "A group shares progress through a git repository (a summary per member, no code):\n"
    "  grade group init REMOTE   create a group in an empty repository\n"
    "  grade group join REMOTE   join one (any git URL or local path)\n"
    "  grade group sync          share your progress, fetch everyone's"
)


class GroupPanel(Static):
    """The group's members and their progress; until a group is joined, how to join one."""

    DEFAULT_CSS = """
    GroupPanel { padding: 1 2; }
    """

    def __init__(self, workspace_root: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace_root = Path(workspace_root)
        self._seen: tuple | None = None  # what the clone looked like at the last redraw

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the group's clone again and redraw, if a sync changed it since the last time."""
        try:
            from mldojo.catalogue import load_catalogue
            from mldojo.tracker.group.overview import group_overview
            from mldojo.tracker.group.render import group_view
            from mldojo.workspace import find_workspace

            workspace = find_workspace(self.workspace_root)
            clone = clone_path(workspace)
            state = tuple(_mtime(clone / ".git" / name) for name in ("FETCH_HEAD", "HEAD", "index"))
            if state == self._seen:
                return
            self._seen = state
            overview = group_overview(workspace, load_catalogue())
        except (GroupError, OSError, ValueError) as exc:
            self.update(f"The study group cannot be shown: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - the TUI shows a message, never a traceback
            self.update(f"The study group cannot be shown ({type(exc).__name__}: {exc})")
            return
        self.update(group_view(overview) if overview.joined else NOT_JOINED)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
