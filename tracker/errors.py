"""Errors the tracker raises; stdlib only, so the fast read path can import them."""

from __future__ import annotations

import shlex
from pathlib import Path


class TrackerError(Exception):
    """Something is wrong with the learner's history file."""


class TrackerCorrupt(TrackerError):
    """The history file is not a readable mldojo history."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(_corrupt_message(self.path, reason))


class TrackerTooNew(TrackerError):
    """The history file was written by a newer mldojo than this one."""

    def __init__(self, path: Path, found: int, understood: int) -> None:
        self.path = Path(path)
        self.found = found
        self.understood = understood
        super().__init__(
            f"The progress history {self.path} was written by a newer mldojo "
            f"(schema {found}); this one understands schema {understood}. "
            "Your exercise files are untouched and so is the history. "
            "Upgrade mldojo with: pip install -U mldojo"
        )


def _corrupt_message(path: Path, reason: str) -> str:
    """Say what is wrong, that nothing else was harmed, and the exact commands to recover."""
    moves = [_move_command(path, Path(f"{path}.bak"))]
    # A leftover -wal file would be replayed into a fresh database at the same path,
    # so it has to move together with the database.
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            moves.append(_move_command(sidecar, Path(f"{path}.bak{suffix}")))
    return (
        f"The progress history {path} cannot be read ({reason}). "
        "Your exercise files are untouched; only the record of past attempts is affected, "
        "and mldojo has not modified it. To start a fresh history, move it aside: "
        + " && ".join(moves)
    )


def _move_command(source: Path, target: Path) -> str:
    """A shell command, safe to paste, that renames source to target."""
    return f"mv {shlex.quote(str(source))} {shlex.quote(str(target))}"
