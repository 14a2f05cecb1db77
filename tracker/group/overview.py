"""The group as one table: a row per member, the problems found, and who edited whose file.

`grade group show` and the TUI's group view both draw this. It reads the local clone
only (what the last sync fetched), so it works offline and costs one `git log`. Every
string in it that a peer chose has its control characters escaped (safe_text.visible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mldojo.tracker.group.files import MEMBERS_DIR, Problem, read_member_files
from mldojo.tracker.group.safe_text import visible
from mldojo.tracker.group.schema import MemberFile


@dataclass(frozen=True)
class MemberRow:
    """One member as the group table shows them."""

    handle: str
    passed_per_stage: dict  # {"stage1": 3, ...} counting only exercises the catalogue knows
    criteria_met: int
    last_activity: str  # ISO 8601
    best_benchmarks: tuple[str, ...]  # "stage3/attention causal: 1.8× SDPA on NVIDIA H100"
    shares_code: bool
    is_you: bool
    unsandboxed: tuple[str, ...] = ()  # exercises whose latest pass was graded without the sandbox


@dataclass
class GroupOverview:
    """Everything `grade group show` prints."""

    joined: bool
    remote: str = ""
    rows: list[MemberRow] = field(default_factory=list)
    stage_totals: dict = field(default_factory=dict)  # {"stage1": 13, ...}
    problems: list[Problem] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)  # "mallory changed members/bob.json in 1a2b3c4"
    last_sync: str = ""  # when the clone last fetched (ISO 8601), "" if unknown


def group_overview(workspace, catalogue) -> GroupOverview:
    """The group table from the workspace's clone ('joined=False' outside a group)."""
    from mldojo.tracker.group.repository import clone_path, is_joined, remote_url

    if not is_joined(workspace):
        return GroupOverview(joined=False)
    root = clone_path(workspace)
    files = read_member_files(root)
    totals = {stage.id: len(catalogue.exercises_of(stage.id)) for stage in catalogue.stages}
    known = {e.id for e in catalogue.exercises}
    rows = [member_row(member, known, workspace.handle) for member in files.members]
    rows.sort(key=lambda row: (-sum(row.passed_per_stage.values()), row.handle.lower()))
    return GroupOverview(
        joined=True,
        remote=visible(remote_url(workspace)),
        rows=rows,
        stage_totals=totals,
        problems=files.problems,
        tampering=foreign_edits(root),
        last_sync=_last_fetch(root),
    )


def member_row(member: MemberFile, known_exercises: set[str], own_handle: str) -> MemberRow:
    """Summarise one member file for the table."""
    per_stage: dict[str, int] = {}
    for exercise in member.exercises:
        if exercise.id in known_exercises:  # a newer mldojo's exercises are not counted
            stage = exercise.id.partition("/")[0]
            per_stage[stage] = per_stage.get(stage, 0) + 1
    benchmarks = tuple(
        visible(
            f"{b.exercise} {b.benchmark}: "
            + (f"{b.ratio:.2f}× baseline" if b.ratio is not None else f"{b.median_s:.3g} s")
            + (f" on {b.hardware}" if b.hardware else f" ({b.device})")
        )
        for b in member.benchmarks
    )
    return MemberRow(
        handle=visible(member.handle),
        passed_per_stage=per_stage,
        criteria_met=len(member.criteria),
        last_activity=visible(member.updated_at),
        best_benchmarks=benchmarks,
        shares_code=bool(member.solutions),
        is_you=member.handle == own_handle,
        unsandboxed=tuple(visible(e.id) for e in member.exercises if e.unsandboxed and e.id in known_exercises),
    )


def foreign_edits(group_root: Path, max_commits: int = 5000) -> list[str]:
    """Commits in which someone changed a member file that is not their own."""
    from mldojo.tracker.group.repository import _git

    git = _git()
    try:
        with git.Repo(group_root) as repo:
            log = repo.git.log(f"--max-count={max_commits}", "--format=%x00%h%x09%an", "--name-only", "--", f"{MEMBERS_DIR}/")
    except git.GitCommandError:
        return []
    found = []
    for block in log.split("\x00")[1:]:
        head, _, names = block.partition("\n")
        short, _, author = head.partition("\t")
        for name in names.split():
            if not name.startswith(f"{MEMBERS_DIR}/") or not name.endswith(".json"):
                continue
            owner = name[len(MEMBERS_DIR) + 1 : -len(".json")]
            if owner != author:
                found.append(f"{_clean(author)} changed {_clean(name)} in commit {short}: only {_clean(owner)} should write that file")
    return found


def _clean(text: str) -> str:
    """Peers choose their author names and file names: escape control characters, keep them short."""
    return visible(text, limit=60)


def _last_fetch(group_root: Path) -> str:
    from datetime import UTC, datetime

    fetch_head = group_root / ".git" / "FETCH_HEAD"
    try:
        moment = datetime.fromtimestamp(fetch_head.stat().st_mtime, UTC)
    except OSError:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
