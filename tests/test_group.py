"""Study groups on real git repositories: a bare remote on local disk and several members."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git
import pytest

from mldojo.catalogue import load_catalogue
from mldojo.tracker.group.files import read_member_files
from mldojo.tracker.group.overview import group_overview
from mldojo.tracker.group.repository import GroupError, clone_path, init_group, join_group, leave_group, sync_group
from mldojo.tracker.group.schema import FORMAT_VERSION, InvalidMemberFile, MemberFile, parse_member
from mldojo.tracker.group.summary import build_member_file
from mldojo.tracker.store import Tracker
from mldojo.workspace import init_workspace

CATALOGUE = load_catalogue()
FIRST = CATALOGUE.exercises[0].id


def make_workspace(parent: Path, handle: str):
    """A workspace with no exercise files (the group only reads the tracker)."""
    return init_workspace(parent / handle, [], handle).workspace


def record_pass(workspace, exercise_id: str = FIRST, when: datetime | None = None) -> None:
    """Pretend the member passed an exercise."""
    with Tracker.open(workspace.tracker_path) as tracker:
        tracker.record_attempt(exercise_id, when or datetime.now(UTC), 1.0, "passed", "1", "0.1.0", "a" * 64, None, "passed")


def sync(workspace, **kwargs):
    """What `grade group sync` does: build the member file from the tracker, then sync it."""
    with Tracker.open(workspace.tracker_path) as tracker:
        member = build_member_file(workspace, CATALOGUE, tracker, **kwargs)
    return sync_group(workspace, member)


def remote_members(remote: Path) -> dict[str, dict]:
    """The member files on the remote's main branch, decoded."""
    repo = git.Repo(remote)
    tree = repo.commit("main").tree / "members"
    found = {}
    for blob in tree.blobs:
        if blob.name.endswith(".json") and blob.mode != 0o120000 and blob.size < 100_000:
            try:
                found[blob.name[:-5]] = json.loads(blob.data_stream.read())
            except ValueError:
                pass  # the hostile tests' broken files
    return found


@pytest.fixture
def group(tmp_path):
    """A bare remote laid out as a group, and three members who joined it."""
    remote = tmp_path / "remote.git"
    init_group(str(remote), "alice")
    members = [make_workspace(tmp_path, handle) for handle in ("alice", "bob", "carol")]
    for workspace in members:
        join_group(workspace, str(remote))
    return remote, members


def test_three_members_sync_in_turn_and_everyone_sees_everyone(group):
    remote, (alice, bob, carol) = group
    record_pass(alice)
    record_pass(bob)
    for workspace in (alice, bob, carol):
        result = sync(workspace)
        assert result.pushed and not result.pending
    sync(alice)  # alice fetches what bob and carol shared after her
    on_remote = remote_members(remote)
    assert sorted(on_remote) == ["alice", "bob", "carol"]
    assert [e["id"] for e in on_remote["bob"]["exercises"]] == [FIRST]
    assert on_remote["carol"]["exercises"] == []
    for workspace in (alice, bob, carol):
        overview = group_overview(workspace, CATALOGUE)
        rows = {row.handle: row for row in overview.rows}
        assert sorted(rows) == ["alice", "bob", "carol"] or workspace is not alice
        assert not overview.problems and not overview.tampering
    rows = {row.handle: row for row in group_overview(alice, CATALOGUE).rows}
    stage = FIRST.partition("/")[0]
    assert rows["bob"].passed_per_stage == {stage: 1} and rows["carol"].passed_per_stage == {}
    assert rows["alice"].is_you and not rows["bob"].is_you


def test_commits_are_made_as_the_member_and_touch_only_their_file(group):
    remote, (alice, bob, _) = group
    record_pass(bob)
    sync(bob)
    commit = git.Repo(remote).commit("main")
    assert commit.author.name == "bob"
    assert list(commit.stats.files) == ["members/bob.json"]


def test_a_sync_without_new_progress_makes_no_commit(group):
    remote, (alice, *_rest) = group
    record_pass(alice)
    sync(alice)
    head = git.Repo(remote).commit("main").hexsha
    assert not sync(alice).committed
    assert git.Repo(remote).commit("main").hexsha == head


def test_three_members_syncing_at_once_all_land(group):
    remote, members = group
    for workspace in members:
        record_pass(workspace)
    results, errors = {}, []
    barrier = threading.Barrier(len(members))

    def run(workspace):
        try:
            barrier.wait()
            results[workspace.handle] = sync(workspace)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert all(result.pushed for result in results.values()), results
    assert all(len(data["exercises"]) == 1 for data in remote_members(remote).values())
    assert sorted(remote_members(remote)) == ["alice", "bob", "carol"]


def test_concurrent_syncs_from_separate_processes(group, tmp_path):
    remote, members = group
    env = {**os.environ}
    procs = [
        subprocess.Popen([sys.executable, "-m", "mldojo.cli", "group", "sync", "--workspace", str(w.root)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for w in members
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert all("Shared your progress" in out for out in outputs), outputs
    assert sorted(remote_members(remote)) == ["alice", "bob", "carol"]


def test_offline_sync_commits_locally_then_pushes_on_recovery(group, tmp_path):
    remote, (alice, bob, _) = group
    away = tmp_path / "remote-away.git"
    remote.rename(away)  # the remote is unreachable
    record_pass(alice)
    result = sync(alice)
    assert not result.pushed and result.pending and result.committed
    assert result.problem
    local = git.Repo(clone_path(alice))
    assert local.head.commit.author.name == "alice"
    away.rename(remote)  # back online
    assert sync(bob).pushed  # another member moved the remote on meanwhile
    result = sync(alice)
    assert result.pushed and not result.pending
    assert [e["id"] for e in remote_members(remote)["alice"]["exercises"]] == [FIRST]


def test_offline_sync_through_the_cli_says_the_push_is_pending(group, tmp_path):
    remote, (alice, *_rest) = group
    remote.rename(tmp_path / "elsewhere.git")
    result = subprocess.run([sys.executable, "-m", "mldojo.cli", "group", "sync", "--workspace", str(alice.root)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the push is pending" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def _hostile_push(remote: Path, tmp_path: Path, outside: Path) -> None:
    """A member (mallory) who pushes every kind of bad file into the group."""
    clone = git.Repo.clone_from(remote, tmp_path / "mallory-clone", branch="main")
    members = Path(clone.working_dir) / "members"
    good = {"format": FORMAT_VERSION, "handle": "mallory", "updated_at": "2026-11-21T10:00:00Z", "mldojo_version": "0.1.0", "exercises": [], "criteria": [], "benchmarks": []}
    (members / "huge.json").write_text(json.dumps({**good, "handle": "huge", "padding": "x" * 2_000_000}))
    (members / "broken.json").write_text("{ not json")
    (members / "dots.json").write_text(json.dumps({**good, "handle": "../../x"}))
    os.symlink(outside, members / "linky.json")
    (members / "impostor.json").write_text(json.dumps({**good, "handle": "alice"}))
    (members / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    alice_file = members / "alice.json"
    data = json.loads(alice_file.read_text())
    data["exercises"] = [{"id": e.id, "passed_at": "2026-01-01T00:00:00Z", "grader_version": "1", "file_sha256": "", "attempts": 1} for e in CATALOGUE.exercises]
    alice_file.write_text(json.dumps(data))
    clone.git.add("-A")
    mallory = git.Actor("mallory", "m@example.invalid")
    clone.index.commit("mallory does things", author=mallory, committer=mallory)
    clone.git.push("origin", "main")


def test_a_hostile_group_repository_is_reported_and_never_breaks_a_sync(group, tmp_path):
    remote, (alice, bob, carol) = group
    for workspace in (alice, bob, carol):
        record_pass(workspace)
        sync(workspace)
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps({"format": 1, "handle": "linky", "updated_at": "2026-11-21T10:00:00Z", "mldojo_version": "SECRET", "exercises": []}))
    _hostile_push(remote, tmp_path, outside)

    for workspace in (bob, carol):
        assert sync(workspace).pushed  # the hostile files never stop a sync
    overview = group_overview(bob, CATALOGUE)
    problems = {p.path: p.reason for p in overview.problems}
    assert "KB" in problems["members/huge.json"] and "limit" in problems["members/huge.json"]
    assert "not valid JSON" in problems["members/broken.json"]
    assert "not a valid handle" in problems["members/dots.json"]
    assert "symbolic link" in problems["members/linky.json"]
    assert "claims to belong to 'alice'" in problems["members/impostor.json"]
    assert "not valid JSON" in problems["members/deep.json"]
    assert any("mallory changed members/alice.json" in line for line in overview.tampering)
    assert not any("SECRET" in row.handle for row in overview.rows)
    assert {row.handle for row in overview.rows} == {"alice", "bob", "carol"}
    # alice's next sync rewrites her own file; the tampering stays on record.
    assert sync(alice).pushed
    assert len(remote_members(remote)["alice"]["exercises"]) == 1
    assert {"alice", "bob", "carol"} <= set(remote_members(remote))
    assert any("mallory changed members/alice.json" in line for line in group_overview(alice, CATALOGUE).tampering)
    assert outside.read_text().count("SECRET") == 1  # the link's target was neither read into the table nor written


def test_group_show_prints_the_table_and_the_problems(group, tmp_path):
    remote, (alice, bob, carol) = group
    record_pass(bob)
    for workspace in (alice, bob, carol):
        sync(workspace)
    outside = tmp_path / "secret.json"
    outside.write_text("{}")
    _hostile_push(remote, tmp_path, outside)
    sync(alice)
    result = subprocess.run([sys.executable, "-m", "mldojo.cli", "group", "show", "--workspace", str(alice.root)], capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    for text in ("alice (you)", "bob", "carol", "skipped members/broken.json", "mallory changed members/alice.json"):
        assert text in result.stdout, result.stdout
    shown = subprocess.run([sys.executable, "-m", "mldojo.cli", "group", "show", "--json", "--workspace", str(alice.root)], capture_output=True, text=True, timeout=60)
    data = json.loads(shown.stdout)
    assert {row["handle"] for row in data["rows"]} == {"alice", "bob", "carol"}


def test_a_members_folder_replaced_by_a_link_stops_the_write_with_a_message(group, tmp_path):
    remote, (alice, bob, _) = group
    clone = git.Repo.clone_from(remote, tmp_path / "evil", branch="main")
    root = Path(clone.working_dir)
    clone.git.rm("-r", "-q", "members")
    target = tmp_path / "victim"
    target.mkdir()
    os.symlink(target, root / "members")
    clone.git.add("-A")
    clone.index.commit("members is now a link")
    clone.git.push("origin", "main")
    with pytest.raises(GroupError, match="link or a file"):
        sync(alice)
    assert list(target.iterdir()) == []  # nothing was written through the link
    assert group_overview(alice, CATALOGUE).problems[0].path == "members"


def test_joining_with_a_taken_handle_is_refused_unless_rejoining(group, tmp_path):
    remote, (alice, *_rest) = group
    sync(alice)
    twin = make_workspace(tmp_path / "second-machine", "alice")
    with pytest.raises(GroupError, match="already has a member called 'alice'"):
        join_group(twin, str(remote))
    assert not clone_path(twin).exists()
    join_group(twin, str(remote), rejoin=True)
    assert sync(twin).pushed


def test_init_refuses_a_repository_that_is_not_empty_and_join_refuses_one_that_is_not_a_group(tmp_path):
    project = tmp_path / "project.git"
    git.Repo.init(project, bare=True, initial_branch="main")
    work = git.Repo.clone_from(project, tmp_path / "work")
    (Path(work.working_dir) / "code.py").write_text("print(1)\n")
    work.index.add(["code.py"])
    work.index.commit("code")
    work.git.push("origin", "HEAD:main")
    with pytest.raises(GroupError, match="not empty"):
        init_group(str(project), "alice")
    learner = make_workspace(tmp_path, "alice")
    with pytest.raises(GroupError, match="not an mldojo study group"):
        join_group(learner, str(project))
    assert not clone_path(learner).exists()
    with pytest.raises(GroupError, match="cannot clone"):
        join_group(learner, str(tmp_path / "no-such-remote.git"))
    group_remote = tmp_path / "group.git"
    init_group(str(group_remote), "alice")
    with pytest.raises(GroupError, match="already a study group"):
        init_group(str(group_remote), "alice")


def test_leave_removes_the_members_file_and_the_clone(group):
    remote, (alice, bob, _) = group
    sync(alice)
    sync(bob)
    assert leave_group(alice).startswith("left the study group")
    assert not clone_path(alice).exists()
    assert sorted(remote_members(remote)) == ["bob"]
    with pytest.raises(GroupError, match="not in a study group"):
        sync(alice)


def test_sharing_code_is_off_unless_asked(group):
    remote, (alice, *_rest) = group
    solution = alice.exercise_file(FIRST)
    solution.parent.mkdir(parents=True, exist_ok=True)
    solution.write_text("def mse(y, yhat):\n    return 0.0\n")
    record_pass(alice)
    sync(alice)
    assert "solutions" not in remote_members(remote)["alice"]
    sync(alice, share_code=True)
    assert remote_members(remote)["alice"]["solutions"] == {FIRST: solution.read_text()}


# -- the member file's schema -------------------------------------------------------------------
def _member_file(tmp_path) -> MemberFile:
    workspace = make_workspace(tmp_path, "dana")
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    record_pass(workspace, FIRST, when)
    record_pass(workspace, FIRST, when + timedelta(hours=1))
    with Tracker.open(workspace.tracker_path) as tracker:
        tracker.record_criterion("stage1", "kaggle-titanic", "self-reported", "0.78 on the public board")
        tracker.record_benchmark(exercise_id="stage3/attention", benchmark_id="fwd-bwd-causal", device="cuda",
                                 environment={"gpu_name": "NVIDIA H100", "cpu_model": "Xeon"}, median_s=0.004, spread_s=0.0001, ratio=1.8, met_target=True)
        tracker.record_benchmark(exercise_id="stage3/attention", benchmark_id="fwd-bwd-causal", device="cuda",
                                 environment={"gpu_name": "NVIDIA H100"}, median_s=0.009, spread_s=0.0001, ratio=3.5, met_target=False)
        return build_member_file(workspace, CATALOGUE, tracker)


def test_the_member_file_round_trips_through_json(tmp_path):
    member = _member_file(tmp_path)
    assert member.exercises[0].passed_at == "2026-11-20T09:30:00Z"  # the first pass
    assert member.exercises[0].attempts == 2
    assert [(c.stage, c.criterion, c.evidence) for c in member.criteria if c.kind == "self-reported"] == [("stage1", "kaggle-titanic", "0.78 on the public board")]
    assert [(b.median_s, b.hardware) for b in member.benchmarks] == [(0.004, "NVIDIA H100")]  # the best one
    again = parse_member(json.loads(json.dumps(member.to_json_dict())))
    assert again == member


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d.update(format=99), "newer than this mldojo"),
        (lambda d: d.pop("format"), "no integer `format`"),
        (lambda d: d.update(handle="../../x"), "not a valid handle"),
        (lambda d: d.update(handle="a/b"), "not a valid handle"),
        (lambda d: d.update(extra=1), "unknown field"),
        (lambda d: d.update(updated_at="yesterday"), "not an ISO 8601"),
        (lambda d: d["exercises"].append({"id": "../etc", "passed_at": "2026-11-20T09:30:00Z", "grader_version": "1", "file_sha256": "", "attempts": 1}), "not an exercise id"),
        (lambda d: d["benchmarks"].append({**d["benchmarks"][0], "median_s": float("nan")}), "`median_s` that is not a number"),
        (lambda d: d["criteria"].append({"stage": "stage1", "criterion": "x", "kind": "automatic", "evidence": "\x1b[2J"}), "control characters"),
        (lambda d: d.update(exercises=[{}] * 501), "more than 500"),
    ],
)
def test_schema_violations_are_named(tmp_path, change, reason):
    data = _member_file(tmp_path).to_json_dict()
    change(data)
    with pytest.raises(InvalidMemberFile, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_member(data)


def test_reading_files_skips_links_and_names_that_are_not_handles(tmp_path):
    (tmp_path / "members").mkdir()
    (tmp_path / "members" / "-x.json").write_text("{}")
    (tmp_path / "members" / "notes.txt").write_text("ignored")
    found = read_member_files(tmp_path)
    assert [p.path for p in found.problems] == ["members/-x.json"]
    assert not found.members


# -- the TUI's group view -------------------------------------------------------------------------
def test_the_tui_group_panel_shows_the_table_and_refreshes_after_a_sync(group):
    asyncio.run(_panel_refreshes(group))


async def _panel_refreshes(group):
    from textual.app import App

    from mldojo.tui.widgets.group_panel import GroupPanel

    remote, (alice, bob, _) = group
    sync(alice)

    class PanelApp(App):
        def compose(self):
            yield GroupPanel(alice.root, id="group")

    app = PanelApp()
    async with app.run_test(size=(120, 30)) as pilot:
        panel = app.query_one(GroupPanel)
        await pilot.pause()
        text = _panel_text(panel)
        assert "alice" in text and "bob" not in text
        record_pass(bob)
        sync(bob)
        sync(alice)  # the fetch brings bob's file
        panel.reload()
        await pilot.pause()
        assert "bob" in _panel_text(panel)


def test_the_tui_group_panel_says_how_to_join_outside_a_group(tmp_path):
    asyncio.run(_panel_outside_a_group(tmp_path))


async def _panel_outside_a_group(tmp_path):
    from textual.app import App

    from mldojo.tui.widgets.group_panel import GroupPanel

    loner = make_workspace(tmp_path, "loner")

    class PanelApp(App):
        def compose(self):
            yield GroupPanel(loner.root)

    app = PanelApp()
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        assert "grade group join REMOTE" in _panel_text(app.query_one(GroupPanel))


def _panel_text(panel) -> str:
    from rich.console import Console

    console = Console(width=160, record=True, file=open(os.devnull, "w"))
    console.print(panel.content)
    return console.export_text()


def test_three_learners_through_the_cli(tmp_path):
    """The issue's "done when": init, join, grade, sync, show — as learners type it."""
    from grading import package_file

    def grade(*args, cwd):
        result = subprocess.run([sys.executable, "-m", "mldojo.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=180, env={**os.environ, "COLUMNS": "160"})
        return result

    remote = tmp_path / "group.git"
    roots = {}
    for handle in ("alice", "bob", "carol"):
        assert grade("init", str(tmp_path / handle), "--handle", handle, cwd=tmp_path).returncode == 0
        roots[handle] = tmp_path / handle
    created = grade("group", "init", str(remote), cwd=roots["alice"])
    assert created.returncode == 0 and "joined the study group" in created.stdout, created.stdout + created.stderr
    for handle in ("bob", "carol"):
        joined = grade("group", "join", str(remote), cwd=roots[handle])
        assert joined.returncode == 0, joined.stdout + joined.stderr
    (roots["bob"] / (FIRST + ".py")).write_text(package_file("reference", FIRST).read_text())
    assert grade(FIRST, cwd=roots["bob"]).returncode == 0
    for handle in ("bob", "alice", "carol"):
        assert grade("group", "sync", cwd=roots[handle]).returncode == 0
    shown = grade("group", "show", cwd=roots["carol"])
    assert shown.returncode == 0
    lines = {line.split()[1]: line for line in shown.stdout.splitlines() if line.startswith("│") and line.split()[1] in ("alice", "bob", "carol")}
    assert sorted(lines) == ["alice", "bob", "carol"], shown.stdout
    assert lines["bob"].split("│")[2].strip().startswith("1/")  # bob's stage-1 column
    assert "(you)" in lines["carol"]
    outside = grade("group", "show", cwd=tmp_path / "alice" / "..")
    assert outside.returncode == 2 and "workspace" in outside.stderr
