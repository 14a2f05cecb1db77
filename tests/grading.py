"""Helpers for the project's tests: grade a given source file as a learner would have it."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mldojo.graders.engine.runner import GradeRequest, grade
from mldojo.graders.engine.results import GradeReport

REPO = Path(__file__).resolve().parents[1]
MUTANTS = REPO / "tests" / "mutants"
SOLUTIONS = REPO / "tests" / "solutions"  # correct solutions written unlike the reference
# Exercises whose learner module imports another exercise's file from the workspace
# (`from stage1.tree import DecisionTreeClassifier`): tests put that file's reference beside it.
BUILDS_ON = {"stage1/forest": ("stage1/tree",), "stage2/micrograd_nn": ("stage2/micrograd",)}


def package_file(kind: str, exercise: str) -> Path:
    """The shipped stub ('exercises') or reference ('reference') of an exercise."""
    return Path(str(resources.files(f"mldojo.{kind}").joinpath(exercise + ".py")))


def place_companions(exercise: str, workspace: Path) -> None:
    """Copy the reference of every exercise `exercise` builds on into the workspace, unless one is there."""
    for other in BUILDS_ON.get(exercise, ()):
        target = workspace / (other + ".py")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package_file("reference", other), target)


def place_source(exercise: str, source: Path | str, workspace: Path) -> Path:
    """Write `source` (a path, or Python text) as WORKSPACE/<exercise>.py, with the files it builds on."""
    target = workspace / (exercise + ".py")
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_text(source)
    place_companions(exercise, workspace)
    return target


def grade_edited_reference(exercise: str, old: str, new: str, workspace: Path, **options):
    """Grade the reference with its one occurrence of `old` replaced by `new`: a slip as a learner would type it."""
    reference = package_file("reference", exercise).read_text()
    assert reference.count(old) == 1, old
    return grade_source(exercise, reference.replace(old, new), workspace, **options)


def grade_source(exercise: str, source: Path | str, workspace: Path, seed: int | None = None,
                 time_limit_s: float = 60.0, forbid: tuple[str, ...] | None = None, only: tuple[str, ...] = ()) -> GradeReport:
    """Copy `source` (a path, or Python text) to WORKSPACE/<exercise>.py and grade it."""
    from mldojo.catalogue import load_catalogue

    target = place_source(exercise, source, workspace)
    entry = load_catalogue().exercise(exercise)
    request = GradeRequest(
        exercise=exercise,
        root=workspace,
        file=target,
        time_limit_s=time_limit_s,
        memory_limit_mb=entry.memory_limit_mb,
        forbid=entry.forbid if forbid is None else forbid,
        requires=entry.requires,
        seed=seed,
        only=only,
    )
    return grade(request)


@dataclass(frozen=True)
class Mutant:
    """A realistic wrong solution: a correct base with a few edits, and the check that must catch it."""

    exercise: str
    name: str
    expect: str  # the check that must fail
    bug: str  # the mistake, in words
    source: str  # the whole wrong module
    diagnosis: str | None = None  # words the check's diagnosis must contain, if it gives one

    def __str__(self) -> str:
        return f"{self.exercise}:{self.name}"


def base_source(exercise: str, base: str) -> str:
    """A correct solution to start a mutant from: the reference, or tests/solutions/<stage>/<base>.py."""
    if base == "reference":
        return package_file("reference", exercise).read_text()
    return (SOLUTIONS / exercise.partition("/")[0] / f"{base}.py").read_text()


def apply_edits(text: str, edits: list[tuple[str, str]]) -> str:
    """Replace each `old` (which must occur exactly once) by its `new`."""
    for old, new in edits:
        assert text.count(old) == 1, f"the base no longer contains exactly one {old!r}"
        text = text.replace(old, new)
    return text


def mutants(exercise: str) -> list[Mutant]:
    """The realistic wrong solutions kept for an exercise: tests/mutants/<stage>/<name>/*.toml."""
    found = []
    for path in sorted((MUTANTS / exercise).glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        edits = [(edit["old"], edit["new"]) for edit in spec["edit"]]
        source = apply_edits(base_source(exercise, spec.get("base", "reference")), edits)
        found.append(Mutant(exercise, path.stem, spec["expect"], spec["bug"], source, spec.get("diagnosis")))
    return found


def failures_across_seeds(exercise: str, source: Path | str, workspace: Path, seeds, time_limit_s: float = 600.0) -> list[str]:
    """Run every check of `exercise` on `source` for each seed, in one learner process.

    The same checks and seeds as `grade --seed N`, without starting a process (and
    importing scikit-learn / torch again) per seed; a check that kills the process gets
    a fresh one. Returns one line per failing (seed, check), empty when all pass.
    """
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import Learner, LearnerSession
    from mldojo.graders.engine.runner import load_grader, run_check
    from mldojo.graders.engine.training import is_training_check
    from mldojo.graders.kit.checks import checks_of

    target = place_source(exercise, source, workspace)
    entry = load_catalogue().exercise(exercise)
    module = LearnerModule(exercise, workspace.resolve(), target.resolve(), entry.forbid, entry.memory_limit_mb)
    session = LearnerSession(module, Budget(time_limit_s))
    # A training check draws no inputs and takes no seed: one run (test_reference_passes) is enough.
    specs = [spec for spec in checks_of(load_grader(exercise)) if not is_training_check(spec)]
    failures = []
    try:
        for seed in seeds:
            for spec in specs:
                if not session.alive():
                    session.start()
                outcome = run_check(spec, Learner(session), seed)
                if outcome.verdict != "passed":
                    failures.append(f"seed {seed} {spec.name}: {outcome.verdict}: {outcome.message}\n{outcome.inputs}\n{outcome.traceback}")
                    session.close()
    finally:
        session.close()
    return failures


def explain(report) -> str:
    """Every check's verdict and message, for an assertion that failed."""
    lines = [f"verdict {report.verdict}: {report.problem}"]
    for c in report.checks:
        lines.append(f"  {c.verdict:>16} {c.name}: {c.message}\n{c.inputs}\n  diagnosis: {c.diagnosis}\n{c.traceback}")
    return "\n".join(lines)


def outcomes_of_one_check(exercise: str, source: Path | str, check: str, seeds, workspace: Path,
                          time_limit_s: float = 120.0) -> dict:
    """{seed: CheckOutcome} of one check of `exercise` on `source` for each seed, in one learner process."""
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import Learner, LearnerSession
    from mldojo.graders.engine.runner import load_grader, run_check
    from mldojo.graders.kit.checks import checks_of

    target = place_source(exercise, source, workspace)
    entry = load_catalogue().exercise(exercise)
    module = LearnerModule(exercise, workspace.resolve(), target.resolve(), entry.forbid, entry.memory_limit_mb)
    session = LearnerSession(module, Budget(time_limit_s))
    spec = next(spec for spec in checks_of(load_grader(exercise)) if spec.name == check)
    found = {}
    try:
        for seed in seeds:
            if not session.alive():
                session.start()
            found[seed] = run_check(spec, Learner(session), seed)
    finally:
        session.close()
    return found


def mutant_source(exercise: str, name: str) -> str:
    """The source of one kept mutant of `exercise`, by its file name."""
    return next(m.source for m in mutants(exercise) if m.name == name)


def verdicts_across_seeds(mutant: Mutant, seeds, workspace: Path) -> dict:
    """{seed: (verdict, diagnosis)} of the mutant's expected check, one learner process for all seeds."""
    outcomes = outcomes_of_one_check(mutant.exercise, mutant.source, mutant.expect, seeds, workspace, time_limit_s=600)
    return {seed: (outcome.verdict, outcome.diagnosis) for seed, outcome in outcomes.items()}
