"""Passes graded without the sandbox: marked in the member file, shown by `grade group show`, readable by older peers."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_group import CATALOGUE, FIRST, group, make_workspace, sync  # noqa: F401 - group is a fixture

from mldojo.tracker.group.overview import group_overview
from mldojo.tracker.group.schema import FORMAT_VERSION, InvalidMemberFile, parse_member
from mldojo.tracker.group.summary import build_member_file
from mldojo.tracker.store import Tracker

SECOND, THIRD = CATALOGUE.exercises[1].id, CATALOGUE.exercises[2].id
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# The last commit whose member-file schema knew only format 1: what peers on an older mldojo run.
FORMAT_1_COMMIT = "7eb639041d68687f0fd47878ff0606ffcaeb6ccb"


def record_pass(workspace, exercise_id: str, sandboxed: bool | None, when: datetime = T0) -> None:
    """Pretend the member passed an exercise, in or out of the sandbox (None: not known)."""
    with Tracker.open(workspace.tracker_path) as tracker:
        tracker.record_attempt(exercise_id, when, 1.0, "passed", "1", "0.1.0", "a" * 64, None, "passed", sandboxed=sandboxed)


def member_file(workspace):
    with Tracker.open(workspace.tracker_path) as tracker:
        return build_member_file(workspace, CATALOGUE, tracker)


def test_a_pass_graded_unsandboxed_is_marked_and_only_that_one(tmp_path) -> None:
    dana = make_workspace(tmp_path, "dana")
    record_pass(dana, FIRST, sandboxed=False)
    record_pass(dana, SECOND, sandboxed=True)
    record_pass(dana, THIRD, sandboxed=None)  # recorded before mldojo knew: not claimed either way
    data = member_file(dana).to_json_dict()
    assert data["format"] == 2
    entries = {entry["id"]: entry for entry in data["exercises"]}
    assert entries[FIRST]["unsandboxed"] is True
    assert "unsandboxed" not in entries[SECOND] and "unsandboxed" not in entries[THIRD]
    assert parse_member(json.loads(json.dumps(data))) == member_file(dana)


def test_the_latest_pass_decides(tmp_path) -> None:
    dana = make_workspace(tmp_path, "dana")
    record_pass(dana, FIRST, sandboxed=False, when=T0)
    record_pass(dana, FIRST, sandboxed=True, when=T0 + timedelta(hours=1))  # passed again, sandboxed
    record_pass(dana, SECOND, sandboxed=True, when=T0)
    record_pass(dana, SECOND, sandboxed=False, when=T0 + timedelta(hours=1))
    member = member_file(dana)
    assert {e.id: e.unsandboxed for e in member.exercises} == {FIRST: False, SECOND: True}


def test_a_file_with_nothing_unsandboxed_stays_format_1_with_format_1_keys(tmp_path) -> None:
    dana = make_workspace(tmp_path, "dana")
    record_pass(dana, FIRST, sandboxed=True)
    data = member_file(dana).to_json_dict()
    assert data["format"] == 1
    assert set(data["exercises"][0]) == {"id", "passed_at", "grader_version", "file_sha256", "attempts"}


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d["exercises"][0].update(unsandboxed=True), "unknown field 'unsandboxed'"),  # format 1 has no such key
        (lambda d: d.update(format=2) or d["exercises"][0].update(unsandboxed=1), "not true or false"),
        (lambda d: d.update(format=FORMAT_VERSION + 1), "newer than this mldojo"),
        (lambda d: d.update(format=0), "format 0 is not supported"),
    ],
)
def test_the_unsandboxed_key_is_checked(tmp_path, change, reason) -> None:
    dana = make_workspace(tmp_path, "dana")
    record_pass(dana, FIRST, sandboxed=True)
    data = member_file(dana).to_json_dict()
    change(data)
    with pytest.raises(InvalidMemberFile, match=reason):
        parse_member(data)


def format_1_schema(tmp_path: Path):
    """The member-file schema module as an mldojo that knows only format 1 has it (from git history)."""
    repo = Path(__file__).resolve().parents[1]
    shown = subprocess.run(["git", "show", f"{FORMAT_1_COMMIT}:tracker/group/schema.py"], cwd=repo, capture_output=True, text=True)
    if shown.returncode != 0:
        pytest.skip(f"the format-1 schema is not in this checkout's history: {shown.stderr.strip()}")
    source = tmp_path / "format_1_schema.py"
    source.write_text(shown.stdout)
    spec = importlib.util.spec_from_file_location("format_1_schema", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_an_older_mldojo_reads_format_1_files_and_says_to_upgrade_for_format_2(tmp_path) -> None:
    old = format_1_schema(tmp_path)
    dana = make_workspace(tmp_path, "dana")
    record_pass(dana, FIRST, sandboxed=True)
    as_format_1 = json.loads(json.dumps(member_file(dana).to_json_dict()))
    assert old.parse_member(as_format_1).exercises[0].id == FIRST
    record_pass(dana, SECOND, sandboxed=False)
    as_format_2 = json.loads(json.dumps(member_file(dana).to_json_dict()))
    with pytest.raises(old.InvalidMemberFile, match=r"uses format 2, newer than this mldojo understands \(1\); upgrade mldojo"):
        old.parse_member(as_format_2)


def test_group_show_notes_a_pass_graded_unsandboxed(group) -> None:
    remote, (alice, bob, carol) = group
    record_pass(bob, FIRST, sandboxed=False)
    record_pass(carol, FIRST, sandboxed=True)
    for workspace in (bob, carol, alice):
        assert sync(workspace).pushed
    rows = {row.handle: row for row in group_overview(alice, CATALOGUE).rows}
    assert rows["bob"].unsandboxed == (FIRST,) and rows["carol"].unsandboxed == ()
    assert rows["bob"].passed_per_stage == rows["carol"].passed_per_stage  # still a pass
    shown = subprocess.run([sys.executable, "-m", "mldojo.cli", "group", "show", "--workspace", str(alice.root)],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stdout + shown.stderr
    notes = [line for line in shown.stdout.splitlines() if "(unsandboxed)" in line]
    assert notes == [f"note bob passed {FIRST} (unsandboxed): graded where the learner's code could not be sandboxed"]
