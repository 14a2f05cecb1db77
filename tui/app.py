"""The `grade tui` app: owns the tracker, polls it for changes, and runs gradings in a worker."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from textual.app import App
from textual.binding import Binding

from mldojo.catalogue import Catalogue
from mldojo.tui.data import Progress, files_fingerprint, history_errors, history_fingerprint, load_progress, verdict_words
from mldojo.tui.grade_server import GradeServer, ServedGrade
from mldojo.tui.messages import GradeFinished, GradeOutput, GradeStarted, GroupSynced, HistoryChanged
from mldojo.tui.screens.curriculum import CurriculumScreen
from mldojo.tui.screens.problem import ProblemScreen
from mldojo.workspace import Workspace

POLL_INTERVAL_S = 1.5  # how often the history file is stat'ed for writes by other `grade` runs
EXIT_INTERRUPTED = 130


@dataclass
class GradeRun:
    """The current (or last) grading started from the TUI and its output so far."""

    exercise_id: str
    process: ServedGrade
    lines: list[str] = field(default_factory=list)
    exit_code: int | None = None
    verdict: str | None = None  # the recorded attempt's verdict, read back once it ended

    @property
    def running(self) -> bool:
        """Whether the child is still going."""
        return self.exit_code is None

    @property
    def outcome(self) -> str:
        """How it ended, in words."""
        if self.exit_code is None:
            return "running"
        if self.process.killed:
            return "stopped hard (not recorded)"
        if self.process.interrupted:
            return "cancelled (recorded as interrupted)"
        if self.exit_code in (0, 1) and self.verdict:
            return verdict_words(self.verdict)  # the words `grade` printed: "not implemented yet", not just "failed"
        return {0: "passed", 1: "failed"}.get(self.exit_code, f"could not grade (exit code {self.exit_code})")


class DojoApp(App):
    """Browse the curriculum, grade from it, see history, criteria, benchmarks and the group."""

    TITLE = "mldojo"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    # The first screen's module is imported with the app; the others when first shown (start-up time).
    MODES = {"curriculum": CurriculumScreen, "criteria": lambda: _screen("criteria", "CriteriaScreen")(),
             "benchmarks": lambda: _screen("benchmarks", "BenchmarksScreen")(), "group": lambda: _screen("group", "GroupScreen")()}

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("1", "view('curriculum')", "Curriculum", show=False),
        Binding("2", "view('criteria')", "Done when", show=False),
        Binding("3", "view('benchmarks')", "Benchmarks", show=False),
        Binding("4", "view('group')", "Group", show=False),
        Binding("c", "cancel_grading", "Cancel grading", show=False),
        Binding("t", "toggle_theme", "Light/dark theme", show=False),
    ]

    def __init__(
        self,
        workspace: Workspace | None,
        catalogue: Catalogue | None = None,
        problem: str = "",
        poll_interval_s: float = POLL_INTERVAL_S,
        python: str = sys.executable,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.catalogue = catalogue
        self.problem = problem
        self.poll_interval_s = poll_interval_s
        self.python = python
        self.history = None  # tracker.reader.HistoryReader: what every view reads
        self.tracker = None  # tracker.store.Tracker, for writes only (see writer())
        self.progress: Progress | None = None
        self.grading: GradeRun | None = None
        self.grade_server: GradeServer | None = None  # started with the first grading, kept warm for the next
        self._fingerprint: tuple = ()
        self._syncing = False
        self._files: tuple = ()

    # --- start and polling -----------------------------------------------------------

    def on_mount(self) -> None:
        self.sub_title = f"{self.workspace.handle} · {self.workspace.root.name}" if self.workspace else ""
        if self.problem or self.workspace is None:
            self._show_problem("No workspace", self.problem or "No mldojo workspace here.")
            return
        if self.catalogue is None:
            from mldojo.catalogue import load_catalogue

            self.catalogue = load_catalogue()
        self._files = files_fingerprint(self.workspace, self.catalogue)
        if self.reload(announce=False):
            self.switch_mode("curriculum")
        self.set_interval(self.poll_interval_s, self.poll_history)

    def poll_history(self) -> None:
        """Reload when another process (or this one) wrote to the history since the last look."""
        if self.workspace is None:
            return
        fingerprint = history_fingerprint(self.workspace.tracker_path)
        files = files_fingerprint(self.workspace, self.catalogue)
        if fingerprint != self._fingerprint or files != self._files:
            self._files = files  # a saved exercise file: its "edited since graded" note changes
            self.reload()

    def reload(self, announce: bool = True) -> bool:
        """Read the history again and tell the current screen; a damaged file gets a clear screen."""
        assert self.workspace is not None and self.catalogue is not None
        fingerprint = history_fingerprint(self.workspace.tracker_path)
        try:
            if self.history is None or not _same_file(fingerprint, self._fingerprint):
                self._open_history()  # first time, or the file was replaced (moved aside, restored)
                fingerprint = history_fingerprint(self.workspace.tracker_path)
            self.progress = load_progress(self.catalogue, self.history, self.workspace)
        except history_errors() as error:
            self._fingerprint = fingerprint
            self._close_tracker()
            self._show_problem("Your progress history cannot be read", str(error))
            return False
        self._fingerprint = fingerprint
        if isinstance(self.screen, ProblemScreen) and self.screen.retryable:
            self.pop_screen()  # the file is readable again
            if self.current_mode == "_default":
                self.switch_mode("curriculum")
        if announce:
            self.screen.post_message(HistoryChanged())
        return True

    def _open_history(self) -> None:
        from mldojo.tracker.reader import HistoryReader

        self._close_tracker()
        self.history = HistoryReader.open(self.workspace.tracker_path)

    def writer(self):
        """The SQLModel tracker, opened at the first write (a hint, a criterion): reading never needs it."""
        if self.tracker is None:
            from mldojo.tracker.store import Tracker

            self.tracker = Tracker.open(self.workspace.tracker_path)
        return self.tracker

    def _close_tracker(self) -> None:
        for store in (self.history, self.tracker):
            if store is not None:
                store.close()
        self.history = self.tracker = None

    def _show_problem(self, title: str, message: str) -> None:
        if isinstance(self.screen, ProblemScreen):
            self.screen.show(title, message)
        else:
            self.push_screen(ProblemScreen(title, message, retryable=self.workspace is not None))

    # --- actions ---------------------------------------------------------------------

    def action_view(self, mode: str) -> None:
        """Switch to one of the four views."""
        if isinstance(self.screen, ProblemScreen):
            return  # nothing to show until the history reads again
        if self.progress is not None and self.current_mode != mode:
            self.switch_mode(mode)

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        """Show every key binding."""
        help_screen = _screen("help", "HelpScreen")
        if not isinstance(self.screen, help_screen):
            self.push_screen(help_screen())

    def open_exercise(self, exercise_id: str) -> None:
        """Show one exercise on top of the curriculum."""
        if self.current_mode != "curriculum":
            self.switch_mode("curriculum")
        exercise_screen = _screen("exercise", "ExerciseScreen")
        if isinstance(self.screen, exercise_screen) and self.screen.exercise_id == exercise_id:
            return
        if isinstance(self.screen, exercise_screen):
            self.pop_screen()
        self.push_screen(exercise_screen(exercise_id))

    def start_grading(self, exercise_id: str) -> None:
        """Grade an exercise in the background, as the real `grade check` command does, by the warm `grade serve`."""
        if self.grading is not None and self.grading.running:
            self.notify(f"Already grading {self.grading.exercise_id}; press c to cancel it first.", severity="warning")
            return
        if self.grade_server is None:
            self.grade_server = GradeServer(self.workspace.root, python=self.python)
        self.grading = GradeRun(exercise_id, ServedGrade(self.grade_server, exercise_id))
        self.run_worker(self._grade(self.grading), name=f"grade {exercise_id}", group="grade", exit_on_error=False)

    async def _grade(self, run: GradeRun) -> None:
        """The worker: start the child, forward each line, then refresh everything."""
        self.screen.post_message(GradeStarted(run.exercise_id))
        try:
            await run.process.start()
            async for line in run.process.lines():
                run.lines.append(line)
                self.screen.post_message(GradeOutput(run.exercise_id, line))
            run.exit_code = await run.process.wait()
        except Exception as error:  # noqa: BLE001 - any failure here must end the run, visibly
            run.lines.append(f"grading could not run: {type(error).__name__}: {error}")
            self.screen.post_message(GradeOutput(run.exercise_id, run.lines[-1]))
            run.exit_code = -1
        finally:
            if run.exit_code is None:  # the worker itself was cancelled (app closing)
                await run.process.stop()
                run.exit_code = EXIT_INTERRUPTED
        self.reload()
        status = self.progress.status_of(run.exercise_id) if self.progress else None
        run.verdict = status.last_verdict if status else None
        self.screen.post_message(GradeFinished(run.exercise_id, run.exit_code, run.process.interrupted))
        severity = "information" if run.exit_code == 0 else "warning" if run.process.interrupted else "error"
        self.notify(f"{run.exercise_id}: {run.outcome}{self._next_words(run)}", severity=severity)

    def _next_words(self, run: GradeRun) -> str:
        """After a pass, the exercise to work on next, as `grade` names it."""
        if run.exit_code != 0 or self.progress is None:
            return ""
        from mldojo.progress import current_exercise

        states = {e.id: e.state for stage in self.progress.stages for e in stage.exercises}
        following = current_exercise(self.catalogue, states)
        return f". Next: {following.id} — {following.title}" if following else ". Every exercise passes."

    def action_cancel_grading(self) -> None:
        """Interrupt the running grading (it is recorded as interrupted)."""
        if self.grading is None or not self.grading.running:
            self.notify("Nothing is being graded.")
            return
        if self.grading.process.interrupted:  # a second c: it did not stop on Ctrl-C
            self.grading.process.kill()
            self.notify("Stopped hard; this attempt is not recorded.", severity="warning")
            return
        self.grading.process.interrupt()
        self.notify(f"Cancelling {self.grading.exercise_id}… (c again stops it hard)")

    def sync_group(self) -> None:
        """Run `grade group sync` in the background and say how it went."""
        from mldojo.tracker.group.repository import is_joined

        if self.workspace is None or not is_joined(self.workspace):
            self.notify("Join a study group first: grade group join REMOTE (in a terminal).", severity="warning")
            return
        if self._syncing:
            self.notify("Already syncing with the group.")
            return
        self._syncing = True
        self.notify("Syncing with the group…")
        self.run_worker(self._sync(), name="group sync", group="sync", exit_on_error=False)

    async def _sync(self) -> None:
        from mldojo.tui.group_sync import sync_group

        try:
            code, summary = await sync_group(self.workspace.root, self.python)
        except Exception as error:  # noqa: BLE001 - the TUI says what failed, never shows a traceback
            code, summary = -1, f"the sync could not run: {type(error).__name__}: {error}"
        finally:
            self._syncing = False
        self.notify(summary, severity="information" if code == 0 else "error", timeout=8)
        self.screen.post_message(GroupSynced(code, summary))

    def show_next_hint(self, exercise_id: str) -> None:
        """Record the next hint, as `grade hint` does; the exercise screen's Hints section shows it."""
        exercise = self.catalogue.exercise(exercise_id)
        try:
            shown = self.history.hints_shown(exercise_id)
            if shown < len(exercise.hints):
                self.writer().record_hint(exercise_id, shown)
        except history_errors() as error:
            self.notify(f"The hint could not be recorded: {error}", severity="error")
            return
        self.reload()

    def record_evidence(self, stage_id: str, criterion_id: str, evidence: str) -> None:
        """Store a self-reported criterion, as `grade done` does."""
        try:
            self.writer().record_criterion(stage_id, criterion_id, "self-reported", evidence)
        except history_errors() as error:
            self.notify(f"Not recorded: {error}", severity="error")
            return
        self.notify(f"Recorded {stage_id} {criterion_id}.")
        self.reload()

    async def action_quit(self) -> None:
        """Quit; a running grading is interrupted first so its attempt is recorded."""
        if self.grading is not None and self.grading.running:
            await self.grading.process.stop()
        self._close_tracker()
        self.exit()

    async def on_unmount(self) -> None:
        """End the grading server with the app (its warm processes with it)."""
        if self.grade_server is not None:
            await self.grade_server.close()


def _screen(module: str, name: str) -> type:
    """A screen class from mldojo.tui.screens.<module>, imported on first use."""
    import importlib

    return getattr(importlib.import_module(f"mldojo.tui.screens.{module}"), name)


def _same_file(now: tuple, before: tuple) -> bool:
    """Whether the history is still the file (inode) the open tracker reads."""
    return bool(now and before and now[0] and before[0] and now[0][2] == before[0][2])
