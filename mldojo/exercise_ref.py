"""What the learner typed to name an exercise, turned into its id.

Accepted, in this order: the id (`stage1/linreg`, with or without `.py` or a trailing
slash); a path to the file from the current folder (`linreg.py` inside `stage1/`,
`stage1/linreg.py`, `../stage1/linreg.py`, an absolute path); the id's last part when
only one exercise has it (`linreg`). Standard library only: `grade ID` starts here.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from mldojo.catalogue import Catalogue

CONFIG_NAME = "mldojo.toml"  # = workspace.CONFIG_NAME; not imported, to keep this module tiny


@dataclass(frozen=True)
class Unresolved:
    """Why a name is no exercise, and the ids it might have meant."""

    reason: str
    suggestions: tuple[str, ...] = ()


def resolve(text: str, catalogue: Catalogue, cwd: Path | None = None) -> str | Unresolved:
    """The exercise id that text names, or why it names none."""
    typed = text.strip()
    as_id = typed.strip("/").removesuffix(".py")
    if as_id in catalogue.by_id:
        return as_id
    from_path = _from_path(typed, cwd or Path.cwd())
    if from_path is not None:
        return from_path if from_path in catalogue.by_id else Unresolved(f"{typed} is not an exercise file of a workspace")
    tails: dict[str, list[str]] = {}
    for exercise in catalogue.exercises:
        tails.setdefault(exercise.id.partition("/")[2], []).append(exercise.id)
    owners = tails.get(os.path.basename(as_id), [])
    if len(owners) == 1 and "/" not in as_id:
        return owners[0]
    if len(owners) > 1:
        return Unresolved(f"{typed!r} names more than one exercise", tuple(owners))
    return Unresolved(f"there is no exercise {typed!r}", tuple(catalogue.suggest(as_id)))


def _from_path(typed: str, cwd: Path) -> str | None:
    """The id of an existing file given as a path, relative to its workspace's root (None: not a file)."""
    found = _file_and_root(typed, cwd)
    if found is None:
        return None
    path, root = found
    return path.relative_to(root).with_suffix("").as_posix() if root is not None else ""


def workspace_of(typed: str | None, cwd: Path | None = None) -> Path | None:
    """The workspace holding the file a path names (`grade ~/course/stage1/linreg.py` from anywhere); None otherwise."""
    found = _file_and_root(typed, cwd or Path.cwd()) if typed else None
    return found[1] if found else None


def _file_and_root(typed: str, cwd: Path) -> tuple[Path, Path | None] | None:
    """(the file, the workspace above it or None) when typed is a path to an existing .py file."""
    if not (typed.endswith(".py") or os.sep in typed):
        return None
    path = Path(typed).expanduser()
    path = (path if path.is_absolute() else cwd / path).resolve()
    if not path.is_file():
        return None
    return path, next((folder for folder in path.parents if (folder / CONFIG_NAME).is_file()), None)


def close_commands(text: str, commands: tuple[str, ...]) -> list[str]:
    """The commands a mistyped word probably meant (`statsu` -> status)."""
    return difflib.get_close_matches(text.strip().lower(), commands, n=2, cutoff=0.7)
