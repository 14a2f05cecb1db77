"""Helpers for the project's tests: grade a given source file as a learner would have it."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from mldojo.graders.engine.runner import GradeRequest, grade
from mldojo.graders.engine.results import GradeReport

REPO = Path(__file__).resolve().parents[1]
MUTANTS = REPO / "tests" / "mutants"


def package_file(kind: str, exercise: str) -> Path:
    """The shipped stub ('exercises') or reference ('reference') of an exercise."""
    return Path(str(resources.files(f"mldojo.{kind}").joinpath(exercise + ".py")))


def grade_source(exercise: str, source: Path | str, workspace: Path, seed: int | None = None,
                 time_limit_s: float = 60.0, forbid: tuple[str, ...] | None = None) -> GradeReport:
    """Copy `source` (a path, or Python text) to WORKSPACE/<exercise>.py and grade it."""
    from mldojo.catalogue import load_catalogue

    target = workspace / (exercise + ".py")
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_text(source)
    entry = load_catalogue().exercise(exercise)
    request = GradeRequest(
        exercise=exercise,
        root=workspace,
        file=target,
        time_limit_s=time_limit_s,
        memory_limit_mb=entry.memory_limit_mb,
        forbid=entry.forbid if forbid is None else forbid,
        seed=seed,
    )
    return grade(request)


def mutant_files(exercise: str) -> list[Path]:
    """The realistic wrong solutions kept for an exercise: tests/mutants/<stage>/<name>/*.py."""
    folder = MUTANTS / exercise
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def expected_check(mutant: Path) -> str:
    """The check a mutant must fail, from its first line: `# expect: check_name`."""
    first = mutant.read_text().splitlines()[0]
    assert first.startswith("# expect:"), f"{mutant} must start with '# expect: <check name>'"
    return first.split(":", 1)[1].strip()
