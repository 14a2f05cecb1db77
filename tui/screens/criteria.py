"""Each stage's "done when" criteria: automatic ones ticked from the tracker, others reported here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static

from mldojo.tui.messages import HistoryChanged
from mldojo.tui.screens.evidence import EvidenceScreen
from mldojo.tui.widgets.criteria_list import CriteriaList
from mldojo.tui.widgets.view_tabs import ViewTabs


class CriteriaScreen(Screen):
    """Every stage's criteria; Enter on a self-reported one opens the evidence form."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs("criteria")
        yield Static("A stage is done when all of its criteria are met. Automatic ones follow your attempts; press Enter on one you report yourself to write your evidence.", id="criteria-note")
        yield CriteriaList(id="criteria")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self.query_one(CriteriaList).focus()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the app's current progress."""
        if self.app.progress is not None:
            self.query_one(CriteriaList).show(self.app.progress.stages)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        stage_id, _, criterion_id = (event.option.id or "").partition("::")
        stage = next((s for s in self.app.catalogue.stages if s.id == stage_id), None)
        criterion = next((c for c in stage.criteria if c.id == criterion_id), None) if stage else None
        if criterion is None:
            return
        if criterion.kind != "self-reported":
            self.app.notify("This one is ticked automatically from your attempts: pass the exercises it names.")
            return

        def save(evidence: str | None) -> None:
            if evidence:
                self.app.record_evidence(stage_id, criterion_id, evidence)

        self.app.push_screen(EvidenceScreen(stage.id, criterion), save)
