"""Mutation testing of the graders: does every small change to a reference fail its grading?

Usage:  python benchmarks/mutation.py [--only ID ...] [--workers N] [--timeout S] [--keep] [--no-server]
                                      [--without-training]   (every check but the training one: for
                                         stage3/wavenet, gpt and resnet, whose training takes minutes
                                         per mutant; their rows say "training check not run")
        python benchmarks/mutation.py --reclassify     (re-read docs/mutation/equivalent.toml)
        python benchmarks/mutation.py --regrade-survivors [--unexplained-only] --only ID ...
                                        (after a grader change: grade the saved survivors again;
                                         a full run is needed when the reference itself changed;
                                         --unexplained-only skips those equivalent.toml explains,
                                         for exercises whose every grading trains)
        python benchmarks/mutation.py --training-code --only ID ... [--workers N] [--stop-after MIN]
                                        (after a --without-training run: grade the mutants of the
                                         training code with the training check alone, on the
                                         reduced goal of tests/reduced_training.py)

Needs the `mutation` extra (`pip install -e ".[mutation]"`: cosmic-ray). For each exercise
of the catalogue, the reference is copied into a temporary workspace as the learner's file
(with the references of the exercises it builds on beside it, as tests/grading.py does), and
cosmic-ray mutates that copy one change at a time; each mutant is graded by the real engine
(benchmarks/mutation_grade.py, stopping at the first failing check). On top of cosmic-ray's
operators, argument-ignoring mutants (benchmarks/argument_mutants.py) rebind one parameter
of the stub's API to its default. Writes

    docs/mutation/<stage>_<name>.json   every mutant: operator, line, before/after, outcome,
                                        the check that killed it
    docs/mutation.md                    the table over all exercises measured so far

A survivor that cannot change any observable behaviour is listed by hand, with the reason,
in docs/mutation/equivalent.toml (matched by exercise, operator and the line's text before
and after, not by line number) and counts as "equivalent". Exits 1 when a non-equivalent
survivor remains (they are printed) or a reference does not pass its own grading; exercises
whose data set is missing are skipped with a line saying so (MLDOJO_DATA_DIR, `grade data`).

Each mutant is graded through mutation_grade.py's fork server (the engine, the grader and its
oracles imported once, every grading in a fresh fork); --no-server starts each from scratch.
--workers N splits the mutants into N shards, each with its own workspace copy (cosmic-ray
rewrites the file in place) and its own `cosmic-ray exec`; one grading keeps about one core
busy, so more workers than cores only slows each one down.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import random
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from queue import Queue

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # grading.py: place_source, package_file (BUILDS_ON)
sys.path.insert(0, str(REPO / "benchmarks"))

from argument_mutants import OPERATOR as ARGUMENT_OPERATOR  # noqa: E402
from argument_mutants import argument_mutants  # noqa: E402
from mutation_grade import REDUCED_TRAINING  # noqa: E402 - the training check alone, on a reduced goal

GRADE_SCRIPT = REPO / "benchmarks" / "mutation_grade.py"
DOCS = REPO / "docs"
RESULTS = DOCS / "mutation"
TABLE = DOCS / "mutation.md"
EQUIVALENT = RESULTS / "equivalent.toml"
DIAGNOSES = RESULTS / "diagnoses.json"  # benchmarks/diagnoses.py's figures
# Exercises whose grading reads a real data set (the judge loads it: see graders/engine/training.py
# and graders/stage1/titanic.py); without it every mutant would be "killed" by the missing file.
DATASETS = {"stage1/titanic": "titanic", "stage2/mlp": "mnist", "stage3/mnist_torch": "mnist"}
SLACK_S = 60.0  # on top of the catalogue's limits: start-up, imports, a loaded machine
POLL_S = 30.0
NO_DIAGNOSIS = "—"


# ----------------------------------------------------------------------------- records


@dataclass
class Record:
    """One mutant and what its grading said."""

    operator: str
    line: int
    before: str
    after: str
    result: str  # what the grading said: killed / survived / incompetent
    verdict: str = ""  # the killing verdict (failed, error, timeout, ...)
    check: str | None = None  # the first check that did not pass
    function: str | None = None
    occurrence: int | None = None
    outcome: str = ""  # result, with survived -> equivalent where equivalent.toml says so
    reason: str | None = None  # why it is equivalent
    reduced: bool = False  # graded by the training check on the reduced goal (--training-code)
    measured: str = ""  # what that training check measured ("validation loss 2.2234 after 25.7 s of training")
    not_run: str = ""  # why --training-code left it ungraded

    def key(self) -> tuple:
        """Sort order: by line, then operator."""
        return (self.line, self.operator, self.occurrence or 0, self.before, self.after)


def parse_grade_output(output: str | None) -> tuple[str, str | None]:
    """(verdict, check) from mutation_grade.py's line; cosmic-ray writes 'timeout' on its own timeout."""
    text = "\n".join(line.split(" | ", 1)[0] for line in (output or "").strip().splitlines())
    if text == "timeout":
        return "timeout", None  # cosmic-ray's own per-mutant limit
    for line in reversed(text.splitlines()):
        if line.startswith("PASS"):
            return "passed", None
        if line.startswith("KILLED "):
            parts = line.split(" ", 2)
            verdict = parts[1] if len(parts) > 1 else "unknown"
            check = parts[2] if len(parts) > 2 and not parts[2].startswith("- ") and parts[2] != "-" else None
            return verdict, check
    return "unknown", None


def line_change(original: str, mutated: str) -> tuple[int, str, str]:
    """(first changed line, text before, text after), each side's lines stripped and joined by newlines."""
    old, new = original.splitlines(), mutated.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "equal":
            before = "\n".join(s.strip() for s in old[a0:a1])
            after = "\n".join(s.strip() for s in new[b0:b1])
            return a0 + 1, before, after
    return 0, "", ""


# ----------------------------------------------------------------------------- equivalents


def normal(text: str) -> str:
    """Whitespace-insensitive form of a line, for matching equivalents."""
    return " ".join(text.split())


def operator_matches(listed: str, operator: str) -> bool:
    """'core/NumberReplacer' and 'NumberReplacer' name the same operator."""
    return listed == operator or operator.endswith("/" + listed)


def load_equivalents() -> list[dict]:
    """The hand-kept list of equivalent mutants (empty when there is no file)."""
    if not EQUIVALENT.exists():
        return []
    entries = tomllib.loads(EQUIVALENT.read_text()).get("equivalent", [])
    for entry in entries:
        missing = {"exercise", "operator", "before", "after", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{EQUIVALENT}: an entry lacks {', '.join(sorted(missing))}: {entry}")
    return entries


def equivalence_reason(exercise: str, record: Record, entries: list[dict]) -> str | None:
    """The reason given for this survivor in equivalent.toml, or None."""
    for entry in entries:
        if (entry["exercise"] == exercise and operator_matches(entry["operator"], record.operator)
                and normal(entry["before"]) == normal(record.before) and normal(entry["after"]) == normal(record.after)):
            entry["_used"] = True
            return entry["reason"]
    return None


def classify(exercise: str, records: list[Record], entries: list[dict], without_training: bool = False) -> None:
    """Set each record's outcome: survivors listed in equivalent.toml become 'equivalent'; in a run
    without the training check, the other survivors inside the functions only that check runs
    (the grader's TRAINED_FUNCTIONS) become 'training-only': not measured, not a gap found."""
    in_training_code = training_code(exercise) if without_training else (lambda record: False)
    for record in records:
        record.outcome, record.reason = record.result, None
        if record.result == "survived":
            reason = equivalence_reason(exercise, record, entries)
            if reason:
                record.outcome, record.reason = "equivalent", reason
            elif record.reduced:
                record.outcome = MET_GOAL
            elif in_training_code(record):
                record.outcome = TRAINING_ONLY


TRAINING_ONLY = "training-only"
# A mutant of the training code whose trained model met the (reduced) goal the judge measured
# itself: how a learner trains is theirs to choose, so this is a correct solution, not a gap.
MET_GOAL = "met-goal"


def training_code(exercise: str):
    """A test of whether a record's mutation lies in the code only the training check runs: a function
    in the grader's TRAINED_FUNCTIONS, or a module-level assignment to a name listed there (a
    training configuration). The reference is read once."""
    return code_of(exercise, trained_functions(exercise))


def code_of(exercise: str, names) -> object:
    """A test of whether a record's mutation lies in one of the reference's functions or module-level
    assignments named in `names`."""
    import ast

    from grading import package_file

    names = set(names)
    tree = ast.parse(package_file("reference", exercise).read_text())
    spans = [(node.lineno, node.end_lineno or node.lineno) for node in tree.body if isinstance(node, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)]
    return lambda record: record.function in names or (
        not record.function and any(first <= record.line <= last for first, last in spans))


def trained_functions(exercise: str) -> tuple[str, ...]:
    """The functions of the reference that only the exercise's training check runs (its grader says which)."""
    from mldojo.graders.engine.runner import load_grader

    return tuple(getattr(load_grader(exercise), "TRAINED_FUNCTIONS", ()))


# ----------------------------------------------------------------------------- workspaces


def missing_data(exercise: str) -> str | None:
    """Why the exercise cannot be graded here (its data set is missing), or None."""
    name = DATASETS.get(exercise)
    if name is None:
        return None
    from mldojo.datasets import DatasetError, find_dataset

    try:
        find_dataset(name)
    except DatasetError as exc:
        return f"the {name} data set is missing ({' '.join(str(exc).split())[:160]})"
    return None


def make_workspace(folder: Path, exercise: str) -> Path:
    """A bare workspace with the reference as the learner's file (and the files it builds on)."""
    from grading import package_file, place_source

    folder.mkdir(parents=True)
    place_source(exercise, package_file("reference", exercise), folder)
    return folder


@dataclass(frozen=True)
class Grader:
    """How a mutant gets graded: mutation_grade.py, through its fork server when there is one."""

    exercise: str
    timeout: float  # seconds per mutant
    server: Path | None = None  # the fork server's socket

    def command(self, workspace: Path) -> list[str]:
        """The command that grades WORKSPACE/<exercise>.py and exits 0 when it passes."""
        server = ["--server", str(self.server), "--timeout", str(self.timeout)] if self.server else []
        return [sys.executable, str(GRADE_SCRIPT), *server, self.exercise, str(workspace)]


def start_server(exercise: str, folder: Path, log) -> tuple[subprocess.Popen | None, Path | None]:
    """Start mutation_grade.py's fork server and wait until it listens; (None, None) if it does not."""
    socket_path = folder / "grade.sock"
    output = open(folder / "server.log", "w")
    process = subprocess.Popen([sys.executable, str(GRADE_SCRIPT), "--serve", str(socket_path), exercise],
                               stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300  # imports on a loaded machine
    while time.monotonic() < deadline and process.poll() is None:
        if socket_path.exists():
            return process, socket_path
        time.sleep(0.5)
    stop_server(process)
    log(f"  {exercise}: the grading server did not start (see {folder / 'server.log'}); grading each mutant from scratch")
    return None, None


def stop_server(process: subprocess.Popen | None) -> None:
    """Stop the fork server (its forks have all answered by then)."""
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait()


def run_grade(grader: Grader, workspace: Path) -> tuple[str, str | None, bool]:
    """Grade the workspace's file in a subprocess: (verdict, check, passed)."""
    return run_grade_measured(grader, workspace)[:3]


def run_grade_measured(grader: Grader, workspace: Path) -> tuple[str, str | None, bool, str]:
    """(verdict, check, passed, what a training check measured: the text after ' | ' on the grading's line)."""
    try:
        done = subprocess.run(grader.command(workspace), capture_output=True, text=True, timeout=grader.timeout,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    except subprocess.TimeoutExpired:
        return "timeout", None, False, ""
    verdict, check = parse_grade_output(done.stdout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(("PASS", "KILLED "))]
    measured = lines[-1].split(" | ", 1)[1].strip() if lines and " | " in lines[-1] else ""
    if verdict == "unknown":
        check = " ".join((done.stdout + done.stderr).split())[-300:]
    return verdict, check, done.returncode == 0, measured


WITHOUT_TRAINING = "MLDOJO_MUTATION_WITHOUT_TRAINING"  # the benchmark's own switch: never read by `grade`


def mutant_timeout(exercise: str, override: float | None) -> float:
    """Seconds one mutant's grading may take: the catalogue's limit + the training budget + slack."""
    if override:
        return override
    from mldojo.catalogue import load_catalogue

    entry = load_catalogue().exercise(exercise)
    return entry.time_limit_s + float(entry.goals.get("train_time_limit_s", 0)) + SLACK_S


# ----------------------------------------------------------------------------- cosmic-ray


def cosmic_ray() -> list[str]:
    """The cosmic-ray command of this Python's environment."""
    script = Path(sys.executable).with_name("cosmic-ray")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cosmic_ray.cli"]


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text)


def write_config(folder: Path, grader: Grader, workspace: Path) -> Path:
    """A cosmic-ray config that mutates the workspace's copy and grades it."""
    command = " ".join(shlex.quote(part) for part in grader.command(workspace))
    path = folder / "cosmic-ray.toml"
    path.write_text(
        "[cosmic-ray]\n"
        f"module-path = {toml_string(str(workspace / (grader.exercise + '.py')))}\n"
        f"timeout = {grader.timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {toml_string(command)}\n"
        "\n[cosmic-ray.distributor]\nname = \"local\"\n"
    )
    return path


def init_session(config: Path, session: Path) -> None:
    """`cosmic-ray init`: one work item per mutation of the module."""
    subprocess.run(cosmic_ray() + ["init", str(config), str(session)], check=True, capture_output=True, text=True)


def keep_shard(session: Path, shard: int, shards: int) -> int:
    """Mark every work item outside this shard as skipped; the number left to run."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        items = sorted(db.work_items, key=lambda item: mutation_order(item.mutations[0]))
        others = [item.job_id for index, item in enumerate(items) if index % shards != shard]
        if others:
            db.set_multiple_results(others, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        return len(items) - len(others)


def mutation_order(spec) -> tuple:
    """The same order in every shard's session: by position, then operator and occurrence."""
    return (tuple(spec.start_pos), spec.operator_name, spec.occurrence)


def results_so_far(session: Path) -> int:
    """How many of a shard's mutants are graded (read-only: exec is writing)."""
    try:
        with sqlite3.connect(f"file:{session}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT count(*) FROM work_results WHERE worker_outcome != 'SKIPPED'").fetchone()
        return row[0]
    except sqlite3.Error:
        return -1


def run_shards(exercise: str, shards: list[tuple[Path, Path, int]], log) -> None:
    """Run `cosmic-ray exec` for every shard at once, printing progress until all end."""
    started = time.monotonic()
    procs = [subprocess.Popen(cosmic_ray() + ["exec", str(config), str(session)], stdout=subprocess.DEVNULL,
                              stderr=open(session.with_suffix(".log"), "w"))
             for config, session, _ in shards]
    total, told = sum(n for _, _, n in shards), started
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(1)
            if time.monotonic() - told >= POLL_S:
                told = time.monotonic()
                done = sum(max(results_so_far(session), 0) for _, session, _ in shards)
                log(f"  {exercise}: {done}/{total} cosmic-ray mutants graded, {(told - started) / 60:.1f} min")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
    for p, (_, session, _) in zip(procs, shards):
        if p.returncode != 0:
            tail = session.with_suffix(".log").read_text()[-2000:]
            raise RuntimeError(f"cosmic-ray exec exited with {p.returncode} for {exercise}:\n{tail}")


def cosmic_records(sessions: list[Path], original: str) -> list[Record]:
    """One record per graded mutant, read from the shards' sessions."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    records = []
    for session in sessions:
        with use_db(str(session), WorkDB.Mode.open) as db:
            completed = db.completed_work_items
        for item, result in completed:
            if result.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
                continue
            spec = item.mutations[0]
            operator = cosmic_ray.plugins.get_operator(spec.operator_name)(**(spec.operator_args or {}))
            mutated = mutate_code(original, operator, spec.occurrence) or original
            line, before, after = line_change(original, mutated)
            verdict, check = parse_grade_output(result.output)
            outcome = {TestOutcome.KILLED: "killed", TestOutcome.SURVIVED: "survived"}.get(result.test_outcome, "incompetent")
            if outcome == "incompetent" and verdict not in ("unknown", "passed"):
                outcome = "killed"  # cosmic-ray gave up, but our grader did report a failure
            records.append(Record(spec.operator_name, line or spec.start_pos[0], before, after, outcome,
                                  verdict if outcome != "survived" else "", check, spec.definition_name, spec.occurrence))
    return records


# ----------------------------------------------------------------------------- one exercise


@dataclass
class Measured:
    """What one exercise's run found."""

    exercise: str
    records: list[Record] = field(default_factory=list)
    arguments: list[Record] = field(default_factory=list)
    arguments_skipped: list[str] = field(default_factory=list)
    error: str | None = None


def grade_argument_mutants(grader: Grader, workspaces: list[Path], log) -> tuple[list[Record], list[str]]:
    """Grade every argument-ignoring mutant, one per free workspace at a time."""
    from grading import package_file

    exercise = grader.exercise
    made, skipped = argument_mutants(exercise, package_file("exercises", exercise), package_file("reference", exercise))
    free: Queue[Path] = Queue()
    for workspace in workspaces:
        free.put(workspace)

    def grade_one(mutant) -> Record:
        workspace = free.get()
        target = workspace / (exercise + ".py")
        original = target.read_text()
        try:
            target.write_text(mutant.source)
            verdict, check, passed = run_grade(grader, workspace)
        finally:
            target.write_text(original)
            free.put(workspace)
        return Record(ARGUMENT_OPERATOR, mutant.line, mutant.before, mutant.after, "survived" if passed else "killed",
                      "" if passed else verdict, check, mutant.function)

    with ThreadPoolExecutor(max_workers=len(workspaces)) as pool:
        records = list(pool.map(grade_one, made))
    log(f"  {exercise}: {len(records)} argument-ignoring mutants graded ({len(skipped)} parameters without one)")
    return records, skipped


def measure(exercise: str, workers: int, timeout_override: float | None, use_server: bool, keep: bool, log) -> Measured:
    """Run cosmic-ray and the argument-ignoring mutants over one exercise's reference."""
    from grading import package_file

    measured = Measured(exercise)
    original = package_file("reference", exercise).read_text()
    tmp = Path(tempfile.mkdtemp(prefix=f"mldojo-mutation-{exercise.replace('/', '-')}-"))
    server, socket_path = start_server(exercise, tmp, log) if use_server else (None, None)
    grader = Grader(exercise, mutant_timeout(exercise, timeout_override), socket_path)
    try:
        workspaces = [make_workspace(tmp / f"workspace{k}", exercise) for k in range(workers)]
        verdict, check, passed = run_grade(grader, workspaces[0])
        if not passed:
            measured.error = f"the reference does not pass its grading: {verdict} {check or ''}".strip()
            return measured
        shards = []
        for k, workspace in enumerate(workspaces):
            folder = tmp / f"cosmic-ray{k}"
            folder.mkdir()
            config, session = write_config(folder, grader, workspace), folder / "session.sqlite"
            init_session(config, session)
            shards.append((config, session, keep_shard(session, k, workers)))
        log(f"  {exercise}: {sum(n for *_, n in shards)} cosmic-ray mutants, {workers} worker(s), "
            f"{grader.timeout:.0f} s each at most{'' if socket_path else ', no grading server'}")
        run_shards(exercise, shards, log)
        measured.records = cosmic_records([session for _, session, _ in shards], original)
        measured.arguments, measured.arguments_skipped = grade_argument_mutants(grader, workspaces, log)
        return measured
    finally:
        stop_server(server)
        if keep:
            log(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- results on disk


def result_path(exercise: str) -> Path:
    """docs/mutation/<stage>_<name>.json."""
    return RESULTS / (exercise.replace("/", "_") + ".json")


def counts(records: list[Record]) -> dict[str, int]:
    """Generated, killed, timeouts, equivalent, survived and incompetent mutants."""
    return {
        "generated": len(records),
        "killed": sum(r.outcome == "killed" for r in records),
        "timeouts": sum(r.outcome == "killed" and r.verdict == "timeout" for r in records),
        "equivalent": sum(r.outcome == "equivalent" for r in records),
        "survived": sum(r.outcome == "survived" for r in records),
        "incompetent": sum(r.outcome == "incompetent" for r in records),
        "training_only": sum(r.outcome == TRAINING_ONLY for r in records),
        "met_goal": sum(r.outcome == MET_GOAL for r in records),
    }


def record_dict(record: Record) -> dict:
    """A record as JSON: empty fields left out."""
    data = {"operator": record.operator, "line": record.line, "function": record.function, "before": record.before,
            "after": record.after, "outcome": record.outcome, "result": record.result, "verdict": record.verdict,
            "check": record.check, "occurrence": record.occurrence, "reason": record.reason,
            "reduced_goal": record.reduced or None, "measured": record.measured, "not_run": record.not_run}
    return {k: v for k, v in data.items() if v not in (None, "")}


def record_from(data: dict) -> Record:
    """A record read back from JSON."""
    return Record(data["operator"], data["line"], data.get("before", ""), data.get("after", ""), data["result"], data.get("verdict", ""),
                  data.get("check"), data.get("function"), data.get("occurrence"), reduced=bool(data.get("reduced_goal")),
                  measured=data.get("measured", ""), not_run=data.get("not_run", ""))


def write_result(measured: Measured, command: str, without_training: bool = False) -> None:
    """docs/mutation/<stage>_<name>.json for one exercise."""
    from grading import package_file

    reference = package_file("reference", measured.exercise).read_bytes()
    data = {
        "exercise": measured.exercise,
        "command": command,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cosmic_ray": package_version("cosmic-ray"),
        "reference_sha256": hashlib.sha256(reference).hexdigest(),
        "summary": counts(measured.records),
        "argument_ignoring": counts(measured.arguments),
        "mutants": [record_dict(r) for r in sorted(measured.records, key=Record.key)],
        "argument_mutants": [record_dict(r) for r in sorted(measured.arguments, key=Record.key)],
        "argument_parameters_skipped": measured.arguments_skipped,
        **({"without_training": True} if without_training else {}),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    result_path(measured.exercise).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def package_version(name: str) -> str:
    """An installed distribution's version ('' when unknown)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def reclassify_file(path: Path, entries: list[dict]) -> dict:
    """Re-apply equivalent.toml to one saved result and rewrite it; the result's data."""
    data = json.loads(path.read_text())
    for key, summary in (("mutants", "summary"), ("argument_mutants", "argument_ignoring")):
        records = [record_from(d) for d in data[key]]
        classify(data["exercise"], records, entries, bool(data.get("without_training")))
        data[key] = [record_dict(r) for r in records]
        data[summary] = counts(records)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return data


def saved_results() -> list[dict]:
    """Every docs/mutation/*.json, in catalogue order."""
    from mldojo.catalogue import load_catalogue

    order = {e.id: i for i, e in enumerate(load_catalogue().exercises)}
    found = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("stage*_*.json"))]
    return sorted(found, key=lambda d: order.get(d["exercise"], len(order)))


# ----------------------------------------------------------------------------- the table


HEADER = ["exercise", "mutants", "killed (timeouts)", "equivalent", "survived", "incompetent",
          "ignoring one argument: generated / killed / survived", "diagnosis share", "measured"]


def existing_diagnosis_shares() -> dict[str, str]:
    """The 'diagnosis share' cells benchmarks/diagnoses.py filled: in docs/mutation.md, else in its figures."""
    shares = {}
    if DIAGNOSES.exists():
        shares = {exercise: figures["share"] for exercise, figures in json.loads(DIAGNOSES.read_text())["exercises"].items()}
    if not TABLE.exists():
        return shares
    column = None
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if column is None and "diagnosis share" in cells:
            column = cells.index("diagnosis share")
        elif column is not None and line.startswith("|") and len(cells) > column and "/" in cells[0]:
            if cells[column] != NO_DIAGNOSIS:
                shares[cells[0].strip("`")] = cells[column]
    return shares


def table_row(data: dict, share: str) -> str:
    """One exercise's row."""
    s, a = data["summary"], data["argument_ignoring"]
    argument = f"{a['generated']} / {a['killed']} / {a['survived']}"
    if a["equivalent"]:
        argument += f" (+{a['equivalent']} equivalent)"
    measured = data["date"][:10]
    if data.get("without_training"):
        measured += " (training code on a reduced goal)" if "training_code" in data else " (training check not run)"
    if "survivors_regraded" in data:  # a grader change since: its survivors graded again
        measured += f" (survivors re-graded {data['survivors_regraded']['date'][:10]})"
    survived = str(s["survived"])
    trained = data.get("training_code")
    if trained:
        survived += (f" (training code, {trained['graded']} graded on a reduced goal: {trained['killed']} killed, "
                     f"{trained['met_goal']} met it" + (f", {trained['not_run']} not run" if trained["not_run"] else "") + ")")
    elif s.get("training_only") or a.get("training_only"):
        survived += f" (+{s.get('training_only', 0) + a.get('training_only', 0)} in the training code, not run)"
    cells = [f"`{data['exercise']}`", s["generated"], f"{s['killed']} ({s['timeouts']})", s["equivalent"],
             survived, s["incompetent"], argument, share, measured]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def survivor_lines(data: dict) -> list[str]:
    """'exercise line N (operator): before -> after' for each non-equivalent survivor."""
    lines = []
    for record in data["mutants"] + data["argument_mutants"]:
        if record["outcome"] == "survived":
            before, after = record.get("before", "").replace("\n", " ⏎ "), record.get("after", "").replace("\n", " ⏎ ")
            lines.append(f"{data['exercise']} line {record['line']} ({record['operator'].removeprefix('core/')}): "
                         f"`{before}` → `{after}`")
    return lines


def write_table(results: list[dict]) -> None:
    """docs/mutation.md: one row per exercise measured, the commands, and the survivors."""
    shares = existing_diagnosis_shares()
    lines = [
        "# Mutation testing of the graders",
        "",
        "Each reference, copied into a workspace as the learner's file, mutated by cosmic-ray one change at a",
        "time and graded by the real engine (`benchmarks/mutation_grade.py`, stopping at the first failing",
        "check). A mutant is *killed* when its grading does not pass (a failed check, an error, a crash or a",
        "timeout: the timeouts are counted in brackets), *equivalent* when it survives and",
        "`docs/mutation/equivalent.toml` explains why no behaviour can change, *survived* otherwise: a gap in",
        "the grader. *Incompetent*: cosmic-ray could not run the mutant and our grader reported nothing.",
        "The argument-ignoring mutants (`benchmarks/argument_mutants.py`) rebind one parameter of the stub's",
        "API to its default (or a plausible constant) on entry. The diagnosis share (filled by",
        "`benchmarks/diagnoses.py`) is the share of the kept realistic mutants (`tests/mutants/`) whose",
        "first failing check's diagnosis names their bug. Every mutant is in `docs/mutation/<stage>_<name>.json`.",
        "Rows measured \"training check not run\" (`--without-training`: those trainings take minutes per mutant)",
        "graded every other check; their survivors inside the functions only the training check runs (the",
        "grader's `TRAINED_FUNCTIONS`) are counted apart, in brackets after *survived*: not measured, not cleared.",
        "Where `--training-code` then graded those with the training check alone, on the reduced goal of",
        "`tests/reduced_training.py` (a shorter run of the reference, a weaker goal set in the judge's process),",
        "the brackets say how many it killed and how many *met* the goal the judge measured: a different way",
        "to train that still trains is a correct solution, not a gap (each one's figure is in its JSON). *Not run*:",
        "code a CPU-only run never executes (a GPU configuration, CIFAR-10's augmentation) or a mutant that",
        "changes the very text the reduction shortens.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(" --- " for _ in HEADER) + "|",
    ]
    lines += [table_row(data, shares.get(data["exercise"], NO_DIAGNOSIS)) for data in results]
    lines += ["", "Produced by:", ""]
    runs: dict[tuple[str, str], list[str]] = {}
    for data in results:
        runs.setdefault((data["command"], data["date"]), []).append(data["exercise"])
    lines += [f"- `{command}` on {date} (cosmic-ray {next(d['cosmic_ray'] for d in results if d['command'] == command)}): "
              f"{', '.join(exercises)}" for (command, date), exercises in runs.items()]
    trainings = [data for data in results if "training_code" in data]
    if trainings:
        lines += ["", "Training code graded on a reduced goal (the rest of the measurement stands):", ""]
        lines += [f"- `{d['training_code']['command']}` on {d['training_code']['date']}: {d['exercise']}, "
                  f"{d['training_code']['goal']}; {d['training_code']['graded']} graded in "
                  f"{d['training_code']['minutes']:.0f} min, {d['training_code']['killed']} killed" for d in trainings]
    regrades = [data for data in results if "survivors_regraded" in data]
    if regrades:
        lines += ["", "Survivors graded again after a grader change (the rest of the measurement stands):", ""]
        lines += [f"- `{d['survivors_regraded']['command']}` on {d['survivors_regraded']['date']}: {d['exercise']}, "
                  f"{d['survivors_regraded']['regraded']} re-graded, {d['survivors_regraded']['killed']} now killed"
                  for d in regrades]
    survivors = [line for data in results for line in survivor_lines(data)]
    lines += ["", "## Survivors (not equivalent)", ""]
    lines += [f"- {line}" for line in survivors] or ["None."]
    TABLE.write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- re-grading survivors


def mutated_reference(reference: str, record: Record) -> str | None:
    """The reference with the record's one-line change applied at its line, or None when it does not apply."""
    lines = reference.splitlines()
    if "\n" in record.before or not 0 < record.line <= len(lines):
        return None
    line = lines[record.line - 1]
    if normal(line) != normal(record.before):
        return None
    indent = line[: len(line) - len(line.lstrip())]
    lines[record.line - 1] = indent + record.after
    return "\n".join(lines) + "\n"


def regrade_survivors(exercise: str, timeout: float | None, command: str, log, unexplained_only: bool = False) -> int:
    """Grade the saved survivors of one exercise again with the current grader (after a grader change)
    and rewrite its result; the number still surviving, or -1 when the saved result cannot be used.
    unexplained_only: leave the survivors equivalent.toml explains as they are (not graded again)."""
    from grading import package_file

    path = result_path(exercise)
    if not path.exists():
        log(f"  {exercise}: nothing measured yet; run the full measurement")
        return -1
    data = json.loads(path.read_text())
    if data.get("without_training"):
        os.environ[WITHOUT_TRAINING] = "1"  # graded again as it was measured
    reference = package_file("reference", exercise).read_text()
    if hashlib.sha256(reference.encode()).hexdigest() != data["reference_sha256"]:
        log(f"  {exercise}: the reference changed since it was measured; run the full measurement")
        return -1
    records = [record_from(d) for d in data["mutants"]]
    arguments = [record_from(d) for d in data["argument_mutants"]]
    entries = load_equivalents()
    grader = Grader(exercise, mutant_timeout(exercise, timeout))
    regraded = killed = 0
    in_training_code = training_code(exercise) if data.get("without_training") else (lambda record: False)

    def wanted(record: Record) -> bool:
        # Without the training check, a survivor inside the training code would only survive again.
        return (record.result == "survived" and not in_training_code(record)
                and not (unexplained_only and equivalence_reason(exercise, record, entries) is not None))

    again = [r for r in records if wanted(r)]
    with tempfile.TemporaryDirectory(prefix="mldojo-regrade-") as folder:
        for i, record in enumerate(again):
            source = mutated_reference(reference, record)
            if source is None:
                log(f"  {exercise}: line {record.line} ({record.operator}) cannot be re-applied; left as it was")
                continue
            workspace = make_workspace(Path(folder) / str(i), exercise)
            (workspace / f"{exercise}.py").write_text(source)
            verdict, check, passed = run_grade(grader, workspace)
            regraded += 1
            if not passed:
                killed += 1
                record.result, record.verdict, record.check = "killed", verdict, check
    left = [r for r in arguments if wanted(r)]
    if left:
        log(f"  {exercise}: {len(left)} argument-ignoring survivor(s) not re-graded; run the full measurement")
    classify(exercise, records, entries, bool(data.get("without_training")))
    classify(exercise, arguments, entries, bool(data.get("without_training")))
    data["mutants"] = [record_dict(r) for r in records]
    data["summary"] = counts(records)
    data["survivors_regraded"] = {"command": command, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                                  "regraded": regraded, "killed": killed}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    log(f"  {exercise}: {regraded} survivor(s) re-graded, {killed} now killed")
    return sum(r.outcome == "survived" for r in records + arguments)


# ----------------------------------------------------------------------------- the training code




def grade_training_code(exercise: str, workers: int, stop_after_s: float | None, command: str, log) -> int:
    """Grade the mutants a --without-training run left in the training code with the training check alone,
    on the exercise's reduced goal, and rewrite its result; the number killed, or -1 when it cannot run."""
    from grading import package_file
    from reduced_training import REDUCTIONS

    path, reduction = result_path(exercise), REDUCTIONS.get(exercise)
    if reduction is None or not path.exists():
        log(f"  {exercise}: " + ("no reduced goal in tests/reduced_training.py" if reduction is None else
                                 "nothing measured yet: run it with --without-training first"))
        return -1
    data = json.loads(path.read_text())
    reference = package_file("reference", exercise).read_text()
    if not data.get("without_training") or hashlib.sha256(reference.encode()).hexdigest() != data["reference_sha256"]:
        log(f"  {exercise}: the saved result is not a --without-training run of this reference; measure it again")
        return -1
    records = [record_from(d) for d in data["mutants"]]
    arguments = [record_from(d) for d in data["argument_mutants"]]
    todo = training_code_mutants(exercise, reference, records + arguments)
    random.Random(0).shuffle(todo)  # a run cut short by --stop-after has graded a sample of the whole training code
    started = time.monotonic()
    log(f"  {exercise}: {len(todo)} training-code mutants to grade on the reduced goal ({reduction.goal}), "
        f"{max(1, workers)} worker(s)")
    if not grade_reduced(exercise, todo, max(1, workers), stop_after_s, log):
        return -1
    entries = load_equivalents()
    classify(exercise, records, entries, True)
    classify(exercise, arguments, entries, True)
    in_training_code = training_code(exercise)
    trained = [r for r in records + arguments if in_training_code(r) and (r.reduced or r.not_run)]
    data["mutants"], data["argument_mutants"] = [record_dict(r) for r in records], [record_dict(r) for r in arguments]
    data["summary"], data["argument_ignoring"] = counts(records), counts(arguments)
    data["training_code"] = {
        "command": command, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "goal": reduction.goal,
        "minutes": (time.monotonic() - started) / 60, "graded": sum(r.reduced for r in trained),
        "killed": sum(r.reduced and r.outcome == "killed" for r in trained),
        "met_goal": sum(r.outcome == MET_GOAL for r in trained), "not_run": sum(not r.reduced for r in trained),
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    t = data["training_code"]
    log(f"  {exercise}: {t['graded']} graded, {t['killed']} killed, {t['met_goal']} met the reduced goal, {t['not_run']} not run")
    return t["killed"]


def training_code_mutants(exercise: str, reference: str, records: list[Record]) -> list[tuple[Record, str]]:
    """The surviving mutants of the training code, each with its reduced source; the others it cannot run
    get their record's not_run reason."""
    from grading import package_file
    from reduced_training import REDUCTIONS, reduced_source

    in_training_code = training_code(exercise)
    unreached = code_of(exercise, REDUCTIONS[exercise].not_reached)
    made, _ = argument_mutants(exercise, package_file("exercises", exercise), package_file("reference", exercise))
    by_key = {(m.line, m.before, m.after): m for m in made}
    todo = []
    for record in records:
        if record.result != "survived" or not in_training_code(record):
            continue
        record.reduced, record.measured, record.not_run = False, "", ""
        source = training_mutant_source(reference, record, by_key)
        if unreached(record):
            record.not_run = "a CPU-only, grayscale run never executes this code"
        elif source is None:
            record.not_run = "the saved change no longer applies to the reference"
        else:
            try:
                todo.append((record, reduced_source(exercise, source)))
            except KeyError:
                record.not_run = "it changes the text the reduction shortens"
    return todo


def training_mutant_source(reference: str, record: Record, arguments: dict) -> str | None:
    """The whole mutated reference of a saved record (cosmic-ray's one-line change, or an argument mutant)."""
    if record.operator == ARGUMENT_OPERATOR:
        made = arguments.get((record.line, record.before, record.after))
        return made.source if made else None
    return mutated_reference(reference, record)


def grade_reduced(exercise: str, todo: list[tuple[Record, str]], workers: int, stop_after_s: float | None, log) -> bool:
    """Grade each (record, source) by the training check alone on the reduced goal, `workers` at a time, and
    set the records' results; False (nothing graded) when the reduced reference itself does not pass."""
    from reduced_training import reduced_source

    os.environ[REDUCED_TRAINING] = "1"  # for the fork server and every grading below
    os.environ.pop(WITHOUT_TRAINING, None)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f"mldojo-training-{exercise.replace('/', '-')}-"))
    server, socket_path = start_server(exercise, tmp, log)
    grader = Grader(exercise, mutant_timeout(exercise, None), socket_path)
    free: Queue[Path] = Queue()
    for k in range(workers):
        free.put(make_workspace(tmp / f"workspace{k}", exercise))
    graded = []

    def grade_one(record: Record | None, source: str) -> tuple[str, str | None, bool, str]:
        if record is not None and stop_after_s is not None and time.monotonic() - started > stop_after_s:
            record.not_run = "the run stopped at its --stop-after time"
            return "", None, False, ""
        workspace = free.get()
        try:
            (workspace / f"{exercise}.py").write_text(source)
            verdict, check, passed, measured = run_grade_measured(grader, workspace)
        finally:
            free.put(workspace)
        if record is not None:
            record.reduced, record.measured, record.result = True, measured, "survived" if passed else "killed"
            record.verdict, record.check = ("", None) if passed else (verdict, check)
            graded.append(record)
            if len(graded) % 10 == 0:
                log(f"  {exercise}: {len(graded)}/{len(todo)} training-code mutants graded, "
                    f"{(time.monotonic() - started) / 60:.1f} min")
        return verdict, check, passed, measured

    try:
        verdict, check, passed, measured = grade_one(None, reduced_source(exercise))
        log(f"  {exercise}: the reference on the reduced goal: {'passed' if passed else verdict} ({measured or check})")
        if passed:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda item: grade_one(*item), todo))
        return passed
    finally:
        stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- main


def print_survivors(results: list[dict]) -> int:
    """Print every non-equivalent survivor; their number."""
    survivors = [line for data in results for line in survivor_lines(data)]
    if survivors:
        print(f"\n{len(survivors)} non-equivalent survivor(s): the graders miss these changes")
        for line in survivors:
            print(f"  {line.replace('`', '')}")
    return len(survivors)


def warn_unused(entries: list[dict], exercises: set[str]) -> None:
    """Entries of equivalent.toml that matched no mutant of the exercises looked at (stale)."""
    for entry in entries:
        if entry["exercise"] in exercises and not entry.get("_used"):
            print(f"note: {EQUIVALENT.name} entry matched nothing: {entry['exercise']} {entry['operator']} "
                  f"{entry['before']!r} -> {entry['after']!r}")


def selected(only: list[str]) -> list[str]:
    """The exercises to run, in catalogue order."""
    from mldojo.catalogue import load_catalogue

    ids = [e.id for e in load_catalogue().exercises]
    unknown = sorted(set(only) - set(ids))
    if unknown:
        raise SystemExit(f"unknown exercise {unknown[0]!r}; known: {', '.join(ids)}")
    return [i for i in ids if not only or i in only]


def log(text: str) -> None:
    """A progress line with the time, flushed at once (the full run is followed through a log file)."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


def reclassify() -> int:
    """Re-apply equivalent.toml to the saved results and rewrite the table."""
    entries = load_equivalents()
    results = [reclassify_file(path, entries) for path in sorted(RESULTS.glob("stage*_*.json"))]
    warn_unused(entries, {d["exercise"] for d in results})
    write_table(saved_results())
    return 1 if print_survivors(saved_results()) else 0


def main(argv: list[str]) -> int:
    """Measure the selected exercises, write the results and the table, report survivors."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="ID", help="only these exercises")
    parser.add_argument("--workers", type=int, default=1, help="cosmic-ray workers (shards) at once")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per mutant (default: limits + 60)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces and sessions")
    parser.add_argument("--no-server", action="store_true", help="grade every mutant in a fresh process, imports included")
    parser.add_argument("--reclassify", action="store_true", help="only re-apply equivalent.toml to the saved results")
    parser.add_argument("--without-training", action="store_true",
                        help="grade every check but the training one (whose training takes minutes per mutant); "
                             "the row says so")
    parser.add_argument("--regrade-survivors", action="store_true",
                        help="only grade the saved survivors of the --only exercises again (after a grader change)")
    parser.add_argument("--training-code", action="store_true",
                        help="only grade the training code's mutants of a --without-training run, on a reduced goal")
    parser.add_argument("--stop-after", type=float, default=None, metavar="MIN",
                        help="with --training-code: start no grading after this many minutes (the rest: not run)")
    parser.add_argument("--unexplained-only", action="store_true",
                        help="with --regrade-survivors: skip the survivors equivalent.toml explains")
    args = parser.parse_args(argv)
    if args.reclassify:
        return reclassify()
    command = "python benchmarks/mutation.py " + " ".join(shlex.quote(a) for a in argv)
    if args.regrade_survivors:
        left = [regrade_survivors(exercise, args.timeout, command, log, args.unexplained_only) for exercise in selected(args.only)]
        write_table(saved_results())
        return 1 if any(n != 0 for n in left) else 0
    if args.training_code:
        stop = args.stop_after * 60 if args.stop_after else None
        results = [grade_training_code(exercise, args.workers, stop, command, log) for exercise in selected(args.only)]
        write_table(saved_results())
        return 1 if any(n < 0 for n in results) else 0
    if args.without_training:
        os.environ[WITHOUT_TRAINING] = "1"  # read by mutation_grade.py, in cosmic-ray's workers and the fork server
    entries = load_equivalents()
    ran, failed = [], []
    for exercise in selected(args.only):
        why = missing_data(exercise)
        if why:
            log(f"skipping {exercise}: {why}")
            continue
        log(f"{exercise}")
        measured = measure(exercise, max(1, args.workers), args.timeout, not args.no_server, args.keep, log)
        if measured.error:
            log(f"  {exercise}: {measured.error}")
            failed.append(exercise)
            continue
        classify(exercise, measured.records, entries, args.without_training)
        classify(exercise, measured.arguments, entries, args.without_training)
        write_result(measured, command.strip(), args.without_training)
        ran.append(exercise)
        s = counts(measured.records)
        log(f"  {exercise}: {s['generated']} mutants, {s['killed']} killed, {s['equivalent']} equivalent, "
            f"{s['survived']} survived, {s['incompetent']} incompetent")
    warn_unused(entries, set(ran))
    results = saved_results()
    write_table(results)
    survivors = print_survivors([d for d in results if d["exercise"] in ran])
    for exercise in failed:
        print(f"{exercise}: not measured: its reference does not pass")
    return 1 if survivors or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
