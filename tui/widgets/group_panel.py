"""The study group's table inside the TUI: the same table as `grade group show`."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

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
    GroupPanel { padding: 1 2; height: auto; }
    """

    def __init__(self, workspace_root: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace_root = Path(workspace_root)
        self._seen: tuple | None = None  # what the clone looked like at the last redraw
        self.plain = ""  # what is shown, as text

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the group's clone again and redraw, if a sync changed it since the last time."""
        from mldojo.tracker.group.repository import GroupError, clone_path  # imported when the view is first shown

        try:
            from mldojo.catalogue import load_catalogue
            from mldojo.tracker.group.overview import group_overview
            from mldojo.workspace import find_workspace

            workspace = find_workspace(self.workspace_root)
            clone = clone_path(workspace)
            state = tuple(_mtime(clone / ".git" / name) for name in ("FETCH_HEAD", "HEAD", "index"))
            if state == self._seen:
                return
            self._seen = state
            overview = group_overview(workspace, load_catalogue())
        except (GroupError, OSError, ValueError) as exc:
            self._show(f"The study group cannot be shown: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - the TUI shows a message, never a traceback
            self._show(f"The study group cannot be shown ({type(exc).__name__}: {exc})")
            return
        self._show(compact_view(overview) if overview.joined else NOT_JOINED)

    def _show(self, content) -> None:
        """Draw content and keep it as plain text too (what a test or a screen reader reads)."""
        from rich.console import Console

        console = Console(width=max(40, self.size.width or 80), record=True, color_system=None, file=_Discard())
        console.print(content)
        self.plain = console.export_text()
        self.update(content)

    def force_reload(self) -> None:
        """Redraw even if the clone looks unchanged (after a sync from here)."""
        self._seen = None
        self.reload()


def compact_view(overview):
    """The group table for an 80-column terminal: the numbers in a table, each best benchmark on a line of its own."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from mldojo.tracker.group.render import group_warnings
    from mldojo.tracker.group.safe_text import visible

    table = Table(title=Text(f"Study group {visible(overview.remote)}"), title_justify="left", box=None, padding=(0, 1),
                  header_style="bold")
    table.add_column("member", no_wrap=True, max_width=28, overflow="ellipsis")
    stages = list(overview.stage_totals)
    for stage in stages:
        table.add_column(stage, justify="right", no_wrap=True)
    table.add_column("criteria", justify="right", no_wrap=True)
    table.add_column("last active", no_wrap=True)
    benchmarks = []
    for row in overview.rows:
        name = Text(visible(row.handle), style="bold" if row.is_you else "")
        if row.is_you:
            name.append(" (you)", style="dim")
        if row.shares_code:
            name.append(" [code]", style="cyan")
        cells = [name, *(Text(f"{row.passed_per_stage.get(stage, 0)}/{overview.stage_totals[stage]}") for stage in stages)]
        cells += [Text(str(row.criteria_met)), Text(visible(row.last_activity).replace("T", " ")[:16])]
        table.add_row(*cells)
        benchmarks += [Text(f"  {visible(row.handle)}: {visible(line)}") for line in row.best_benchmarks]
    if not overview.rows:
        table.add_row(Text("(nobody has synced yet)", style="dim"), *[Text("")] * (len(stages) + 2))
    parts = [table]
    if benchmarks:
        parts += [Text(""), Text("Best benchmarks", style="bold"), *benchmarks]
    warnings = group_warnings(overview)
    if warnings:
        parts += [Text(""), *warnings]
    parts += [Text(""), Text("s syncs now: shares your progress and fetches everyone's", style="dim")]
    return Group(*parts)


class _Discard:
    """A file that forgets what is written to it (the console only records)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
