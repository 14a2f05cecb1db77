"""Errors the tracker raises; stdlib only, so the fast read path can import them."""

from __future__ import annotations

import errno
import os
import shlex
import sqlite3
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


class TrackerUnavailable(TrackerError):
    """The history cannot be written (or opened) where it is: a read-only or full disk, an I/O error."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = Path(path)
        super().__init__(message)


# SQLite's primary result codes (the low byte of an extended code) that mean "the disk".
_READ_ONLY_CODES = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR)
_LOCK_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_STORAGE_CODES = (*_READ_ONLY_CODES, sqlite3.SQLITE_FULL, *_LOCK_CODES, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def storage_error(path: Path, error: BaseException) -> TrackerError | None:
    """The TrackerError that says what went wrong with the history's disk and what to do; None if not a disk problem."""
    path = Path(path)
    if isinstance(error, OSError):
        return _os_storage_error(path, error)
    if not isinstance(error, sqlite3.Error) or sqlite_code(error) not in _STORAGE_CODES:
        return None  # a mistake in the SQL, not a problem with the disk
    if sqlite_code(error) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return TrackerCorrupt(path, str(error))
    return TrackerUnavailable(path, _sqlite_storage_message(path, error))


def _sqlite_storage_message(path: Path, error: sqlite3.Error) -> str:
    """What SQLite's disk error means for the learner's history, and what to do about it."""
    code = sqlite_code(error)
    if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_READONLY_DBMOVED:
        return f"your history {path} was moved or deleted while in use ({error}); run the command again"
    if code == sqlite3.SQLITE_READONLY or (code in _READ_ONLY_CODES and read_only_place(path)):
        return _read_only_message(path, str(error))
    if code == sqlite3.SQLITE_FULL:
        return _full_message(path, str(error))
    if code in _LOCK_CODES:
        return (
            f"your history {path} stayed locked by another program ({error}); close other `grade` "
            "commands or TUIs working in this workspace and try again"
        )
    if code == sqlite3.SQLITE_IOERR:
        return f"the disk reported an I/O error on your history {path} ({error}); check the disk, and that {path.parent} still exists"
    return f"your history {path} cannot be opened ({error}); check that {path.parent} exists and that you may write in it"


def sqlite_code(error: BaseException) -> int:
    """SQLite's primary result code of an sqlite3 error (0 when it has none)."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def read_only_place(path: Path) -> bool:
    """Whether path, or the folder it is (to be) in, is on a read-only mount or not writable by us."""
    for place in (Path(path).parent, Path(path)):
        try:
            if os.statvfs(place).f_flag & os.ST_RDONLY:
                return True
        except OSError:
            continue  # the file itself may not exist yet
        # access() also says no for an immutable file (chattr +i), even to root.
        if not os.access(place, os.W_OK):
            return True
    return False


def _os_storage_error(path: Path, error: OSError) -> TrackerError:
    """A TrackerError for an OSError met while making the history's folder or file."""
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return TrackerUnavailable(path, _read_only_message(path, error.strerror or str(error)))
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return TrackerUnavailable(path, _full_message(path, error.strerror or str(error)))
    return TrackerUnavailable(path, f"your history {path} cannot be created or written ({error.strerror or error}); check {path.parent}")


def _read_only_message(path: Path, detail: str) -> str:
    """Say the history is on a read-only disk or folder, and how to make it writable again."""
    return (
        f"your history {path} is on a read-only disk or in a read-only folder ({detail}); "
        f"make {path.parent} and the files in it writable, or move the workspace to a writable disk"
    )


def _full_message(path: Path, detail: str) -> str:
    """Say the disk holding the history is full, and what to do."""
    return f"the disk holding your history {path} is full ({detail}); free some space on it"


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
