"""Each stage's "done when" criteria, ticked or not, with what to do for the open ones."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mldojo.progress import StageStatus


class CriteriaList(OptionList):
    """Stage headers (not selectable), then one option per criterion: 'STAGE::CRITERION'."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    CriteriaList, CriteriaList:focus { height: 1fr; border: none; padding: 0 1; }
    CriteriaList > .option-list--option-disabled { color: $text; text-style: bold; }
    """

    def show(self, stages: list[StageStatus]) -> None:
        """Redraw, keeping the highlighted criterion."""
        keep = None
        if self.highlighted is not None and self.options:
            keep = self.get_option_at_index(self.highlighted).id
        options = []
        for stage in stages:
            met = sum(1 for c in stage.criteria if c.met)
            done = "  done ✓" if stage.done else ""
            options.append(Option(Content.assemble((f"{stage.id} — {stage.title}", "bold"), f"  {met}/{len(stage.criteria)} met", (done, "$success")), id=f"stage:{stage.id}", disabled=True))
            for criterion in stage.criteria:
                options.append(Option(self._criterion(criterion), id=f"{stage.id}::{criterion.id}"))
        self.set_options(options)
        ids = [o.id for o in self.options]
        enabled = [i for i, o in enumerate(self.options) if not o.disabled]
        self.highlighted = ids.index(keep) if keep in ids else (enabled[0] if enabled else None)

    @staticmethod
    def _criterion(criterion) -> Content:
        mark, colour = ("✓", "$success") if criterion.met else ("·", "$text-muted")
        kind = "you report it" if criterion.kind == "self-reported" else "automatic"
        parts: list = [" ", (mark, colour), f" {criterion.text}  ", (f"[{kind}]", "$text-muted")]
        if criterion.met and criterion.evidence:
            parts += ["\n     evidence: ", (criterion.evidence, "italic"), ("  (Enter replaces it)", "$text-muted")]
        elif not criterion.met and criterion.kind == "self-reported":
            parts += ["\n     ", ("Enter: write your evidence", "$text-muted")]
        elif not criterion.met:
            parts += ["\n     ", (f"to do: {criterion.how}", "$text-muted")]
        return Content.assemble(*parts)
