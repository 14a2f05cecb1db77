"""Reading peers' member files safely, and writing the member's own file.

Everything in a group repository's working tree came from other people. Files are read
without following symbolic links, with a size limit, as JSON only; a bad file becomes a
reported problem, never an exception that stops a sync.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from mldojo.tracker.group.safe_text import visible
from mldojo.tracker.group.schema import MAX_FILE_BYTES_WITH_CODE, InvalidMemberFile, MemberFile, parse_member
from mldojo.workspace import HANDLE_PATTERN

MEMBERS_DIR = "members"


@dataclass(frozen=True)
class Problem:
    """A peer file that was skipped, and why (shown by `grade group show`); both safe to print."""

    path: str  # relative to the group repository, e.g. members/bob.json
    reason: str

    def __post_init__(self) -> None:
        # A peer chooses the file's name, and reasons quote the file: escape control
        # characters here, once, for the terminal, the TUI and --json alike.
        object.__setattr__(self, "path", visible(self.path))
        object.__setattr__(self, "reason", visible(self.reason))


@dataclass
class MemberFiles:
    """The valid member files of a group, and the problems found on the way."""

    members: list[MemberFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class UnsafeGroupTree(Exception):
    """The group repository's layout is not safe to write into (e.g. members/ is a link)."""


def read_member_files(group_root: Path, limit: int = MAX_FILE_BYTES_WITH_CODE) -> MemberFiles:
    """Every valid members/<handle>.json of the group; each bad one becomes a Problem."""
    found = MemberFiles()
    members_dir = group_root / MEMBERS_DIR
    try:
        info = os.lstat(members_dir)
    except FileNotFoundError:
        return found
    if not stat.S_ISDIR(info.st_mode):
        found.problems.append(Problem(MEMBERS_DIR, "is not a plain folder (a link or a file); nothing in it was read"))
        return found
    with os.scandir(members_dir) as entries:
        names = sorted(entry.name for entry in entries)
    seen: dict[str, str] = {}
    for name in names:
        if name.startswith(".") or not name.endswith(".json"):
            continue
        relative = f"{MEMBERS_DIR}/{name}"
        try:
            member = read_member_file(members_dir / name, limit)
        except InvalidMemberFile as exc:
            found.problems.append(Problem(relative, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one peer's file must never break everyone's view
            found.problems.append(Problem(relative, f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"))
            continue
        folded = member.handle.lower()
        if folded in seen:  # Alice.json and alice.json collide on case-insensitive disks
            found.problems.append(Problem(relative, f"has the same handle as {seen[folded]} apart from case; skipped"))
            continue
        seen[folded] = relative
        found.members.append(member)
    return found


def read_member_file(path: Path, limit: int = MAX_FILE_BYTES_WITH_CODE) -> MemberFile:
    """One member file, checked: a plain file, not a link, under the size limit, valid JSON and schema."""
    stem = path.name.removesuffix(".json")
    if not HANDLE_PATTERN.fullmatch(stem):
        raise InvalidMemberFile(f"its name {path.name[:60]!r} is not <handle>.json")
    raw = _read_plain_file(path, limit)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidMemberFile(f"is not valid JSON ({type(exc).__name__}: {str(exc)[:120]})") from None
    member = parse_member(data)
    if member.handle != stem:
        raise InvalidMemberFile(f"claims to belong to {member.handle!r} but is {stem}'s file; a member may only write their own file")
    return member


def _read_plain_file(path: Path, limit: int) -> bytes:
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise InvalidMemberFile(f"cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise InvalidMemberFile("is a symbolic link; links are never followed")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidMemberFile("is not a plain file")
    if info.st_size > limit:
        raise InvalidMemberFile(f"is {info.st_size // 1024} KB, over the {limit // 1024} KB limit")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        reason = "is a symbolic link; links are never followed" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        raise InvalidMemberFile(reason) from None
    try:
        data = os.read(fd, limit + 1)  # the file may have grown since lstat
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InvalidMemberFile(f"is over the {limit // 1024} KB limit")
    return data


def write_own_file(group_root: Path, member: MemberFile) -> Path:
    """Write members/<handle>.json without following any link a peer may have planted."""
    members_dir = group_root / MEMBERS_DIR
    try:
        info = os.lstat(members_dir)
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeGroupTree(f"{MEMBERS_DIR}/ in the group repository is a link or a file, not a folder; ask the group to repair it")
    except FileNotFoundError:
        members_dir.mkdir()
    target = members_dir / f"{member.handle}.json"
    if target.is_symlink() or (target.exists() and not target.is_file()):
        if target.is_dir() and not target.is_symlink():
            raise UnsafeGroupTree(f"{target.relative_to(group_root)} is a folder; ask the group to remove it")
        target.unlink()  # a planted link: remove the link itself, never what it points to
    text = json.dumps(member.to_json_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    temporary = members_dir / f".{member.handle}.json.tmp"
    if temporary.is_symlink():
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, target)
    return target


def _no_constants(name: str):
    raise ValueError(f"{name} is not allowed")
