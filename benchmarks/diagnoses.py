"""Are the graders' diagnoses right? Grade every kept realistic mutant and read its diagnosis.

Usage:  python benchmarks/diagnoses.py [--only ID ...]

For each mutant in tests/mutants/<stage>/<name>/*.toml (tests/grading.py's `mutants()`), a full
grading (every check, as a learner gets it) and the first check whose verdict is "failed":

    names the bug   it gives a diagnosis and the diagnosis contains the mutant's `diagnosis` words
    wrong           it gives a diagnosis, and the mutant declares other words
    unreviewed      it gives a diagnosis, and the mutant declares none (nobody said what is right)
    none            no diagnosis (or no check failed at all)

Prints per exercise: mutants, names the bug (share), wrong, unreviewed, none; then every wrong
and unreviewed case with its diagnosis text. Keeps the figures and every case in
docs/mutation/diagnoses.json and fills the "diagnosis share" column of docs/mutation.md
(benchmarks/mutation.py writes the rest of that table, and keeps this column). A diagnosis is evidence, never a guess (DESIGN.md): exits 1 when one is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # grading.py: mutants(), place_source
sys.path.insert(0, str(REPO / "benchmarks"))

from mutation import DIAGNOSES, TABLE, log, missing_data, selected  # noqa: E402
from mutation_grade import grade_file  # noqa: E402

NAMES, WRONG, UNREVIEWED, NONE = "names the bug", "wrong", "unreviewed", "none"


@dataclass(frozen=True)
class Diagnosed:
    """One mutant's first failing check and how its diagnosis compares with the declared words."""

    exercise: str
    mutant: str
    kind: str  # NAMES, WRONG, UNREVIEWED or NONE
    check: str | None  # the first check with verdict "failed"
    expect: str  # the check the mutant is meant to fail
    diagnosis: str | None
    declared: str | None  # the mutant's `diagnosis` words
    verdict: str  # the overall verdict


def load_mutants(exercise: str) -> tuple[list, list[str]]:
    """The exercise's kept mutants, and a line per mutant file that no longer applies to its base."""
    import tomllib

    from grading import MUTANTS, Mutant, apply_edits, base_source, mutants

    try:
        return mutants(exercise), []
    except (AssertionError, OSError, KeyError, tomllib.TOMLDecodeError):
        pass  # the reference moved under one of them: load the others one by one, as mutants() does
    found, problems = [], []
    for path in sorted((MUTANTS / exercise).glob("*.toml")):
        try:
            spec = tomllib.loads(path.read_text())
            edits = [(edit["old"], edit["new"]) for edit in spec["edit"]]
            source = apply_edits(base_source(exercise, spec.get("base", "reference")), edits)
        except (AssertionError, OSError, KeyError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{exercise}:{path.stem}: not graded: {' '.join(str(exc).split())[:160]}")
            continue
        found.append(Mutant(exercise, path.stem, spec["expect"], spec["bug"], source, spec.get("diagnosis")))
    return found, problems


def first_failed(report):
    """The first check whose verdict is 'failed', or None."""
    return next((c for c in report.checks if c.verdict == "failed"), None)


def kind_of(diagnosis: str | None, declared: str | None) -> str:
    """Classify a diagnosis against the words the mutant declares."""
    if not diagnosis:
        return NONE
    if declared is None:
        return UNREVIEWED
    # The same test as tests/test_exercises.py: the declared words, verbatim, in the diagnosis.
    return NAMES if declared in diagnosis else WRONG


def diagnose(mutant) -> Diagnosed:
    """Grade one mutant fully in a fresh workspace and classify its first diagnosis."""
    from grading import place_source

    with tempfile.TemporaryDirectory(prefix="mldojo-diagnoses-") as folder:
        workspace = Path(folder)
        place_source(mutant.exercise, mutant.source, workspace)
        report = grade_file(mutant.exercise, workspace, stop_at_first_failure=False)
    first = first_failed(report)
    diagnosis = first.diagnosis if first else None
    return Diagnosed(mutant.exercise, mutant.name, kind_of(diagnosis, mutant.diagnosis), first.name if first else None,
                     mutant.expect, diagnosis, mutant.diagnosis, report.verdict)


def share(found: list[Diagnosed]) -> str:
    """'named / mutants (percent)'."""
    named = sum(d.kind == NAMES for d in found)
    return f"{named}/{len(found)} ({100 * named / len(found):.0f} %)" if found else "—"


def summary_line(exercise: str, found: list[Diagnosed]) -> str:
    """One exercise's figures."""
    count = lambda kind: sum(d.kind == kind for d in found)  # noqa: E731
    return (f"{exercise:<24} {len(found):>3} mutants  {NAMES}: {share(found):<14} {WRONG}: {count(WRONG):>2}  "
            f"{UNREVIEWED}: {count(UNREVIEWED):>2}  {NONE}: {count(NONE):>2}")


def fill_table(shares: dict[str, str]) -> list[str]:
    """Write the shares into docs/mutation.md's 'diagnosis share' column; the exercises without a row."""
    if not TABLE.exists():
        return sorted(shares)
    lines, column, filled = TABLE.read_text().splitlines(), None, set()
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            continue
        cells = line.strip().strip("|").split("|")
        names = [c.strip() for c in cells]
        if column is None and "diagnosis share" in names:
            column = names.index("diagnosis share")
        elif column is not None and names[0].strip("`") in shares:
            cells[column] = f" {shares[names[0].strip('`')]} "
            lines[i] = "|" + "|".join(cells) + "|"
            filled.add(names[0].strip("`"))
    TABLE.write_text("\n".join(lines) + "\n")
    return sorted(set(shares) - filled)


def counts(found: list[Diagnosed]) -> dict:
    """One exercise's figures, as saved."""
    figures = {"mutants": len(found), "share": share(found)}
    figures.update({kind: sum(d.kind == kind for d in found) for kind in (NAMES, WRONG, UNREVIEWED, NONE)})
    return figures


def save(by_exercise: dict[str, list[Diagnosed]], problems: list[str], command: str) -> None:
    """docs/mutation/diagnoses.json: the figures and every case, merged with exercises measured before."""
    data = json.loads(DIAGNOSES.read_text()) if DIAGNOSES.exists() else {"exercises": {}, "cases": []}
    data["cases"] = [c for c in data["cases"] if c["exercise"] not in by_exercise]
    kept = [line for line in data.get("not_applicable", []) if line.partition(":")[0] not in by_exercise]
    data["not_applicable"] = kept + problems
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for exercise, found in by_exercise.items():
        data["exercises"][exercise] = counts(found) | {"command": command, "date": date}
        data["cases"] += [asdict(d) for d in found]
    DIAGNOSES.parent.mkdir(parents=True, exist_ok=True)
    DIAGNOSES.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def print_cases(found: list[Diagnosed]) -> None:
    """Every wrong and unreviewed diagnosis, and the mutants no check failed on."""
    for kind in (WRONG, UNREVIEWED):
        cases = [d for d in found if d.kind == kind]
        print(f"\n{kind} ({len(cases)}):")
        for d in cases:
            declared = f"  declared: {d.declared!r}" if d.declared else ""
            other = "" if d.check == d.expect else f" (meant for {d.expect})"
            print(f"  {d.exercise}:{d.mutant} at {d.check}{other}{declared}\n      diagnosis: {d.diagnosis}")
    unfailed = [d for d in found if d.check is None]
    if unfailed:
        print(f"\nno check failed ({len(unfailed)}):")
        for d in unfailed:
            print(f"  {d.exercise}:{d.mutant}: verdict {d.verdict}")


def main(argv: list[str]) -> int:
    """Grade the mutants of the selected exercises and report their diagnoses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="ID", help="only these exercises")
    args = parser.parse_args(argv)
    by_exercise, problems = {}, []
    for exercise in selected(args.only):
        why = missing_data(exercise)
        if why:
            log(f"skipping {exercise}: {why}")
            continue
        kept, unusable = load_mutants(exercise)
        problems += unusable
        by_exercise[exercise] = [diagnose(m) for m in kept]
        log(summary_line(exercise, by_exercise[exercise]) + (f"  ({len(unusable)} not applicable)" if unusable else ""))
    found = [d for mine in by_exercise.values() for d in mine]
    save(by_exercise, problems, " ".join(["python benchmarks/diagnoses.py", *argv]))
    shares = {exercise: share(mine) for exercise, mine in by_exercise.items()}
    print_cases(found)
    for line in problems:
        print(line)
    for exercise in fill_table(shares):
        print(f"note: {TABLE.relative_to(REPO)} has no row for {exercise} yet (run benchmarks/mutation.py)")
    return 1 if any(d.kind == WRONG for d in found) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
