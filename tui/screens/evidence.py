"""A small form: the evidence for a self-reported "done when" criterion."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class EvidenceScreen(ModalScreen[str | None]):
    """Ask for a link or a few sentences; dismiss with the text, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, stage_id: str, criterion) -> None:
        super().__init__()
        self.stage_id = stage_id
        self.criterion = criterion

    def compose(self) -> ComposeResult:
        with Vertical(id="evidence-form"):
            # Static, not Label: a long criterion wraps inside the form instead of being cut at its edge.
            yield Static(f"{self.stage_id}: {self.criterion.text}", classes="section", id="evidence-title", markup=False)
            yield Static(self.criterion.prompt or "A link or a few sentences that show it is done.", id="evidence-prompt", markup=False)
            yield Input(placeholder="your evidence (Enter saves, Esc cancels)", id="evidence")
            yield Label("", id="evidence-error")
            with Horizontal(id="evidence-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#evidence", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    def _save(self) -> None:
        evidence = self.query_one("#evidence", Input).value.strip()
        if not evidence:
            self.query_one("#evidence-error", Label).update("Write something first: " + (self.criterion.prompt or "what shows it is done?"))
            return
        self.dismiss(evidence)
