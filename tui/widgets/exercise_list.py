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


def _cut(text: str, width: int) -> str:
    """text in exactly width cells: cut with an ellipsis, or padded."""
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…" if width else ""
    return f"{text:<{width}}"


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

    _shown: tuple | None = None  # what show() drew last, to redraw on a resize

    def show(self, catalogue: Catalogue, progress: Progress, query: str = "") -> None:
        """Redraw for this progress and search query, keeping the highlighted exercise."""
        self._shown = (catalogue, progress, query)
        id_width, title_width = self._widths(catalogue)
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
                options.append(Option(self._line(exercise, progress, id_width, title_width), id=exercise.id))
            if not total:
                options.append(Option(Content.styled("   (no exercises yet)", "$text-muted"), disabled=True))
        if query and not any(not o.disabled for o in options):
            options.append(Option(Content.styled(f"   nothing matches {query!r} (Esc clears the search)", "$text-muted"), disabled=True))
        self.set_options(options)
        self.highlight_exercise(keep)

    def _line(self, exercise, progress: Progress, id_width: int, title_width: int) -> Content:
        state = progress.state_key(exercise.id)
        mark, word, colour = STATE_STYLES[state]
        status = progress.status_of(exercise.id)
        # "!": something to know (a broken prerequisite, an edit not graded yet); the summary below says what.
        flag = [" ", ("!", "$warning")] if status and status.notes() else []
        return Content.assemble(
            " ", (mark, colour), " ", (f"{exercise.id:<{id_width}}", "bold"), "  ", _cut(exercise.title, title_width), "  ", (word, colour), *flag
        )

    def _widths(self, catalogue: Catalogue) -> tuple[int, int]:
        """(id column, title column): the ids in full, the title in what is left beside the longest state."""
        id_width = max((len(e.id) for e in catalogue.exercises), default=10)
        width = self.scrollable_content_region.width or 76
        fixed = 3 + id_width + 2 + 2 + max(len(w) for _, w, _ in STATE_STYLES.values()) + 2
        return id_width, max(0, width - fixed)

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

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
