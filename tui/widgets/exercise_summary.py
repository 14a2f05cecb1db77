"""A few lines about the highlighted exercise under the curriculum list."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from mldojo.catalogue import Exercise
from mldojo.tui.data import STATE_STYLES, Progress, verdict_words
from mldojo.words import plural


class ExerciseSummary(Static):
    """Summary, prerequisites with their state, and the last verdict of one exercise."""

    DEFAULT_CSS = """
    ExerciseSummary { height: auto; max-height: 7; padding: 0 1; border-top: solid $primary; }
    """

    def show(self, exercise: Exercise | None, progress: Progress) -> None:
        """Describe exercise (or say that nothing is highlighted)."""
        if exercise is None:
            self.update(Content.styled("Pick an exercise with ↑/↓ (or j/k); Enter opens it, g grades it.", "$text-muted"))
            return
        parts: list = [(exercise.summary, ""), "\n", ("Needs: ", "bold")]
        if exercise.prerequisites:
            for index, prerequisite in enumerate(exercise.prerequisites):
                mark, _, colour = STATE_STYLES[progress.state_key(prerequisite)]
                parts += [", " if index else "", (mark, colour), f" {prerequisite}"]
        else:
            parts.append("nothing before it")
        status = progress.status_of(exercise.id)
        if status and status.attempts:
            mark, words, colour = STATE_STYLES[status.state]
            parts += ["\n", (f"{mark} {words}", colour), f" · last attempt {verdict_words(status.last_verdict)} · {plural(status.attempts, 'attempt')}"]
        for note in status.notes() if status else []:
            parts += ["\n", ("! ", "$warning"), note]
        parts += ["\n", ("Enter opens it · g grades it · h shows a hint", "$text-muted")]
        self.update(Content.assemble(*parts))
