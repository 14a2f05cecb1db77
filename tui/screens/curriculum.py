"""The curriculum: every stage and exercise with its state, search, and keys to open or grade."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static

from mldojo.tui.messages import HistoryChanged
from mldojo.tui.widgets.exercise_list import ExerciseList
from mldojo.tui.widgets.exercise_summary import ExerciseSummary
from mldojo.tui.widgets.view_tabs import ViewTabs


class CurriculumScreen(Screen):
    """Stages and exercises; Enter opens one, g grades it, / searches by name."""

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("g", "grade", "Grade"),
        Binding("h", "hint", "Hint"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs("curriculum")
        yield Input(placeholder="search exercises by name (Esc clears, Enter goes to the list)", id="search")
        yield Static(id="banner")
        yield ExerciseList(id="exercises")
        yield ExerciseSummary(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.refresh_view()
        self.query_one(ExerciseList).focus()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def on_history_changed(self, _: HistoryChanged) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the app's current progress."""
        app = self.app
        if app.progress is None:
            return
        exercises = self.query_one(ExerciseList)
        exercises.show(app.catalogue, app.progress, self.query_one("#search", Input).value)
        banner = self.query_one("#banner", Static)
        banner.display = app.progress.attempts == 0
        if app.progress.attempts == 0 and app.catalogue.exercises:
            first = app.catalogue.exercises[0].id
            banner.update(
                f"No attempts yet. Open {first}.py in your editor, replace each NotImplementedError "
                "with your code, then select it here and press g to grade it."
            )
        self._show_summary()

    def _show_summary(self) -> None:
        exercise_id = self.query_one(ExerciseList).highlighted_exercise
        exercise = self.app.catalogue.exercise(exercise_id) if exercise_id else None
        self.query_one(ExerciseSummary).show(exercise, self.app.progress)

    def on_option_list_option_highlighted(self, _: OptionList.OptionHighlighted) -> None:
        self._show_summary()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and not event.option.disabled:
            self.app.open_exercise(event.option.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one(ExerciseList).show(self.app.catalogue, self.app.progress, event.value)
        self._show_summary()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self.query_one(ExerciseList).focus()

    def action_search(self) -> None:
        """Show the search box and type into it."""
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_clear_search(self) -> None:
        """Empty and hide the search box."""
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.query_one(ExerciseList).focus()

    def action_grade(self) -> None:
        """Open the highlighted exercise and grade it."""
        exercise_id = self.query_one(ExerciseList).highlighted_exercise
        if exercise_id:
            self.app.open_exercise(exercise_id)
            self.app.start_grading(exercise_id)

    def action_hint(self) -> None:
        """Open the highlighted exercise with its next hint."""
        exercise_id = self.query_one(ExerciseList).highlighted_exercise
        if exercise_id:
            self.app.show_next_hint(exercise_id)
            self.app.open_exercise(exercise_id)
