"""The TUI's grader: one `grade serve` child kept for the session, so that gradings after the first are warm.

`grade serve` grades each exercise id written to its stdin exactly as `grade check ID` does
(the same output, the same tracker record) and ends each grading's output with a line made of
a random marker and the exit code. Between gradings it keeps the judge's imports and warm
learner templates (a fresh, sandboxed learner process is still forked per grading), so a
re-grade from the TUI costs what one in `grade watch` costs, not a cold start.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from mldojo.judge_process import PARENT_ENV

# After SIGTERM the server records a grading under way as interrupted and exits; give it this
# long before SIGKILL.
INTERRUPT_GRACE_S = 5.0
EXIT_GONE = -1  # the server ended in the middle of a grading without saying how it ended


class GradeServer:
    """One `python -P -m mldojo.cli serve` child; started on first use, started again if it has ended."""

    def __init__(self, workspace_root: Path, python: str = sys.executable, columns: int = 100) -> None:
        self.workspace_root = Path(workspace_root)
        self.python = python
        self.columns = columns
        # Ends each grading's output. The learner's code cannot print it by chance or on purpose:
        # it is random, and the sandboxed learner process never sees the judge's command line.
        self.marker = f"mldojo-graded-{secrets.token_hex(16)}"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def command(self) -> list[str]:
        """The command line that is run."""
        # -P: the workspace (the child's working directory) never goes on the judge's sys.path,
        # so a file the learner's code wrote there (sqlmodel.py, say) cannot run in the judge.
        return [self.python, "-P", "-m", "mldojo.cli", "serve", "--workspace", str(self.workspace_root), "--marker", self.marker]

    @property
    def running(self) -> bool:
        """Whether the child is up."""
        return self.process is not None and self.process.returncode is None

    async def ensure_started(self) -> asyncio.subprocess.Process:
        """The running child, started now if there is none."""
        if not self.running:
            env = {key: value for key, value in os.environ.items()
                   if key not in ("NO_COLOR", "MLDOJO_WORKSPACE", "PYTHONPATH", "PYTHONSTARTUP")}
            # PYTHONUNBUFFERED: a pipe is block-buffered otherwise and nothing would stream.
            env.update(PYTHONUNBUFFERED="1", FORCE_COLOR="1", COLUMNS=str(self.columns), TERM="xterm-256color")
            env[PARENT_ENV] = str(os.getpid())  # the server ends if the TUI is killed (judge_process.py)
            self.process = await asyncio.create_subprocess_exec(
                *self.command, cwd=self.workspace_root, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own group: a hard stop reaches everything it started
            )
        return self.process

    async def request(self, exercise_id: str) -> None:
        """Ask for one grading."""
        process = await self.ensure_started()
        assert process.stdin is not None
        process.stdin.write(f"{exercise_id}\n".encode())
        await process.stdin.drain()

    def signal(self, signum: int, whole_group: bool = False) -> None:
        """Send a signal to the child (or to everything it started)."""
        if not self.running:
            return
        try:
            if whole_group:
                os.killpg(self.process.pid, signum)
            else:
                os.kill(self.process.pid, signum)
        except ProcessLookupError:
            pass  # it ended in between

    async def close(self) -> None:
        """End the child: SIGTERM (a grading under way is recorded as interrupted), then SIGKILL after a grace period."""
        if not self.running:
            return
        assert self.process is not None
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        self.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), INTERRUPT_GRACE_S)
        except TimeoutError:
            self.signal(signal.SIGKILL, whole_group=True)
            await self.process.wait()


class ServedGrade:
    """One grading by the server, as the app drives it (start, lines, wait, interrupt, kill, stop)."""

    def __init__(self, server: GradeServer, exercise_id: str) -> None:
        self.server = server
        self.exercise_id = exercise_id
        self.exit_code: int | None = None
        self.interrupted = False
        self.killed = False

    async def start(self) -> None:
        """Ask the server (started if needed) for the grading."""
        await self.server.request(self.exercise_id)

    async def lines(self) -> AsyncIterator[str]:
        """Each output line of this grading as soon as it is printed; ends at the server's marker line."""
        process = self.server.process
        assert process is not None and process.stdout is not None, "start() first"
        prefix = f"{self.server.marker} "
        while True:
            raw = await process.stdout.readline()
            if not raw:  # the server ended mid-grading (killed, or crashed)
                code = await process.wait()
                self.exit_code = code if code not in (0, None) else EXIT_GONE
                return
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line.startswith(prefix):
                self.exit_code = int(line[len(prefix):]) if line[len(prefix):].lstrip("-").isdigit() else EXIT_GONE
                return
            yield line

    async def wait(self) -> int:
        """The exit code `grade check` would have given, once the grading has ended."""
        if self.exit_code is None:
            async for _ in self.lines():
                pass
        return self.exit_code

    def interrupt(self) -> None:
        """Ctrl-C for the grading under way (recorded as interrupted); the server stays up."""
        self.interrupted = True
        self.server.signal(signal.SIGINT)

    def kill(self) -> None:
        """Kill the server and everything it started (nothing gets recorded); the next grading starts a new one."""
        self.killed = True
        self.server.signal(signal.SIGKILL, whole_group=True)

    async def stop(self) -> None:
        """End the grading and the server (the app is closing): interrupted and recorded, then ended."""
        self.interrupted = True
        await self.server.close()
