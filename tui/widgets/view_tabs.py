"""The four views named in a bar; click one or press its number."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

VIEWS = (("curriculum", "1 Curriculum"), ("criteria", "2 Done when"), ("benchmarks", "3 Benchmarks"), ("group", "4 Group"))


def view_bar(current: str) -> Content:
    """The bar's text: every view a click target, the current one highlighted."""
    parts = []
    for mode, label in VIEWS:
        if mode == current:
            parts.append(f"[bold reverse $accent] {label} [/]")
        else:
            parts.append(f"[underline @click=app.view('{mode}')] {label} [/]")
    return Content.from_markup("  ".join(parts))


class ViewTabs(Static):
    """One line naming each view; the current one stands out."""

    DEFAULT_CSS = """
    ViewTabs { height: 1; padding: 0 1; margin-bottom: 1; }
    """

    def __init__(self, current: str) -> None:
        super().__init__(view_bar(current))
        self.current = current
