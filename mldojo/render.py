"""Terminal output: check lines, failures in the learner's terms, status and history tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mldojo.graders.engine import results as R

MARKS = {R.PASSED: ("✓", "green"), R.SKIPPED: ("-", "dim"), R.NOT_IMPLEMENTED: ("…", "yellow")}
PRINTED_LIMIT = 2000
STATE_STYLES = {"passed": "green", "regressed": "bold red", "failing": "red", "not started": "dim"}


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
    if getattr(outcome, "training", None):
        out.print(f"    [bold]{escape(training_summary(outcome.training))}[/]")
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


def training_summary(run: dict) -> str:
    """'test accuracy 98.42 % (goal met: 98.00 %), 41.3 s wall, 8 epochs, cpu' (or 'dev loss 2.1534 (goal met: ≤ 2.20), ...')."""
    epochs = f", {run['epochs']} epoch{'s' if run['epochs'] != 1 else ''}" if run.get("epochs") else ""
    if run.get("status") != "finished":
        return f"training {run.get('status')} after {run.get('wall_s', 0):.1f} s{epochs}"
    if R.is_loss_metric(run.get("metric")):
        met = "goal met" if run.get("met") else "above the goal"
        return (f"{run['metric']} {run['loss']:.4f} ({met}: ≤ {run['goal']:.2f}), "
                f"{run['wall_s']:.1f} s wall{epochs}, {run.get('device', '')}")
    met = "goal met" if run.get("met") else "below the goal"
    return (f"test accuracy {100 * run['accuracy']:.2f} % ({met}: {100 * run['goal']:.2f} %), "
            f"{run['wall_s']:.1f} s wall{epochs}, {run.get('device', '')}")


def training_score(metric: str | None, accuracy: float | None, loss: float | None, goal: float) -> tuple[str, str]:
    """A recorded run's score and goal in short: ('97.10%', '98%') for an accuracy, ('dev loss 2.1534', '≤ 2.20') for a loss."""
    if R.is_loss_metric(metric):
        return ("-" if loss is None else f"{metric} {loss:.4f}"), f"≤ {goal:.2f}"
    return ("-" if accuracy is None else f"{accuracy:.2%}"), f"{goal:.0%}"


class TrainingProgress:
    """A live line while the learner's code trains: epoch, loss, elapsed (training.py events)."""

    def __init__(self, out: Console):
        self.out = out
        self.progress = None
        self.task = None

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "start":
            self._start(event)
        elif kind in ("progress", "phase"):
            self._update(event)
        elif kind == "end" and self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _start(self, event: dict) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        limit = event.get("time_limit_s")
        what = f"training on {event.get('dataset', 'the data')} (limit {limit:.0f} s)" if limit else "training"
        if not self.out.is_terminal:
            self.out.print(f"    {escape(what)} …")
            return
        self.progress = Progress(
            SpinnerColumn(), TextColumn("    {task.description}"), BarColumn(bar_width=20),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=self.out, transient=True,
        )
        self.task = self.progress.add_task(escape(what), total=None, status="")
        self.progress.start()

    def _update(self, event: dict) -> None:
        epoch, loss, total = event.get("epoch"), event.get("loss"), event.get("epochs")
        status = f"epoch {epoch}" + (f"/{total}" if total else "") + (f" · loss {loss:.4f}" if isinstance(loss, float) else "")
        if epoch is None:
            status = str(event.get("phase", ""))
        if self.progress is None:
            if not self.out.is_terminal and epoch is not None:
                self.out.print(f"    {escape(status)} ({event.get('elapsed_s', 0):.1f} s)")
            return
        self.progress.update(self.task, status=escape(status), completed=epoch or 0, total=total or None)


def report_header(out: Console, exercise) -> None:
    """The exercise id and title."""
    out.print(f"[bold]{exercise.id}[/] — {escape(exercise.title)}")


def report_footer(out: Console, report, exercise, hints_left: tuple[int, int], next_up=False) -> None:
    """The summary line and what to do next."""
    if report.problem:
        _indented(out, report.problem, 2, style="red" if report.verdict not in (R.NOT_IMPLEMENTED, R.SKIPPED) else "")
    if report.printed.strip():
        out.print("  [dim]your code printed:[/]")
        _indented(out, _cut(report.printed), 4, style="dim")
    counts = report.counts()
    total = len(report.checks)
    word = R.VERDICT_WORDS.get(report.verdict, report.verdict)
    style = "green" if report.passed else "red"
    seed = "" if report.seed is None else f", seed {report.seed}"
    ran = f"{counts.get(R.PASSED, 0)} of {total} checks passed — " if total else ""
    unsandboxed = " [yellow]unsandboxed[/]" if report.sandboxed is False else ""
    out.print(f"\n[{style} bold]{ran}{word}[/] ({report.duration_s:.1f} s{seed}){unsandboxed}")
    if report.sandboxed is False:
        out.print("  [yellow]your code ran without mldojo's sandbox[/] (`grade doctor` says why and how to enable it)")
    for line in next_steps(report, exercise, hints_left, next_up):
        out.print(f"  Next: {line}")


def next_steps(report, exercise, hints_left: tuple[int, int], next_up=False) -> list[str]:
    """What the learner can do now, given the verdict.

    next_up: after a pass, the exercise to work on next (None: every exercise passes;
    False: not known, e.g. the history could not be read).
    """
    shown, total = hints_left
    hint = f"stuck? `grade hint {exercise.id}` (hint {shown + 1} of {total})" if shown < total else f"all {total} hints shown; `grade reveal {exercise.id} --force` shows the reference"
    if report.passed:
        if next_up is None:
            return ["every exercise passes now; `grade status` shows each stage's \"done when\""]
        if next_up is False:
            return ["`grade` names the exercise to work on now; `grade status` shows your progress"]
        return [f"{next_up.id} — {escape(next_up.title)}: `grade {next_up.id}` (or just `grade`)"]
    if report.verdict == R.NOT_IMPLEMENTED:
        todo = ", ".join(report.unwritten) if report.unwritten else "the functions that raise NotImplementedError"
        return [f"write {todo} in {exercise.id}.py, then run `grade {exercise.id}` again", hint]
    if report.verdict == R.SKIPPED:
        return [f"install what the message above names, then run `grade {exercise.id}` again"]
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
        out.print(f"\n[bold]{stage.id}[/] — {escape(stage.title)}: {stage.passed}/{total} passed{done}")
        # Titles only where they fit on one line: the ids say enough on an 80-column terminal.
        titled = out.width >= 100
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        table.add_column("exercise", no_wrap=True)
        if titled:
            table.add_column("title", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("attempts", justify="right", no_wrap=True)
        for exercise in stage.exercises:
            style = STATE_STYLES.get(exercise.state, "dim")
            revealed = " (revealed)" if exercise.revealed else ""
            flag = " [yellow]![/]" if exercise.notes() else ""
            cells = [exercise.id] + ([escape(exercise.title)] if titled else [])
            table.add_row(*cells, f"[{style}]{escape(exercise.words)}{revealed}[/]{flag}", str(exercise.attempts))
        out.print(table)
        for exercise in stage.exercises:
            for note in exercise.notes():
                out.print(f"  [yellow]![/] {exercise.id}: {escape(note)}")
        out.print("  [bold]done when:[/]")
        for criterion in stage.criteria:
            mark = "[green]✓[/]" if criterion.met else "[red]✗[/]"
            kind = "" if criterion.kind == "automatic" else " [dim](self-reported)[/]"
            out.print(f"   {mark} {escape(criterion.text)}{kind}")
            if criterion.evidence:
                out.print(f"       [dim]evidence:[/] {escape(criterion.evidence)}")
            elif criterion.how:
                out.print(f"       [dim]{escape(criterion.how)}[/]")
        benchmark_status_table(out, getattr(stage, "benchmarks", []))


def history_table(out: Console, exercise_id: str, attempts, checks_of, benchmarks=(), training_runs=()) -> None:
    """One row per attempt, newest first; then the training runs and benchmark results, if any."""
    if not attempts:
        out.print(f"No attempts at {exercise_id} yet. Run `grade {exercise_id}`.")
        benchmark_history_table(out, exercise_id, benchmarks)
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
    if training_runs:
        out.print()
        training_history_table(out, exercise_id, training_runs)
    if benchmarks:
        out.print()
        benchmark_history_table(out, exercise_id, benchmarks)


def training_history_table(out: Console, exercise_id: str, runs) -> None:
    """The judge's score (accuracy or loss), wall time, epochs and device of each training run, newest first."""
    # getattr: HistoryReader's rows of a file not yet opened for writing lack the metric and loss columns
    metrics = {getattr(run, "metric", None) or "test accuracy" for run in runs}
    scored = metrics.pop() if len(metrics) == 1 else "score"  # one exercise keeps one metric: named once, in the header
    show_epochs = any(run.epochs is not None for run in runs)  # loss tasks count steps, not epochs
    table = Table(title=f"{exercise_id}: training runs", box=None, padding=(0, 1), header_style="bold", title_justify="left")
    for column in ("when (UTC)", "status", f"{scored} (goal)", "wall", *(("epochs",) if show_epochs else ())):
        table.add_column(column, no_wrap=True)
    table.add_column("device", overflow="fold")
    for run in runs:
        score, goal = training_score(getattr(run, "metric", None), run.accuracy, getattr(run, "loss", None), run.goal)
        if scored != "score":
            score = score.removeprefix(f"{scored} ")  # the header names it
        shown = score if score == "-" else f"[{'green' if run.met else 'red'}]{escape(score)}[/]"
        epochs = ("-" if run.epochs is None else str(run.epochs),) if show_epochs else ()
        table.add_row(
            run.recorded_at.strftime("%Y-%m-%d %H:%M"),
            escape(run.status),
            f"{shown} ({goal})",
            f"{run.wall_s:.1f} s",
            *epochs,
            escape((run.device or "-").split(" (")[0]),  # "cpu, 1 thread": why one thread is in --json
        )
    out.print(table)


def _ratio(ratio, met=None) -> str:
    if ratio is None:
        return "-"
    style = "" if met is None else "green" if met else "red"
    return f"[{style}]{ratio:.2f}x[/]" if style else f"{ratio:.2f}x"


def _seconds(value) -> str:
    if value is None:
        return "-"
    return f"{value * 1e3:.3g} ms" if value < 1 else f"{value:.3g} s"


def _timed(seconds, met=None) -> str:
    style = "" if met is None else "green" if met else "red"
    return f"[{style}]{_seconds(seconds)}[/]" if style else _seconds(seconds)


def benchmark_status_table(out: Console, benchmarks) -> None:
    """`grade status`: latest and best result per benchmark (ratio = your time / the baseline's)."""
    if not benchmarks:
        return
    out.print("  [bold]benchmarks[/] [dim](ratio = your time / the baseline's; lower is faster)[/]:")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for column in ("exercise", "benchmark", "device", "latest", "best", "target (gold)", "n"):
        table.add_column(column, no_wrap=True, justify="left" if column in ("exercise", "benchmark", "device") else "right")
    for b in benchmarks:
        latest = _ratio(b.latest_ratio, b.latest_met) if b.latest_ratio is not None else _timed(b.latest_median_s, b.latest_met)
        best = _ratio(b.best_ratio) if b.best_ratio is not None else _seconds(b.best_median_s)
        target = f"≤ {b.target_ratio:g}x" if b.target_ratio is not None else f"≤ {b.target_s:g} s" if b.target_s else "-"
        if b.gold_ratio is not None:
            target += f" (≤ {b.gold_ratio:g}x)"
        table.add_row(b.exercise_id, b.benchmark_id, b.device, latest, best, target, str(b.runs))
    out.print(table)


def _json_field(text: str, key: str):
    import json

    try:
        return json.loads(text or "{}").get(key)
    except (ValueError, AttributeError):
        return None


def benchmark_history_table(out: Console, exercise_id: str, rows) -> None:
    """`grade history ID`: every recorded benchmark result, newest first."""
    if not rows:
        return
    table = Table(title=f"{exercise_id}: {len(rows)} benchmark result" + ("" if len(rows) == 1 else "s"), box=None,
                  padding=(0, 1), header_style="bold", title_justify="left")
    for column in ("when (UTC)", "benchmark", "yours", "IQR", "baseline", "ratio", "target"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        target = f"≤ {row.target_ratio:g}x" if row.target_ratio is not None else "-"
        if row.target_ratio is None:
            target_s = _json_field(row.details, "target_s")
            target = f"≤ {target_s:g} s" if isinstance(target_s, (int, float)) else target
        yours = _seconds(row.median_s) if row.ratio is not None else _timed(row.median_s, row.met_target)
        table.add_row(row.recorded_at.strftime("%Y-%m-%d %H:%M"), row.benchmark_id, yours,
                      _seconds(row.spread_s), _seconds(row.baseline_s), _ratio(row.ratio, row.met_target), target)
    out.print(table)


def bench_outcome(out: Console, outcome) -> None:
    """One benchmark's result: both timings, the ratio against target and gold, throughput, memory, machine."""
    from mldojo.graders.bench.environment import describe

    if outcome.status == "skipped":
        out.print(f"  [yellow]-[/] {escape(outcome.message)}")
        return
    if outcome.status == "failed":
        out.print("  [red]✗ not measured[/]")
        _indented(out, outcome.message, 4)
        return
    bench = outcome.benchmark
    for side in (outcome.learner, outcome.baseline):
        if side is None:
            continue
        t = side.timing
        extra = f"  {side.tflops:.3g} TFLOP/s" if side.tflops else ""
        if side.peak_bytes is not None:
            extra += f"  peak {side.peak_bytes / 2**20:.0f} MiB"
        out.print(f"  {escape(side.label):<32} {_seconds(t.median):>9}  (median of {t.n}; IQR {_seconds(t.q1)} – "
                  f"{_seconds(t.q3)}, min {_seconds(t.minimum)}, max {_seconds(t.maximum)}){extra}")
    verdict = outcome.verdict
    mark = "[green]✓[/]" if verdict and verdict.met_target else "[red]✗[/]" if verdict and verdict.met_target is False else " "
    runs = outcome.details.get("runs") or []  # training benchmarks: the judge's accuracy, or stage3/gpt's validation loss
    if runs:
        last = runs[-1]
        if "val_loss" in last:
            score = f"validation loss {last['val_loss']:.4f} (goal ≤ {outcome.details.get('goal_val_loss', 0):.2f})"
        else:
            score = f"test accuracy {100 * last['accuracy']:.2f} % (goal {100 * last['goal']:.2f} %)"
        out.print(f"    the judge's score: {score}, trained on {escape(str(last['device']))}")
    if verdict is not None and verdict.ratio is not None:
        out.print(f"  {mark} {escape(verdict.words(bench.target_ratio, bench.gold_ratio))}")
    elif getattr(bench, "target_s", None):
        met = "met" if verdict and verdict.met_target else "not met"
        out.print(f"  {mark} {_seconds(outcome.learner.timing.median)} against a target of {bench.target_s:g} s: {met}")
    elif outcome.learner is not None:
        out.print(f"    recorded: {_seconds(outcome.learner.timing.median)} (this benchmark has no target)")
    out.print(f"  [dim]{escape(describe(outcome.environment))}[/]")
    if not outcome.recorded:
        out.print(f"  [red]{escape(outcome.message or 'not recorded')}[/]")


def _indented(out: Console, text: str, spaces: int, style: str = "") -> None:
    pad = " " * spaces
    for line in text.splitlines():
        out.print(f"{pad}[{style}]{escape(line)}[/]" if style else f"{pad}{escape(line)}")


def _cut(text: str) -> str:
    return text if len(text) <= PRINTED_LIMIT else text[: PRINTED_LIMIT // 2] + "\n…\n" + text[-PRINTED_LIMIT // 2 :]
