"""Terminal output: check lines, failures in the learner's terms, status and history tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mldojo.graders.engine import results as R

MARKS = {R.PASSED: ("✓", "green"), R.SKIPPED: ("-", "dim"), R.NOT_IMPLEMENTED: ("…", "yellow")}
PRINTED_LIMIT = 2000


class LearnerConsole(Console):
    """Rich's console, except that a reader who leaves (`grade … | head`) stops the output,
    not the grading: rich would raise SystemExit and the attempt would go unrecorded."""

    def on_broken_pipe(self) -> None:
        """Go quiet instead of exiting."""
        self.quiet = True


def console() -> Console:
    """A console that colours only real terminals (and honours NO_COLOR)."""
    return LearnerConsole(highlight=False, soft_wrap=True)


def check_line(out: Console, outcome) -> None:
    """One line per check: mark, name, time; then what went wrong, indented."""
    mark, style = MARKS.get(outcome.verdict, ("✗", "red"))
    verdict = "" if outcome.verdict in (R.PASSED, R.FAILED) else f"  [{style}]{R.VERDICT_WORDS.get(outcome.verdict, outcome.verdict)}[/]"
    out.print(f"  [{style}]{mark}[/] {escape(outcome.name):<48} {outcome.duration_s:6.2f} s{verdict}")
    if outcome.verdict == R.PASSED:
        return
    if outcome.verdict not in (R.SKIPPED, R.NOT_IMPLEMENTED):
        out.print(f"    [dim]claim:[/] {escape(outcome.claim)}")
    _indented(out, outcome.message, 4)
    if outcome.traceback:
        _indented(out, outcome.traceback, 4)
    if outcome.inputs:
        out.print("    [bold]on this input (the smallest the grader found):[/]")
        _indented(out, outcome.inputs, 6)
    if outcome.diagnosis:
        out.print(f"    [bold magenta]Diagnosis:[/] {escape(outcome.diagnosis)}")
    if outcome.printed:
        out.print("    [dim]your code printed:[/]")
        _indented(out, _cut(outcome.printed), 6, style="dim")


def report_header(out: Console, exercise) -> None:
    """The exercise id and title."""
    out.print(f"[bold]{exercise.id}[/] — {escape(exercise.title)}")


def report_footer(out: Console, report, exercise, hints_left: tuple[int, int]) -> None:
    """The summary line and what to do next."""
    if report.problem:
        _indented(out, report.problem, 2, style="red" if report.verdict != R.NOT_IMPLEMENTED else "")
    if report.printed.strip():
        out.print("  [dim]your code printed:[/]")
        _indented(out, _cut(report.printed), 4, style="dim")
    counts = report.counts()
    total = len(report.checks)
    word = R.VERDICT_WORDS.get(report.verdict, report.verdict)
    style = "green" if report.passed else "red"
    seed = "" if report.seed is None else f", seed {report.seed}"
    ran = f"{counts.get(R.PASSED, 0)} of {total} checks passed — " if total else ""
    out.print(f"\n[{style} bold]{ran}{word}[/] ({report.duration_s:.1f} s{seed})")
    for line in next_steps(report, exercise, hints_left):
        out.print(f"  Next: {line}")


def next_steps(report, exercise, hints_left: tuple[int, int]) -> list[str]:
    """What the learner can do now, given the verdict."""
    shown, total = hints_left
    hint = f"stuck? `grade hint {exercise.id}` (hint {shown + 1} of {total})" if shown < total else f"all {total} hints shown; `grade reveal {exercise.id} --force` shows the reference"
    if report.passed:
        return ["`grade status` shows your progress; `grade list` the next exercises"]
    if report.verdict == R.NOT_IMPLEMENTED:
        todo = ", ".join(report.unwritten) if report.unwritten else "the functions that raise NotImplementedError"
        return [f"write {todo} in {exercise.id}.py, then run `grade {exercise.id}` again", hint]
    if report.verdict == R.SYNTAX_ERROR:
        return [f"fix the line above in {exercise.id}.py and run `grade {exercise.id}` again"]
    if report.verdict == R.TIMEOUT:
        return [f"look for a loop that never ends (the limit is {exercise.time_limit_s:g} s for all checks)", hint]
    if report.verdict == R.OUT_OF_MEMORY:
        return [f"look for an array or list that grows without bound (the limit is {exercise.memory_limit_mb} MB)", hint]
    return [f"fix it and run `grade {exercise.id}` again (`grade watch {exercise.id}` re-grades on save)", hint]


def status_tables(out: Console, stages) -> None:
    """Per stage: progress, each exercise's state, each criterion."""
    for stage in stages:
        total = len(stage.exercises)
        done = "  [green]done[/]" if stage.done else ""
        out.print(f"\n[bold]{stage.id}[/] — {escape(stage.title)}: {stage.passed}/{total} exercises passed{done}")
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        table.add_column("exercise")
        table.add_column("title")
        table.add_column("state")
        table.add_column("attempts", justify="right")
        for exercise in stage.exercises:
            style = {"passed": "green", "failing": "red"}.get(exercise.state, "dim")
            revealed = " (revealed)" if exercise.revealed else ""
            table.add_row(exercise.id, escape(exercise.title), f"[{style}]{exercise.state}{revealed}[/]", str(exercise.attempts))
        out.print(table)
        out.print("  [bold]done when:[/]")
        for criterion in stage.criteria:
            mark = "[green]✓[/]" if criterion.met else "[red]✗[/]"
            kind = "" if criterion.kind == "automatic" else " [dim](self-reported)[/]"
            out.print(f"   {mark} {escape(criterion.text)}{kind}")
            if criterion.evidence:
                out.print(f"       [dim]evidence:[/] {escape(criterion.evidence)}")
            elif criterion.how:
                out.print(f"       [dim]{escape(criterion.how)}[/]")


def history_table(out: Console, exercise_id: str, attempts, checks_of) -> None:
    """One row per attempt, newest first."""
    if not attempts:
        out.print(f"No attempts at {exercise_id} yet. Run `grade {exercise_id}`.")
        return
    count = f"{len(attempts)} attempt" + ("" if len(attempts) == 1 else "s")
    table = Table(title=f"{exercise_id}: {count}", box=None, padding=(0, 1), header_style="bold", title_justify="left")
    with_seed = any(a.seed is not None for a in attempts)
    for column in ("when (UTC)", "verdict", "checks", "time", "file") + (("seed",) if with_seed else ()):
        table.add_column(column, no_wrap=column in ("when (UTC)", "time", "file"))
    for attempt in attempts:
        style = "green" if attempt.verdict == R.PASSED else "red"
        row = [
            attempt.started_at.strftime("%Y-%m-%d %H:%M"),
            f"[{style}]{R.VERDICT_WORDS.get(attempt.verdict, attempt.verdict)}[/]",
            escape(attempt.summary),
            f"{attempt.duration_s:.1f} s",
            attempt.file_sha256[:8],
        ]
        table.add_row(*row, *(["" if attempt.seed is None else str(attempt.seed)] if with_seed else []))
    out.print(table)
    latest = attempts[0]
    failing = [c for c in checks_of(latest.id) if c.verdict != R.PASSED]
    if failing:
        out.print("\n[bold]last attempt, checks that did not pass:[/]")
        for check in failing:
            out.print(f"  [red]✗[/] {escape(check.name)}: {escape(check.message.splitlines()[0] if check.message else check.verdict)}")


def _indented(out: Console, text: str, spaces: int, style: str = "") -> None:
    pad = " " * spaces
    for line in text.splitlines():
        out.print(f"{pad}[{style}]{escape(line)}[/]" if style else f"{pad}{escape(line)}")


def _cut(text: str) -> str:
    return text if len(text) <= PRINTED_LIMIT else text[: PRINTED_LIMIT // 2] + "\n…\n" + text[-PRINTED_LIMIT // 2 :]
