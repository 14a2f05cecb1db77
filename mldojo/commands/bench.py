"""`grade bench ID`: time your code against a baseline, as the catalogue declares, and record it."""

from __future__ import annotations

import json

from mldojo.commands import EXIT_FAIL, EXIT_PASS, UsageError, find_exercise, find_workspace

HELP = "time your code against its baseline (the exercise's declared benchmarks)"


def configure(parser) -> None:
    """Add this command's arguments."""
    parser.add_argument("exercise", metavar="ID", help="the exercise, e.g. stage3/attention")
    parser.add_argument("--only", metavar="BENCH", help="run one benchmark (its id, as `--list` shows)")
    parser.add_argument("--list", action="store_true", help="list the exercise's benchmarks and exit")
    parser.add_argument("--warmup", type=_count(0), metavar="N", help="untimed runs first (default: the catalogue's)")
    parser.add_argument("--repeats", type=_count(1), metavar="N", help="timed runs (default: the catalogue's)")
    parser.add_argument("--json", action="store_true", help="print the results (or, with --list, the benchmarks) as JSON (docs/json.md)")


def run(args) -> int:
    """Measure, print and record; 0 when every measured benchmark meets its target."""
    from mldojo import render

    exercise = find_exercise(args.exercise)
    if not exercise.benchmarks:
        raise UsageError(f"{exercise.id} declares no benchmarks. `grade list` shows the exercises; those with speed "
                         "targets (stage3/attention, for one) have them.")
    ids = [b.id for b in exercise.benchmarks]
    if args.only and args.only not in ids:
        raise UsageError(f"{exercise.id} has no benchmark {args.only!r}; it has: {', '.join(ids)}")
    out = render.console()
    if args.list and args.json:
        print(json.dumps({"exercise": exercise.id, "benchmarks": [benchmark_data(b) for b in exercise.benchmarks]}, indent=2))
        return EXIT_PASS
    if args.list:
        for bench in exercise.benchmarks:
            out.print(f"{bench.id:<22} {bench.device:<5} {bench.title}\n{'':<29}target: {bench.target}")
        return EXIT_PASS
    workspace = find_workspace(args)
    if not workspace.exercise_file(exercise.id).is_file():
        raise UsageError(f"{workspace.exercise_file(exercise.id)} does not exist; `grade init` restores missing exercises")
    from mldojo.graders.bench.runner import run_benchmarks

    if args.json:  # nothing but the JSON on stdout
        outcomes = run_benchmarks(workspace, exercise, args.only, args.warmup, args.repeats)
        print(json.dumps({"exercise": exercise.id, "results": [outcome_data(o) for o in outcomes]}, indent=2, default=str))
        return _exit_code(outcomes)
    out.print(f"[bold]{exercise.id}[/] — benchmarks (the judge times every call; lower ratios are faster)")
    outcomes = run_benchmarks(workspace, exercise, args.only, args.warmup, args.repeats,
                              on_start=lambda bench: out.print(f"\n[bold]{bench.id}[/]: {bench.title}"),
                              on_done=lambda outcome: render.bench_outcome(out, outcome),
                              on_progress=_progress_printer(out))
    code = _exit_code(outcomes)
    measured = [o for o in outcomes if o.status == "measured"]
    if code == EXIT_PASS:
        out.print("\n[green bold]every benchmark that ran met its target (or records a time without one)[/]  (`grade status` and "
                  f"`grade history {exercise.id}` show the record)")
    elif not measured and all(o.status == "skipped" for o in outcomes):
        out.print("\n[yellow]nothing could run on this machine; nothing was recorded[/]")
    return code


def _exit_code(outcomes) -> int:
    """0 when something was measured and every benchmark that ran met its target."""
    measured = [o for o in outcomes if o.status == "measured"]
    return EXIT_PASS if measured and all(o.ok for o in outcomes if o.status != "skipped") else EXIT_FAIL


def benchmark_data(bench) -> dict:
    """A declared benchmark (the catalogue's entry) as JSON-ready data."""
    from dataclasses import asdict

    return {**asdict(bench), "shape": list(bench.shape)}


def outcome_data(outcome) -> dict:
    """One benchmark's outcome as JSON-ready data (docs/json.md)."""
    verdict = outcome.verdict
    return {
        "benchmark": outcome.benchmark.id,
        "device": outcome.benchmark.device,
        "status": outcome.status,
        "ok": outcome.ok,
        "message": outcome.message,
        "learner": outcome.learner.to_dict() if outcome.learner else None,
        "baseline": outcome.baseline.to_dict() if outcome.baseline else None,
        "ratio": verdict.ratio if verdict else None,
        "met_target": verdict.met_target if verdict else None,
        "gold": verdict.gold if verdict else None,
        "target_ratio": outcome.benchmark.target_ratio,
        "gold_ratio": outcome.benchmark.gold_ratio,
        "target_s": outcome.benchmark.target_s,
        "environment": outcome.environment,
        "details": outcome.details,
        "recorded": outcome.recorded,
    }


def _progress_printer(out):
    """Training benchmarks: one line per epoch the learner's code reports (shown, never trusted)."""
    seen = set()

    def show(fields: dict) -> None:
        if fields.get("event") == "progress" and fields.get("epoch") is not None and fields.get("epoch") not in seen:
            seen.add(fields.get("epoch"))
            loss = fields.get("loss")
            loss_text = f"  loss {loss:.4g}" if isinstance(loss, (int, float)) else ""
            out.print(f"    epoch {fields.get('epoch')}{loss_text}  {fields.get('elapsed_s', 0.0):.1f} s")

    return show


def _count(minimum: int):
    def parse(text: str) -> int:
        import argparse

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse
