"""Hostile peers and hostile remotes: numbers that overflow, names that drive the terminal, URLs that run commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import git
import pytest
from test_group import CATALOGUE, group, make_workspace, record_pass, sync  # noqa: F401 - group is a fixture

from mldojo.tracker.group.files import read_member_file, read_member_files
from mldojo.tracker.group.overview import group_overview
from mldojo.tracker.group.render import group_view
from mldojo.tracker.group.repository import UnsafeRemote, _clone, check_remote, clone_path, init_group, join_group
from mldojo.tracker.group.safe_text import visible
from mldojo.tracker.group.schema import InvalidMemberFile, parse_member

GOOD = {
    "format": 1, "handle": "dave", "updated_at": "2026-11-21T10:00:00Z", "mldojo_version": "0.1.0",
    "exercises": [{"id": "stage1/knn", "passed_at": "2026-11-20T09:30:00Z", "grader_version": "1", "file_sha256": "", "attempts": 2}],
    "criteria": [],
    "benchmarks": [{"exercise": "stage3/attention", "benchmark": "fwd-bwd-causal", "device": "cuda", "median_s": 0.004,
                    "ratio": 1.8, "met_target": True, "hardware": "NVIDIA H100", "recorded_at": "2026-11-20T09:30:00Z"}],
}
HUGE = 10**400  # a 401-digit integer: float() of it raises OverflowError

# Sequences a peer could use to act on whoever's terminal prints their text.
TERMINAL_ATTACKS = ("\x1b[2J", "\x1b]0;", "\x1b]52;", "\x07", "\x9b", "\u202e", "\x1b[31m")


def with_changes(**changes) -> dict:
    """GOOD with its top level, first exercise ('exercise.<key>') or first benchmark ('benchmark.<key>') changed."""
    data = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        where, _, name = key.rpartition(".")
        target = data if not where else data["exercises"][0] if where == "exercise" else data["benchmarks"][0]
        target[name] = value
    return data


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"benchmark.median_s": HUGE}, "`median_s` that is not a number"),
        ({"benchmark.median_s": -HUGE}, "`median_s` that is not a number"),
        ({"benchmark.median_s": 1e308}, "`median_s` that is not a number"),
        ({"benchmark.median_s": float("inf")}, "`median_s` that is not a number"),
        ({"benchmark.median_s": float("nan")}, "`median_s` that is not a number"),
        ({"benchmark.median_s": True}, "`median_s` that is not a number"),
        ({"benchmark.median_s": 0}, "`median_s` that is not a number"),
        ({"benchmark.ratio": HUGE}, "`ratio` that is not a number"),
        ({"benchmark.ratio": 1e300}, "`ratio` that is not a number"),
        ({"benchmark.ratio": False}, "`ratio` that is not a number"),
        ({"benchmark.ratio": "2"}, "`ratio` that is not a number"),
        ({"exercise.attempts": HUGE}, "no sensible `attempts`"),
        ({"exercise.attempts": True}, "no sensible `attempts`"),
        ({"exercise.attempts": 2.0}, "no sensible `attempts`"),
        ({"format": HUGE}, "newer than this mldojo understands"),
        ({"format": -HUGE}, "is not supported"),
        ({"format": True}, "no integer `format`"),
        ({"updated_at": HUGE}, "no text `updated_at`"),
        ({"exercise.passed_at": HUGE}, "no text `passed_at`"),
        ({"benchmark.met_target": 1}, "invalid met_target"),
    ],
)
def test_numbers_out_of_any_sensible_range_are_refused_by_name_never_an_overflow(changes, reason) -> None:
    with pytest.raises(InvalidMemberFile, match=reason.replace("`", ".")) as raised:
        parse_member(with_changes(**changes))
    assert len(str(raised.value)) < 300  # a 401-digit number is never quoted whole


@pytest.mark.parametrize(
    "text, reason",
    [
        ('"median_s": NaN', "NaN is not allowed"),
        ('"median_s": Infinity', "Infinity is not allowed"),
        ('"median_s": -Infinity', "-Infinity is not allowed"),
        ('"median_s": 1e400', "`median_s` that is not a number"),  # JSON decodes it to inf
        ('"median_s": 1' + "0" * 400, "`median_s` that is not a number"),
        ('"median_s": 1' + "0" * 5000, "not valid JSON"),  # beyond Python's int-from-text limit
    ],
)
def test_numbers_in_the_raw_file_are_refused_with_a_reason(tmp_path, text, reason) -> None:
    raw = json.dumps(GOOD).replace('"median_s": 0.004', text)
    assert text in raw
    path = tmp_path / "dave.json"
    path.write_text(raw)
    with pytest.raises(InvalidMemberFile, match=reason.replace("`", ".")):
        read_member_file(path)


def test_the_good_file_used_above_is_valid(tmp_path) -> None:
    assert parse_member(with_changes()).benchmarks[0].ratio == 1.8


def test_a_file_that_breaks_the_reader_in_an_unforeseen_way_is_reported_and_skipped(tmp_path, monkeypatch) -> None:
    import mldojo.tracker.group.files as files

    (tmp_path / "members").mkdir()
    for handle in ("ann", "ben"):
        (tmp_path / "members" / f"{handle}.json").write_text(json.dumps({**GOOD, "handle": handle}))
    real = files.parse_member

    def fragile(data):
        if data.get("handle") == "ann":
            raise OverflowError("int too large to convert to float")
        return real(data)

    monkeypatch.setattr(files, "parse_member", fragile)
    found = read_member_files(tmp_path)
    assert [m.handle for m in found.members] == ["ben"]
    assert [(p.path, p.reason) for p in found.problems] == [
        ("members/ann.json", "could not be read (OverflowError: int too large to convert to float)")
    ]


# --- names and text that would drive the terminal ---------------------------------------------


def test_visible_escapes_every_control_character_and_nothing_else() -> None:
    assert visible("\x1b[2J") == "\\x1b[2J"
    assert visible("\x1b]52;c;ZXZpbA==\x07") == "\\x1b]52;c;ZXZpbA==\\x07"
    assert visible("\x9b31m\u202egnp\u2066\udcff") == "\\x9b31m\\u202egnp\\u2066\\udcff"
    assert visible("line\nnext\ttab") == "line\\nnext\\ttab"
    assert visible("Zoë 日本 1.8× NVIDIA H100") == "Zoë 日本 1.8× NVIDIA H100"
    assert visible(visible("\x1b[2J")) == visible("\x1b[2J")  # applying it twice changes nothing


def push_hostile_group(remote: Path, tmp_path: Path) -> None:
    """A peer pushes files with terminal escapes in their names, overflowing numbers, and a hostile author name."""
    clone = git.Repo.clone_from(remote, tmp_path / "mallory-clone", branch="main")
    members = Path(clone.working_dir) / "members"
    bad_names = ["\x1b[2J\x1b]0;pwned\x07", "\x1b]52;c;ZXZpbA==\x07", "\u202egnp", "\x9b31m", "bob\n"]
    for name in bad_names:
        (members / f"{name}.json").write_text(json.dumps({**GOOD, "handle": "x"}))
    with open(os.fsencode(members) + b"/\xff\x1b[31m.json", "w") as handle:  # not even UTF-8
        handle.write("{}")
    numbers = {
        "big-ratio": json.dumps(with_changes(handle="big-ratio")).replace('"ratio": 1.8', '"ratio": 1' + "0" * 400),
        "big-median": json.dumps(with_changes(handle="big-median")).replace('"median_s": 0.004', '"median_s": ' + "9" * 400),
        "big-count": json.dumps(with_changes(handle="big-count")).replace('"attempts": 2', '"attempts": 1' + "0" * 400),
        "big-format": json.dumps(with_changes(handle="big-format")).replace('"format": 1', '"format": 1' + "0" * 400),
        "nan": json.dumps(with_changes(handle="nan")).replace('"median_s": 0.004', '"median_s": NaN'),
        "huge-float": json.dumps(with_changes(handle="huge-float", **{"benchmark.ratio": 1e308})),
        "bool-number": json.dumps(with_changes(handle="bool-number", **{"benchmark.median_s": True})),
    }
    for handle, text in numbers.items():
        (members / f"{handle}.json").write_text(text)
    # Valid, but with a hardware string that would draw a fake line in the table.
    (members / "dave.json").write_text(json.dumps(with_changes(**{"benchmark.hardware": "H100\n│ eve │ 13/13 │\tfake"})))
    clone.git.add("-A")
    mallory = "mallory\x1b]0;owned\x07"
    identity = {"GIT_AUTHOR_NAME": mallory, "GIT_AUTHOR_EMAIL": "m@example.invalid", "GIT_COMMITTER_NAME": mallory, "GIT_COMMITTER_EMAIL": "m@example.invalid"}
    with clone.git.custom_environment(**identity):  # the git command: GitPython's index cannot read a name that is not UTF-8
        clone.git.commit("-q", "-m", "hello")
    clone.git.push("origin", "main")


def grade_group(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env.update(COLUMNS="400", TERM="dumb")
    return subprocess.run([sys.executable, "-m", "mldojo.cli", "group", *args], capture_output=True, timeout=120, env=env)


def assert_nothing_reaches_the_terminal_raw(output: bytes) -> str:
    """No peer's control sequence in the output, no traceback; the output as text."""
    text = output.decode("utf-8")  # also proves a name that is not UTF-8 did not reach it raw
    for attack in TERMINAL_ATTACKS:
        assert attack not in text, repr(attack)
    assert "Traceback" not in text and "OverflowError" not in text
    return text


def test_one_hostile_peer_never_breaks_the_groups_view_nor_drives_the_terminal(group, tmp_path) -> None:
    remote, (alice, bob, carol) = group
    record_pass(bob)
    for workspace in (alice, bob, carol):
        sync(workspace)
    push_hostile_group(remote, tmp_path)

    synced = grade_group("sync", "--workspace", str(alice.root))
    shown = grade_group("show", "--workspace", str(alice.root))
    for result in (synced, shown):
        assert result.returncode == 0, result.stdout + result.stderr
        text = assert_nothing_reaches_the_terminal_raw(result.stdout + result.stderr)
        for member in ("alice (you)", "bob", "carol", "dave"):
            assert member in text, text
        assert "H100\\n│ eve │ 13/13 │\\tfake" in text
        for handle in ("big-ratio", "big-median", "big-count", "big-format", "nan", "huge-float", "bool-number"):
            assert f"skipped members/{handle}.json: " in text, text
        assert "skipped members/big-ratio.json: a benchmarks entry (fwd-bwd-causal) has a `ratio` that is not a number" in text
        assert "skipped members/big-count.json: an exercises entry (stage1/knn) has no sensible `attempts`" in text
        assert "skipped members/nan.json: is not valid JSON (ValueError: NaN is not allowed)" in text
        assert "skipped members/\\x1b[2J\\x1b]0;pwned\\x07.json: its name" in text
        assert "skipped members/\\x1b]52;c;ZXZpbA==\\x07.json" in text
        assert "skipped members/\\u202egnp.json" in text and "skipped members/\\x9b31m.json" in text
        assert "skipped members/bob\\n.json" in text
        assert "skipped members/\\udcff\\x1b[31m.json" in text
        # git itself drops the trailing BEL from an author name; the ESC before it stays, escaped.
        assert "warning mallory\\x1b]0;owned changed members/dave.json in commit" in text

    as_json = grade_group("show", "--json", "--workspace", str(alice.root))
    data = json.loads(as_json.stdout)
    assert {row["handle"] for row in data["rows"]} == {"alice", "bob", "carol", "dave"}

    # The TUI's group view draws the same overview: nothing in it is a control character.
    overview = group_overview(alice, CATALOGUE)
    strings = [overview.remote, *overview.tampering]
    strings += [text for p in overview.problems for text in (p.path, p.reason)]
    strings += [text for row in overview.rows for text in (row.handle, row.last_activity, *row.best_benchmarks)]
    assert all(text.isprintable() for text in strings), [s for s in strings if not s.isprintable()]
    assert any(edit.startswith("mallory\\x1b]0;owned changed members/") for edit in overview.tampering), overview.tampering
    from rich.console import Console

    console = Console(width=300, record=True, file=open(os.devnull, "w"), color_system=None)
    console.print(group_view(overview))
    drawn = console.export_text()
    assert "mallory\\x1b]0;owned changed" in drawn
    for attack in TERMINAL_ATTACKS:
        assert attack not in drawn


# --- remotes that would run a command ----------------------------------------------------------


@pytest.mark.parametrize(
    "remote",
    [
        "https://github.com/us/ml-group.git", "http://forge.example/g.git", "ssh://git@forge.example/us/g.git",
        "git://forge.example/g.git", "file:///srv/groups/g.git", "git@github.com:us/ml-group.git",
        "forge.example:groups/g.git", "/srv/groups/g.git", "./g.git", "../g.git", "~/g.git", "g.git",
    ],
)
def test_the_usual_remotes_are_accepted(remote) -> None:
    assert check_remote(remote) == remote


@pytest.mark.parametrize(
    "remote, reason",
    [
        ("ext::sh -c touch% {marker}", "transport helper"),
        ("fd::17", "transport helper"),
        ("EXT::sh -c touch% {marker}", "transport helper"),
        ("ext://sh -c touch% {marker}", "ext:// protocol"),
        ("--upload-pack=touch {marker}", "starts with '-'"),
        ("-u", "starts with '-'"),
        ("https://forge.example/g.git\n[core]", "control characters"),
        ("", "is empty"),
    ],
)
def test_remotes_that_could_run_a_command_are_refused_by_the_api(tmp_path, remote, reason) -> None:
    remote = remote.format(marker=tmp_path / "pwned")
    learner = make_workspace(tmp_path, "alice")
    for attempt in (lambda: init_group(remote, "alice"), lambda: join_group(learner, remote)):
        with pytest.raises(UnsafeRemote, match=reason) as raised:
            attempt()
        assert "https://, http://, ssh://, git:// or file:// URLs, user@host:path, or a local path" in str(raised.value)
    assert not (tmp_path / "pwned").exists()
    assert not clone_path(learner).exists()


def test_gitpythons_own_guard_stays_on_behind_the_check(tmp_path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(UnsafeRemote, match="was refused"):
        _clone(f"ext::sh -c touch% {marker}", tmp_path / "clone", branch=None)  # check_remote bypassed
    assert not marker.exists()


@pytest.mark.parametrize("action", ["join", "init"])
@pytest.mark.parametrize("remote", ["ext::sh -c touch% {marker}", "fd::7", "--upload-pack=touch {marker}"])
def test_the_cli_refuses_such_a_remote_with_exit_2_and_no_traceback(tmp_path, action, remote) -> None:
    remote = remote.format(marker=tmp_path / "pwned")
    learner = make_workspace(tmp_path, "alice")
    result = subprocess.run(
        [sys.executable, "-m", "mldojo.cli", "group", action, "--workspace", str(learner.root), "--", remote],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert f"grade group {action}: '{remote}'" in result.stderr
    assert "a study group's remote must be one of: https://, http://, ssh://, git:// or file:// URLs, user@host:path, or a local path" in result.stderr
    assert not (tmp_path / "pwned").exists()
    assert not clone_path(learner).exists()


def test_git_itself_refuses_a_command_url_that_reached_the_clones_config(group, tmp_path) -> None:
    remote, (alice, *_rest) = group
    marker = tmp_path / "pwned"
    with git.Repo(clone_path(alice)) as clone:  # e.g. edited by hand, or by a tool that knows no better
        clone.git.config("protocol.ext.allow", "always")
        clone.git.remote("set-url", "origin", f"ext::sh -c touch% {marker}")
    result = sync(alice)
    assert not result.pushed and result.pending and "ext" in result.problem
    assert not marker.exists()
