"""The group table as rich renderables, for `grade group show` and the TUI's group view.

Every string that came from a peer goes in as plain Text, never as rich markup, and with
its control characters escaped (safe_text.visible; the overview has done so already, and
doing it again here changes nothing, so a renderable never depends on who built the data).
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mldojo.tracker.group.overview import GroupOverview
from mldojo.tracker.group.safe_text import visible


def group_table(overview: GroupOverview) -> Table:
    """One row per member: passed per stage, criteria met, last activity, best benchmarks."""
    table = Table(title=Text(f"Study group {visible(overview.remote)}"), title_justify="left", expand=False)
    table.add_column("member")
    stages = list(overview.stage_totals)
    for stage in stages:
        table.add_column(stage, justify="right")
    table.add_column("criteria", justify="right")
    table.add_column("last activity")
    table.add_column("best benchmarks")
    for row in overview.rows:
        name = Text(visible(row.handle), style="bold" if row.is_you else "")
        if row.is_you:
            name.append(" (you)", style="dim")
        if row.shares_code:
            name.append(" [code]", style="cyan")
        cells = [name]
        cells += [Text(f"{row.passed_per_stage.get(stage, 0)}/{overview.stage_totals[stage]}") for stage in stages]
        benchmarks = "\n".join(visible(line) for line in row.best_benchmarks) or "—"
        cells += [Text(str(row.criteria_met)), Text(visible(row.last_activity).replace("T", " ")[:16]), Text(benchmarks)]
        table.add_row(*cells)
    if not overview.rows:
        table.add_row(Text("(nobody has synced yet)", style="dim"), *[Text("")] * (len(stages) + 3))
    return table


def group_warnings(overview: GroupOverview) -> list[Text]:
    """Lines about passes graded unsandboxed, skipped peer files and edits of someone else's file."""
    lines = []
    for row in overview.rows:
        if row.unsandboxed:
            line = Text("note ", style="yellow")
            passes = ", ".join(f"{visible(exercise)} (unsandboxed)" for exercise in row.unsandboxed)
            line.append(Text(f"{visible(row.handle)} passed {passes}: graded where the learner's code could not be sandboxed"))
            lines.append(line)
    for problem in overview.problems:
        line = Text("skipped ", style="yellow")
        line.append(Text(f"{visible(problem.path)}: {visible(problem.reason)}"))
        lines.append(line)
    for edit in overview.tampering:
        line = Text("warning ", style="bold red")
        line.append(Text(visible(edit)))
        lines.append(line)
    if overview.last_sync:
        lines.append(Text(f"as of the last sync, {overview.last_sync.replace('T', ' ').removesuffix('Z')} UTC; `grade group sync` fetches newer progress", style="dim"))
    return lines


def group_view(overview: GroupOverview):
    """The table and its warnings as one renderable."""
    return Group(group_table(overview), *group_warnings(overview))
