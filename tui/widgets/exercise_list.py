"""The curriculum as a list: a header per stage with its progress, then its exercises."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mldojo.catalogue import Catalogue
from mldojo.tui.data import STATE_STYLES, Progress

BAR_CELLS = 10


def progress_bar(done: int, total: int) -> str:
    """A ten-cell text bar such as '███░░░░░░░'."""
    filled = round(BAR_CELLS * done / total) if total else 0
    return "█" * filled + "░" * (BAR_CELLS - filled)


def matches(query: str, exercise) -> bool:
    """Whether a search query (words, any order, any case) matches an exercise's id or title."""
    haystack = f"{exercise.id} {exercise.title}".lower()
    return all(word in haystack for word in query.lower().split())


class ExerciseList(OptionList):
    """Stages as headers (not selectable) and their exercises with a state mark; j/k move."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    ExerciseList, ExerciseList:focus { height: 1fr; border: none; padding: 0 1; }
    ExerciseList > .option-list--option-disabled { color: $text; text-style: bold; }
    """

    def show(self, catalogue: Catalogue, progress: Progress, query: str = "") -> None:
        """Redraw for this progress and search query, keeping the highlighted exercise."""
        keep = self.highlighted_exercise
        options: list[Option] = []
        for stage in progress.stages:
            exercises = [e for e in catalogue.exercises_of(stage.id) if matches(query, e)]
            if query and not exercises:
                continue
            total = len(stage.exercises)
            header = Content.assemble(
                (f"{stage.id} — {stage.title}", "bold"),
                "  ",
                (progress_bar(stage.passed, total), "$success"),
                f" {stage.passed}/{total} passed",
            )
            options.append(Option(header, id=f"stage:{stage.id}", disabled=True))
            for exercise in exercises:
                options.append(Option(self._line(exercise, progress), id=exercise.id))
            if not total:
                options.append(Option(Content.styled("   (no exercises yet)", "$text-muted"), disabled=True))
        if query and not any(not o.disabled for o in options):
            options.append(Option(Content.styled(f"   nothing matches {query!r} (Esc clears the search)", "$text-muted"), disabled=True))
        self.set_options(options)
        self.highlight_exercise(keep)

    def _line(self, exercise, progress: Progress) -> Content:
        state = progress.state_key(exercise.id)
        mark, word, colour = STATE_STYLES[state]
        status = progress.status_of(exercise.id)
        tried = f" ({status.attempts}×)" if status and status.attempts else ""
        return Content.assemble(
            " ", (mark, colour), " ", (f"{exercise.id:<24}", "bold"), f" {exercise.title[:28]:<28} ", (word + tried, colour)
        )

    @property
    def highlighted_exercise(self) -> str | None:
        """The id of the highlighted exercise, if any."""
        if self.highlighted is None or not self.options:
            return None
        option = self.get_option_at_index(self.highlighted)
        return None if option.disabled else option.id

    def highlight_exercise(self, exercise_id: str | None) -> None:
        """Move the highlight to an exercise, else to the first exercise listed."""
        for index, option in enumerate(self.options):
            if option.id == exercise_id and not option.disabled:
                self.highlighted = index
                return
        for index, option in enumerate(self.options):
            if not option.disabled:
                self.highlighted = index
                return
        self.highlighted = None
