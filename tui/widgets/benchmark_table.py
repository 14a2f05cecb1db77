"""Every benchmark's latest and best result, device, target and ratio."""

from __future__ import annotations

from textual.widgets import DataTable

from mldojo.tui.data import BenchmarkRow, format_seconds


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


class BenchmarkTable(DataTable):
    """One row per (exercise, benchmark, device); ratio = your median / the baseline's."""

    DEFAULT_CSS = """
    BenchmarkTable { height: 1fr; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("Benchmark", "Device", "Latest", "Best", "Ratio", "Target", "Met")

    def show(self, rows: list[BenchmarkRow]) -> None:
        """Replace the rows."""
        self.clear()
        for row in rows:
            met = "—" if row.met_target is None else ("yes" if row.met_target else "no")
            target = "—" if row.target_ratio is None else f"≤ {row.target_ratio:g}×"
            self.add_row(
                f"{row.exercise_id} {row.benchmark_id}", row.device, format_seconds(row.latest_s), format_seconds(row.best_s),
                _ratio(row.latest_ratio), target, met,
            )
