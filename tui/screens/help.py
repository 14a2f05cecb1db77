"""Every key binding of the app, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

# Keys that come from Textual's own widgets rather than from a BINDINGS list of ours.
LIST_KEYS = [("↑ ↓  j k", "move in a list"), ("Enter", "open the exercise / report a criterion"), ("Tab", "next widget"), ("mouse", "click a tab, an exercise or a button; the wheel scrolls")]


def binding_lines() -> list[tuple[str, list[tuple[str, str]]]]:
    """(place, [(keys, what they do)]) for the app, each screen and the lists."""
    from mldojo.tui.app import DojoApp
    from mldojo.tui.screens.curriculum import CurriculumScreen
    from mldojo.tui.screens.evidence import EvidenceScreen
    from mldojo.tui.screens.exercise import ExerciseScreen
    from mldojo.tui.screens.group import GroupScreen

    def rows(bindings) -> list[tuple[str, str]]:
        return [(_key(b), b.description) for b in bindings if isinstance(b, Binding)]

    return [
        ("Everywhere", rows(DojoApp.BINDINGS)),
        ("Curriculum", rows(CurriculumScreen.BINDINGS)),
        ("An exercise", rows(ExerciseScreen.BINDINGS)),
        ("Group", rows(GroupScreen.BINDINGS)),
        ("Evidence form", rows(EvidenceScreen.BINDINGS) + [("Enter", "Save")]),
        ("Lists", LIST_KEYS),
    ]


def _key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return {"escape": "Esc", "slash": "/", "question_mark": "?"}.get(binding.key, binding.key)


class HelpScreen(ModalScreen[None]):
    """The list of keys; any of Esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        parts: list = [("Keys — ↑/↓ scroll this list; Esc, q or ? closes it.", "$text-muted"), "\n\n"]
        for place, keys in binding_lines():
            parts += [(place, "bold $accent"), "\n"]
            parts += [part for key, what in keys for part in ((f"  {key:<10}", "bold"), f"{what}\n")]
        with VerticalScroll(id="help"):
            yield Static(Content.assemble(*parts))

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
