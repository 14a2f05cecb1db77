"""`grade group sync` in a child process, for the TUI's s key: the real command, never a copy of it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

SYNC_TIMEOUT_S = 120.0  # git over a network; past this the child is killed and the TUI says so


async def sync_group(workspace_root: Path, python: str = sys.executable) -> tuple[int, str]:
    """Run the sync; (exit code, its first line of output: what happened, in the command's words)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MLDOJO_WORKSPACE", "PYTHONPATH", "PYTHONSTARTUP")}
    env.update(NO_COLOR="1", COLUMNS="100")
    process = await asyncio.create_subprocess_exec(
        python, "-P", "-m", "mldojo.cli", "group", "sync", "--workspace", str(workspace_root),
        cwd=workspace_root, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), SYNC_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, f"the sync took longer than {SYNC_TIMEOUT_S:.0f} s and was stopped; try `grade group sync` in a terminal"
    lines = [line for line in output.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return process.returncode or 0, lines[0] if lines else "(the sync printed nothing)"
