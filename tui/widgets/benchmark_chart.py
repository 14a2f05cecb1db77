"""One exercise's benchmark history: a sparkline of medians per benchmark and device."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Sparkline, Static

from mldojo.tui.data import format_seconds
from mldojo.words import plural


class BenchmarkChart(Vertical):
    """A label and a sparkline (oldest to newest median time) for each benchmark."""

    DEFAULT_CSS = """
    BenchmarkChart { height: auto; padding: 0 1; }
    BenchmarkChart Sparkline { width: 1fr; max-width: 60; margin-bottom: 1; }
    BenchmarkChart .bench-one { margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="bench-empty")

    def show(self, declared: list, results: list) -> None:
        """Redraw from the catalogue's benchmarks and the tracker's results (newest first)."""
        for child in list(self.children):
            if child.id != "bench-empty":
                child.remove()
        series: dict[tuple[str, str], list] = {}
        for result in reversed(results):  # oldest first: the line reads left to right in time
            series.setdefault((result.benchmark_id, result.device), []).append(result)
        empty = self.query_one("#bench-empty", Label)
        if not series:
            names = ", ".join(b.id for b in declared)
            empty.update(f"No timings yet. `grade bench` measures {names}." if declared else "This exercise has no timing benchmarks.")
            empty.display = True
            return
        empty.display = False
        widgets = []
        for (benchmark_id, device), runs in sorted(series.items()):
            latest = runs[-1]
            ratio = f" · {latest.ratio:.2f}× the baseline" if latest.ratio is not None else ""
            target = f", target ≤ {latest.target_ratio:g}×" if latest.target_ratio is not None else ""
            best = min(r.median_s for r in runs)
            if len(runs) < 2:  # one point draws a full bar that says nothing
                text = f"{benchmark_id} ({device}): {format_seconds(latest.median_s)}{ratio}{target}\none run so far; the next `grade bench` starts your trend line here"
                widgets.append(Static(text, classes="bench-one"))
                continue
            widgets.append(Static(
                f"{benchmark_id} ({device}): latest {format_seconds(latest.median_s)} · best {format_seconds(best)}{ratio}{target}\n"
                f"median time of your {plural(len(runs), 'run')}, oldest to newest (lower is faster):"
            ))
            widgets.append(Sparkline([r.median_s for r in runs], summary_function=max))
        self.mount_all(widgets)
