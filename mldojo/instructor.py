"""An instructor's view of a study group: re-grade the solutions members shared and compare
each verdict with what the member claimed (`grade group regrade`).

Members who sync with `--share-code` put the files they passed into their member file. Here
each shared file is graded again on this machine, by the same judge as `grade ID`, in the
sandbox: peers' code is somebody else's code, so it never runs without one (and never in the
judge). A claimed pass that does not re-grade, or whose shared file is not the file that
passed (its sha256 differs from the claim's), is flagged.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from mldojo.tracker.group.safe_text import visible


class RegradeRefused(Exception):
    """Peers' code cannot be graded here (no sandbox): the message says why and what to do."""


@dataclass(frozen=True)
class Regrade:
    """One shared solution, graded again, beside the member's claim."""

    member: str
    exercise: str
    claimed: str  # "passed" | "not claimed"
    verdict: str  # the verdict here ("unknown exercise" when this catalogue lacks it)
    summary: str  # "7/7 checks passed", or the problem
    same_file: bool | None  # the shared code is the file the claim names (None: nothing claimed)

    @property
    def disagrees(self) -> bool:
        """A claimed pass that does not re-grade, or that is not the shared file."""
        return self.claimed == "passed" and (self.verdict != "passed" or self.same_file is False)

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"member": self.member, "exercise": self.exercise, "claimed": self.claimed, "verdict": self.verdict,
                "summary": self.summary, "same_file": self.same_file, "disagrees": self.disagrees}


def regrade_shared(group_root: Path, catalogue, on_result: Callable[[Regrade], None] | None = None) -> list[Regrade]:
    """Grade every shared solution of every member file in the group's working tree."""
    from mldojo.graders.engine import sandbox
    from mldojo.tracker.group.files import read_member_files

    status = sandbox.status()
    if not status.available:
        raise RegradeRefused(f"re-grading peers' code needs the sandbox, and {status.reason}. {status.advice}. "
                             "(`grade doctor` says more.)")
    files = read_member_files(group_root)
    found = []
    for member in files.members:
        claims = {e.id: e for e in member.exercises}
        for exercise_id, code in sorted(member.solutions.items()):
            result = _regrade_one(member, exercise_id, code, claims.get(exercise_id), catalogue)
            found.append(result)
            if on_result is not None:
                on_result(result)
    return found


def _regrade_one(member, exercise_id: str, code: str, claim, catalogue) -> Regrade:
    from mldojo.catalogue import CatalogueError
    from mldojo.grading import summary_line
    from mldojo.graders.engine.runner import GradeRequest, grade

    claimed = "passed" if claim is not None else "not claimed"
    same = None if claim is None else hashlib.sha256(code.encode("utf-8")).hexdigest() == claim.file_sha256
    handle = visible(member.handle)
    try:
        exercise = catalogue.exercise(exercise_id)
    except (CatalogueError, KeyError):
        return Regrade(handle, visible(exercise_id), claimed, "unknown exercise", "this catalogue has no such exercise", same)
    with tempfile.TemporaryDirectory(prefix="mldojo-regrade-") as folder:
        root = Path(folder)
        for other_id, other_code in member.solutions.items():  # an exercise may build on another (forest on tree)
            if other_id in {e.id for e in catalogue.exercises}:
                target = root / (other_id + ".py")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(other_code, encoding="utf-8")
        report = grade(GradeRequest(exercise=exercise.id, root=root, file=root / (exercise.id + ".py"),
                                    time_limit_s=exercise.time_limit_s, memory_limit_mb=exercise.memory_limit_mb,
                                    forbid=exercise.forbid, requires=exercise.requires))
    return Regrade(handle, exercise.id, claimed, report.verdict, visible(summary_line(report)), same)
