"""`grade check ID` in a child process whose output the TUI reads line by line as it appears.

The TUI never grades in its own process: it runs the real command (which records the
attempt itself), so what the learner sees here is exactly what `grade ID` prints.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from mldojo.judge_process import PARENT_ENV

# After Ctrl-C, `grade` records the attempt as interrupted and exits; give it this long
# before asking harder (SIGTERM), then this long again before SIGKILL.
INTERRUPT_GRACE_S = 5.0


class GradeProcess:
    """One `python -m mldojo.cli check ID --workspace ROOT` run, in its own process group."""

    def __init__(self, exercise_id: str, workspace_root: Path, python: str = sys.executable, columns: int = 100) -> None:
        self.exercise_id = exercise_id
        self.workspace_root = Path(workspace_root)
        self.python = python
        self.columns = columns
        self.process: asyncio.subprocess.Process | None = None
        self.interrupted = False
        self.killed = False

    @property
    def command(self) -> list[str]:
        """The command line that is run."""
        # -P: the workspace (the child's working directory) never goes on the judge's sys.path,
        # so a file the learner's code wrote there (sqlmodel.py, say) cannot run in the judge.
        return [self.python, "-P", "-m", "mldojo.cli", "check", self.exercise_id, "--workspace", str(self.workspace_root)]

    async def start(self) -> None:
        """Start the child: output unbuffered and coloured, stderr merged into stdout."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("NO_COLOR", "MLDOJO_WORKSPACE", "PYTHONPATH", "PYTHONSTARTUP")}
        # PYTHONUNBUFFERED: a pipe is block-buffered otherwise and nothing would stream.
        env.update(PYTHONUNBUFFERED="1", FORCE_COLOR="1", COLUMNS=str(self.columns), TERM="xterm-256color")
        env[PARENT_ENV] = str(os.getpid())  # the grading ends if the TUI is killed (judge_process.py)
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.workspace_root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own group: a cancel reaches the learner process too
        )

    async def lines(self) -> AsyncIterator[str]:
        """Each output line (without its newline) as soon as the child prints it."""
        assert self.process is not None and self.process.stdout is not None, "start() first"
        while True:
            raw = await self.process.stdout.readline()
            if not raw:
                return
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")

    async def wait(self) -> int:
        """The exit code, once the child has ended."""
        assert self.process is not None, "start() first"
        return await self.process.wait()

    def interrupt(self) -> None:
        """Ctrl-C for the whole group, as a terminal would send it; `grade` records the attempt."""
        self.interrupted = True
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Kill the whole group at once (nothing gets recorded)."""
        self.killed = True
        self._signal(signal.SIGKILL)

    async def stop(self) -> None:
        """Interrupt, then terminate and kill if the child does not end in time."""
        self.interrupt()
        for follow_up in (signal.SIGTERM, signal.SIGKILL):
            try:
                await asyncio.wait_for(asyncio.shield(self.wait()), INTERRUPT_GRACE_S)
                return
            except TimeoutError:
                self._signal(follow_up)

    def _signal(self, signum: int) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass  # it ended in between
