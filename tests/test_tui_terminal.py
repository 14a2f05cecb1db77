"""`grade tui` in a real pseudo-terminal (tmux at 80×24): keys in, screen text out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from mldojo.catalogue import load_catalogue

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="needs tmux")
GRADE = Path(sys.executable).with_name("grade")


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], capture_output=True, text=True, check=True).stdout


class Terminal:
    """A detached tmux session running one command."""

    def __init__(self, command: str, cwd: Path) -> None:
        self.name = f"mldojo-test-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if k not in ("MLDOJO_WORKSPACE", "TMUX")}
        subprocess.run([TMUX, "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", command], cwd=cwd, env=env, check=True)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def alive(self) -> bool:
        return subprocess.run([TMUX, "has-session", "-t", self.name], capture_output=True).returncode == 0

    def send(self, *keys: str) -> None:
        for key in keys:
            tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen() if self.alive() else ""
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def close(self) -> None:
        subprocess.run([TMUX, "kill-session", "-t", self.name], capture_output=True)


def test_grade_tui_in_a_real_terminal(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_WORKSPACE"}
    subprocess.run([sys.executable, "-m", "mldojo.cli", "init", "course"], cwd=tmp_path, env=env, check=True, capture_output=True)
    first, second = load_catalogue().exercises[:2]
    grade = str(GRADE) if GRADE.exists() else f"{sys.executable} -m mldojo.cli"
    terminal = Terminal(f"{grade} tui", cwd=tmp_path / "course")
    try:
        terminal.wait_for("? Help")
        terminal.wait_for("No attempts yet")  # an empty workspace says what to do
        terminal.wait_for(first.id)
        terminal.wait_for("1 Curriculum")
        terminal.send("j", "Enter")
        terminal.wait_for(f"{second.id} — {second.title}")
        terminal.wait_for("Not graded yet")  # drawn a moment after the title: wait for it, not for a capture
        terminal.send("Escape", "?")
        terminal.wait_for("Everywhere")
        terminal.send("Escape", "2")
        terminal.wait_for(load_catalogue().stages[0].criteria[0].text[:30])
        terminal.send("q")
        deadline = time.monotonic() + 60
        while terminal.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not terminal.alive(), "q did not quit"
    finally:
        terminal.close()


def test_grade_tui_outside_a_workspace_says_how_to_make_one(tmp_path):
    grade = str(GRADE) if GRADE.exists() else f"{sys.executable} -m mldojo.cli"
    terminal = Terminal(f"{grade} tui", cwd=tmp_path)
    try:
        terminal.wait_for("No workspace")
        terminal.wait_for("grade init course")
        terminal.send("q")
    finally:
        terminal.close()
