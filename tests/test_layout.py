"""The repository's layout promises: one key, four places; everything under `mldojo`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mldojo.catalogue import load_catalogue

REPO = Path(__file__).resolve().parents[1]
TREES = ("exercises", "reference", "graders")
NOT_EXERCISES = {"__init__.py"}


def _exercise_files(tree: str) -> set[str]:
    root = REPO / tree
    found = set()
    for path in root.glob("*/*.py"):
        # Helper modules beside a grader are named <exercise>_driver.py, <exercise>_baseline.py
        # (a benchmark's baseline) or _<name>.py.
        if path.name in NOT_EXERCISES or path.stem.endswith(("_driver", "_baseline")) or path.stem.startswith("_") or path.parent.name in ("engine", "kit", "bench"):
            continue
        found.add(f"{path.parent.name}/{path.stem}")
    return found


@pytest.mark.parametrize("exercise", [e.id for e in load_catalogue().exercises])
def test_every_catalogue_entry_has_stub_reference_and_grader(exercise):
    for tree in TREES:
        assert (REPO / tree / f"{exercise}.py").is_file(), f"{exercise} is in the catalogue but {tree}/{exercise}.py is missing"


@pytest.mark.parametrize("tree", TREES)
def test_every_exercise_file_has_a_catalogue_entry(tree):
    listed = {e.id for e in load_catalogue().exercises}
    unlisted = _exercise_files(tree) - listed
    assert not unlisted, f"{tree}/ has files with no catalogue entry: {sorted(unlisted)}; add [[exercise]] entries or remove them"


def test_pyproject_lists_every_package_folder():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = set(config["tool"]["setuptools"]["packages"])
    mapping = config["tool"]["setuptools"]["package-dir"]
    expected = set()
    for package, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            expected.add(".".join([package, *relative.parts]) if relative.parts else package)
    assert expected == packages, f"pyproject.toml packages differ from the folders: missing {sorted(expected - packages)}, extra {sorted(packages - expected)}"


def test_stage_folders_of_exercises_are_packages_in_every_tree():
    for exercise in load_catalogue().exercises:
        for tree in TREES:
            assert (REPO / tree / exercise.stage / "__init__.py").is_file()
