"""`grade check ID` in a child process whose output the TUI reads line by line as it appears.

The TUI never grades in its own process: it runs the real command (which records the
attempt itself), so what the learner sees here is exactly what `grade ID` prints. The child
is a `grade serve` kept between gradings (GradeServer): its warm processes make every grading
after the first skip the imports, as `grade watch` does.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from mldojo.commands.serve import done_line
from mldojo.judge_process import PARENT_ENV

# After Ctrl-C, `grade` records the attempt as interrupted and exits; give it this long
# before asking harder (SIGTERM), then this long again before SIGKILL.
INTERRUPT_GRACE_S = 5.0


def _child_command(python: str, *words: str) -> list[str]:
    # -P: the workspace (the child's working directory) never goes on the judge's sys.path,
    # so a file the learner's code wrote there (sqlmodel.py, say) cannot run in the judge.
    return [python, "-P", "-m", "mldojo.cli", *words]


async def _start_child(command: list[str], workspace_root: Path, columns: int, stdin) -> asyncio.subprocess.Process:
    """Start a `grade` child: output unbuffered and coloured, stderr merged into stdout, its own group."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "MLDOJO_WORKSPACE", "PYTHONPATH", "PYTHONSTARTUP")}
    # PYTHONUNBUFFERED: a pipe is block-buffered otherwise and nothing would stream.
    env.update(PYTHONUNBUFFERED="1", FORCE_COLOR="1", COLUMNS=str(columns), TERM="xterm-256color")
    env[PARENT_ENV] = str(os.getpid())  # the grading ends if the TUI is killed (judge_process.py)
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=workspace_root,
        env=env,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own group: a cancel reaches the learner process too
    )


class GradeServer:
    """A `grade serve` child kept between gradings; started again after it ended (a cancel ends it)."""

    def __init__(self, workspace_root: Path, python: str = sys.executable, columns: int = 100) -> None:
        self.workspace_root = Path(workspace_root)
        self.python = python
        self.columns = columns
        self.process: asyncio.subprocess.Process | None = None
        self.token = ""

    @property
    def command(self) -> list[str]:
        """The command line that is run."""
        return _child_command(self.python, "serve", "--workspace", str(self.workspace_root))

    @property
    def alive(self) -> bool:
        """Whether the child is running."""
        return self.process is not None and self.process.returncode is None

    async def send(self, exercise_id: str) -> asyncio.subprocess.Process:
        """Ask for one grading (starting the child first if it is not running); the child."""
        if not self.alive:
            self.token = secrets.token_hex(16)  # a new secret per child: old output cannot end a grading
            self.process = await _start_child(self.command, self.workspace_root, self.columns, asyncio.subprocess.PIPE)
            self.process.stdin.write(f"{self.token}\n".encode())
        self.process.stdin.write(f"{exercise_id}\n".encode())
        await self.process.stdin.drain()
        return self.process

    def is_done_line(self, line: str) -> int | None:
        """The exit code when `line` ends the current grading, else None."""
        head, _, code = line.rpartition(" ")
        if head + " " != done_line(self.token, 0)[:-1] or not code.lstrip("-").isdigit():
            return None
        return int(code)

    async def close(self) -> None:
        """End the child: its input closed, then SIGTERM and SIGKILL if it does not end in time."""
        if not self.alive:
            return
        self.process.stdin.close()
        for follow_up in (signal.SIGTERM, signal.SIGKILL):
            try:
                await asyncio.wait_for(asyncio.shield(self.process.wait()), INTERRUPT_GRACE_S)
                return
            except TimeoutError:
                try:
                    os.killpg(self.process.pid, follow_up)
                except ProcessLookupError:
                    return


class GradeProcess:
    """One grading of an exercise: `grade check ID` in its own process group, or a request to a GradeServer."""

    def __init__(self, exercise_id: str, workspace_root: Path, python: str = sys.executable, columns: int = 100,
                 server: GradeServer | None = None) -> None:
        self.exercise_id = exercise_id
        self.workspace_root = Path(workspace_root)
        self.python = python
        self.columns = columns
        self.server = server
        self.process: asyncio.subprocess.Process | None = None
        self.code: int | None = None  # set by the server's closing line
        self.interrupted = False
        self.killed = False

    @property
    def command(self) -> list[str]:
        """The command line that is run (without a server)."""
        return _child_command(self.python, "check", self.exercise_id, "--workspace", str(self.workspace_root))

    async def start(self) -> None:
        """Start the grading."""
        if self.server is not None:
            self.process = await self.server.send(self.exercise_id)
        else:
            self.process = await _start_child(self.command, self.workspace_root, self.columns, asyncio.subprocess.DEVNULL)

    async def lines(self) -> AsyncIterator[str]:
        """Each output line (without its newline) as soon as the child prints it."""
        assert self.process is not None and self.process.stdout is not None, "start() first"
        while True:
            raw = await self.process.stdout.readline()
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if self.server is not None:
                self.code = self.server.is_done_line(line)
                if self.code is not None:
                    return
            yield line

    async def wait(self) -> int:
        """The exit code, once the grading has ended."""
        assert self.process is not None, "start() first"
        if self.code is not None:
            return self.code
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
