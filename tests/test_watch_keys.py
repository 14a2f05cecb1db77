"""`grade watch` in a real pseudo-terminal: the screen is cleared per run and single keys act (h, l, n, r, q)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from mldojo.catalogue import load_catalogue
from mldojo.tracker.summary import hints_shown

GRADE = Path(sys.executable).with_name("grade")
# Generous: on a loaded 2-core machine a grading of an untouched stub still takes well under this.
WAIT_S = 90


@pytest.fixture()
def course(tmp_path) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    subprocess.run([sys.executable, "-m", "mldojo.cli", "init", "course"], cwd=tmp_path, env=env, check=True, capture_output=True)
    return tmp_path / "course"


def spawn(course: Path, *args: str) -> pexpect.spawn:
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    env.update(NO_COLOR="1", COLUMNS="120", LINES="40", TERM="xterm")
    return pexpect.spawn(command[0], command[1:] + list(args), cwd=str(course), env=env, encoding="utf-8",
                         timeout=WAIT_S, dimensions=(40, 120))


def test_keys_hint_list_next_and_quit(course):
    catalogue = load_catalogue()
    first, second = catalogue.exercises[0], catalogue.exercises[1]
    child = spawn(course, "watch", first.id)
    try:
        child.expect("not implemented yet")  # the untouched stub
        child.expect("Waiting for the next save")
        child.expect("q quit")
        child.send("h")
        child.expect(f"Hint 1 of {len(first.hints)} \\(new\\)")
        child.expect("Waiting for the next save")
        child.send("l")
        child.expect("← next")
        child.expect("Waiting for the next save")
        child.send("n")  # on to the next exercise that does not pass
        child.expect(f"{second.id} · run 2")
        child.expect("Waiting for the next save")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 1  # the last grading did not pass
    assert hints_shown(course / ".mldojo" / "tracker.sqlite", first.id) == 1  # the h key is recorded like `grade hint`


def test_a_save_or_r_grades_again(course):
    child = spawn(course, "watch", "stage1/linreg")
    try:
        child.expect("Waiting for the next save")
        target = course / "stage1" / "linreg.py"
        target.write_text(target.read_text() + "\n# saved again\n")
        child.expect("run 2")
        child.expect("Waiting for the next save")
        child.send("r")  # grade again without a save
        child.expect("run 3")
        child.expect("Waiting for the next save")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_the_screen_is_cleared_before_each_run(course):
    """The raw output holds the terminal's clear-screen sequence once per run."""
    import io

    log = io.StringIO()
    child = spawn(course, "watch", "stage1/linreg")
    child.logfile_read = log
    try:
        child.expect("Waiting for the next save")
        child.send("r")
        child.expect("run 2")
        child.expect("Waiting for the next save")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert log.getvalue().count("\x1b[2J") >= 2


def test_without_a_terminal_there_are_no_keys(course):
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    done = subprocess.run([sys.executable, "-m", "mldojo.cli", "watch", "stage1/linreg", "--max-runs", "1"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=WAIT_S, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert "Ctrl-C stops" in done.stdout and "q quit" not in done.stdout
    assert "\x1b[2J" not in done.stdout  # a log file is not cleared


def test_bare_grade_offers_to_watch_the_current_exercise(course):
    first = load_catalogue().exercises[0]
    child = spawn(course)  # bare `grade`
    try:
        child.expect(f"Now: {first.id}")
        child.expect(r"\[Y/n\]")
        child.sendline("")  # Enter: yes
        child.expect("Waiting for the next save")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    declined = spawn(course, "next")
    try:
        declined.expect(r"\[Y/n\]")
        declined.sendline("n")
        declined.expect(pexpect.EOF)
    finally:
        declined.close(force=True)
    assert declined.exitstatus == 0
