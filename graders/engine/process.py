"""The judge's side of the learner process: start it, talk to it, watch it, kill it."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mldojo.graders.engine import wire
from mldojo.graders.engine.outcomes import (
    ImportFailed,
    LearnerGone,
    LearnerRaised,
    NotImplementedYet,
    signal_name,
)

HOST_MODULE = "mldojo.graders.engine.learner_host"
OUTPUT_HEAD_BYTES = 4096
OUTPUT_TAIL_BYTES = 4096


class Budget:
    """The wall-clock time the learner's code may use in one grading, shared by every call."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.deadline - time.monotonic())

    def exhausted(self) -> bool:
        """True once the time is used up."""
        return self.remaining() <= 0.0


class OutputCapture:
    """Drains the learner's stdout and stderr, keeping only the first and last few KB."""

    def __init__(self, fd: int):
        self.fd = fd
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = OUTPUT_HEAD_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[:-OUTPUT_TAIL_BYTES]
        os.close(self.fd)

    def text(self) -> str:
        """What the learner printed, with the middle cut out when it was long."""
        self.thread.join(timeout=0.5)
        head = self.head.decode(errors="replace")
        if self.total <= len(self.head) + len(self.tail):
            return head + self.tail.decode(errors="replace")
        skipped = self.total - len(self.head) - len(self.tail)
        return f"{head}\n… [{_size(skipped)} cut; {_size(self.total)} printed in all] …\n{self.tail.decode(errors='replace')}"


@dataclass(frozen=True)
class LearnerModule:
    """Where the learner's module is and what it may not use."""

    exercise: str  # "stage1/linreg"
    root: Path  # the workspace; its files are the learner's
    file: Path  # root / "stage1" / "linreg.py"
    forbid: tuple[str, ...] = ()
    memory_limit_mb: int = 3072

    @property
    def module_name(self) -> str:
        """The import name, e.g. 'stage1.linreg'."""
        return ".".join(self.file.relative_to(self.root).with_suffix("").parts)


class LearnerProcess:
    """One fresh Python that has imported the learner's module and answers requests."""

    def __init__(self, module: LearnerModule, budget: Budget, python: str = sys.executable):
        self.module = module
        self.budget = budget
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.output: OutputCapture | None = None
        self.names: list[str] = []
        self.on_progress = None  # called with each progress frame's dict while a call runs

    def start(self, prepare=None) -> None:
        """Start the process, run `prepare()` meanwhile, and wait until the learner's module is imported."""
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        output_read, output_write = os.pipe()
        config = {
            "root": str(self.module.root),
            "module_name": self.module.module_name,
            "exercise": self.module.exercise,
            "forbid": list(self.module.forbid),
            "memory_limit_mb": self.module.memory_limit_mb,
        }
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        env.pop("PYTHONSTARTUP", None)
        # No preexec_fn: the judge has threads by now (output readers, background imports),
        # and code run between fork and exec can deadlock on a lock one of them held.
        # The learner host sets its own limits before it imports the learner's module.
        self.proc = subprocess.Popen(
            [self.python, "-m", HOST_MODULE, json.dumps(config), str(request_read), str(reply_write)],
            stdin=subprocess.DEVNULL,
            stdout=output_write,
            stderr=output_write,
            pass_fds=(request_read, reply_write),
            cwd=str(self.module.root),
            env=env,
            start_new_session=True,  # its own process group, so a kill takes its children too
        )
        for fd in (request_read, reply_write, output_write):
            os.close(fd)
        self.request_fd, self.reply_fd = request_write, reply_read
        self.output = OutputCapture(output_read)
        if prepare is not None:
            prepare()
        reply = self._await_reply(during="import")
        if "ready" in reply:
            self.names = list(reply["ready"]["names"])
            return
        self.close()
        raise self._import_failure(reply)

    def request(self, message: dict) -> Any:
        """Send one request and return the learner's value, or raise what happened."""
        if self.proc is None or self.proc.poll() is not None:
            raise LearnerGone("exited", "the learner process is no longer running", message.get("label", "a call"))
        if self.budget.exhausted():
            self.kill()
            raise self._timeout(message.get("label", "a call"))
        nonce = secrets.randbits(52)  # a reply must echo it: learner code cannot pre-write answers
        try:
            wire.write_frame(self.request_fd, dict(message, nonce=nonce))
        except (BrokenPipeError, OSError):
            raise self._vanished(message.get("label", "a call")) from None
        reply = self._await_reply(during=message.get("label", "a call"))
        while "progress" in reply and reply.get("nonce") == nonce:
            # Informational frames sent while the call runs (channel.py); never an answer.
            self._show_progress(reply["progress"])
            reply = self._await_reply(during=message.get("label", "a call"))
        if reply.get("nonce") != nonce:
            self.kill()
            raise LearnerGone(
                "crashed",
                "the learner process sent an answer the judge did not ask for (does your code write to file descriptors it did not open?)",
                message.get("label", "a call"),
                self.printed(),
            )
        if "ok" in reply:
            return reply["ok"]
        if "raised" in reply:
            raise LearnerRaised(reply["raised"])
        if "not_implemented" in reply:
            raise NotImplementedYet(reply["not_implemented"])
        if "exited" in reply:
            self.close()
            code = reply["exited"]["code"]
            raise LearnerGone("exited", f"your code called sys.exit({code!r})", reply["exited"]["during"], self.printed())
        if "out_of_memory" in reply:
            self.kill()
            raise LearnerGone("out_of_memory", _oom_detail(self.module), reply["out_of_memory"]["during"], self.printed())
        raise LearnerGone("crashed", "the learner process sent a message the judge cannot read", message.get("label", "?"))

    def printed(self) -> str:
        """Everything the learner's code printed so far (cut when long)."""
        return self.output.text() if self.output else ""

    def close(self) -> None:
        """Ask the process to stop, then make sure it has."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                wire.write_frame(self.request_fd, {"op": "exit"})
                self.proc.wait(timeout=1.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the process group at once."""
        if self.proc is None:
            return
        # Always kill the group: children the learner forked outlive a clean exit otherwise.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            if self.proc.poll() is None:
                self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in ("request_fd", "reply_fd"):
            if getattr(self, fd, None) is not None:
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
                setattr(self, fd, None)

    def _show_progress(self, fields: Any) -> None:
        if self.on_progress is None or not isinstance(fields, dict):
            return
        try:
            self.on_progress(fields)
        except Exception:  # noqa: BLE001 - a display problem must not change the grading
            pass

    # -- reading replies -------------------------------------------------------------
    def _await_reply(self, during: str) -> dict:
        head = self._read_exact(8, during)
        (size,) = struct.unpack("<Q", head)
        if size > wire.MAX_FRAME_BYTES:
            self.kill()
            raise LearnerGone("crashed", f"your code returned a value too large to grade ({_size(size)})", during)
        try:
            reply = wire.decode(self._read_exact(size, during))
        except wire.WireError as exc:
            self.kill()
            raise LearnerGone("crashed", f"the learner process sent an unreadable message ({exc})", during) from None
        if not isinstance(reply, dict):
            self.kill()
            raise LearnerGone("crashed", "the learner process sent an unreadable message", during)
        return reply

    def _read_exact(self, size: int, during: str) -> bytes:
        chunks, missing = [], size
        while missing:
            # Wait in short slices: a child the learner forked may hold the pipe open after
            # the learner process itself has died, and that death must not read as a timeout.
            ready, _, _ = select.select([self.reply_fd], [], [], min(0.1, self.budget.remaining()))
            if not ready:
                if self.proc.poll() is not None:
                    raise self._vanished(during)
                if self.budget.exhausted():
                    self.kill()
                    raise self._timeout(during)
                continue
            chunk = os.read(self.reply_fd, min(missing, 1 << 20))
            if not chunk:
                raise self._vanished(during)
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _timeout(self, during: str) -> LearnerGone:
        detail = f"timeout after {self.budget.seconds:g} s: your code was still running"
        return LearnerGone("timeout", detail, during, self.printed())

    def _vanished(self, during: str) -> LearnerGone:
        """The reply pipe closed: find out how the process ended."""
        try:
            code = self.proc.wait(timeout=max(1.0, min(5.0, self.budget.remaining())))
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.kill()
        printed = self.printed()
        if code is not None and code < 0:
            number = -code
            if number == signal.SIGKILL:
                return LearnerGone("out_of_memory", "the process was killed (SIGKILL), most likely for using too much memory", during, printed)
            return LearnerGone("crashed", f"crashed with signal {number} ({signal_name(number)})", during, printed, {"signal": number})
        where = "at import" if during == "import" else f"in {during}"
        return LearnerGone("exited", f"your code exited the process {where} (exit code {code})", during, printed, {"code": code})

    def _import_failure(self, reply: dict) -> Exception:
        printed = self.printed()
        if "syntax_error" in reply:
            return ImportFailed("syntax_error", format_syntax_error(reply["syntax_error"], self.module.root), printed)
        if "exited" in reply:
            code = reply["exited"]["code"]
            return LearnerGone("exited", f"your code called sys.exit({code!r}) at import", "import", printed)
        if "out_of_memory" in reply:
            return LearnerGone("out_of_memory", _oom_detail(self.module), "import", printed)
        info = reply.get("raised") or reply.get("not_implemented") or {}
        if info.get("forbidden"):
            return ImportFailed("forbidden", info.get("message", ""), printed)
        return ImportFailed("error", "importing your module failed:\n" + LearnerRaised(info).describe(), printed)


def format_syntax_error(info: dict, root: Path) -> str:
    """'stage1/linreg.py, line 12' plus the line and a caret under the column."""
    try:
        shown = Path(info.get("file") or "").resolve().relative_to(root.resolve())
    except ValueError:
        shown = Path(info.get("file") or "?").name
    lines = [f"SyntaxError in {shown}, line {info.get('line')}: {info.get('message')}"]
    text = (info.get("text") or "").rstrip("\n")
    if text:
        stripped = text.lstrip()
        lines.append(f"    {stripped}")
        column = info.get("column") or 0
        indent = len(text) - len(stripped)
        lines.append("    " + " " * max(0, column - 1 - indent) + "^")
    return "\n".join(lines)


def _oom_detail(module: LearnerModule) -> str:
    return f"out of memory: your code tried to use more than the {module.memory_limit_mb} MB this exercise allows"


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
