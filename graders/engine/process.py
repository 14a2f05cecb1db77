"""The judge's side of the learner process: start it, talk to it, watch it, kill it."""

from __future__ import annotations

import contextlib
import errno
import fcntl
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
from typing import Any, Iterator

from mldojo.graders.engine import cancel, sandbox, wire
from mldojo.graders.engine.outcomes import (
    ImportFailed,
    LearnerGone,
    LearnerRaised,
    NotImplementedYet,
    signal_name,
)

HOST_MODULE = "mldojo.graders.engine.learner_host"
IMPORT_LIMIT_S = 60.0  # importing the learner's module (torch alone can take seconds on a busy machine)
STOPPED_LIMIT_S = 2.0  # a learner process seen stopped this long is failed, not waited for
DEFAULT_REPLY_LIMIT = 64 << 20
OUTPUT_HEAD_BYTES = 4096
OUTPUT_TAIL_BYTES = 4096


class Budget:
    """The time the learner's code may use in one grading, shared by every call. Its clock runs
    only while a request is out to the learner process: the judge's own work (drawing inputs,
    computing oracles), start-up and the import do not count."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.used = 0.0
        self._since: float | None = None

    def remaining(self) -> float:
        """Seconds left, never negative."""
        used = self.used + (time.monotonic() - self._since if self._since is not None else 0.0)
        return max(0.0, self.seconds - used)

    def exhausted(self) -> bool:
        """True once the time is used up."""
        return self.remaining() <= 0.0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The clock runs inside the block (nested blocks count once)."""
        if self._since is not None:
            yield
            return
        self._since = time.monotonic()
        try:
            yield
        finally:
            self.used += time.monotonic() - self._since
            self._since = None


class OutputCapture:
    """The learner's stdout and stderr: the first and last few KB of everything, and the same of
    what was printed since the last `take()` (so a failing check shows the output of its own
    minimal example, not of every example).

    The judge drains the pipe itself whenever it waits on the learner process (no reader
    thread): when a reply has arrived, everything the learner host printed before replying is
    already in the pipe, so a final drain attributes it to the right call."""

    def __init__(self, fd: int):
        self.fd = fd
        os.set_blocking(fd, False)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.since = _HeadTail()
        self.closed = False

    def drain(self, limit: int = 8 << 20) -> None:
        """Read whatever the learner has printed so far, without waiting (at most `limit`
        bytes at a time: a learner that never stops printing cannot hold the judge here)."""
        taken = 0
        while not self.closed and taken < limit:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                os.close(self.fd)
                return
            taken += len(chunk)
            self.total += len(chunk)
            self.since.add(chunk)
            room = OUTPUT_HEAD_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[:-OUTPUT_TAIL_BYTES]

    def take(self) -> str:
        """What was printed since the last take (cut when long), and start counting anew."""
        self.drain()
        text, self.since = self.since.text(), _HeadTail()
        return text

    def text(self) -> str:
        """What the learner printed, with the middle cut out when it was long."""
        self.drain()
        head = self.head.decode(errors="replace")
        if self.total <= len(self.head) + len(self.tail):
            return head + self.tail.decode(errors="replace")
        skipped = self.total - len(self.head) - len(self.tail)
        return f"{head}\n… [{_size(skipped)} cut; {_size(self.total)} printed in all] …\n{self.tail.decode(errors='replace')}"

    def close(self) -> None:
        """Read what is left (the process has ended) and close the pipe."""
        self.drain()
        if not self.closed:
            self.closed = True
            os.close(self.fd)


class _HeadTail:
    """The first and last few KB of a stream of chunks."""

    def __init__(self):
        self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def add(self, chunk: bytes) -> None:
        """Keep the start and the end of what arrives."""
        self.total += len(chunk)
        room = OUTPUT_HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            del self.tail[:-OUTPUT_TAIL_BYTES]

    def text(self) -> str:
        """The kept text, marked where the middle was cut."""
        head, tail = self.head.decode(errors="replace"), self.tail.decode(errors="replace")
        if self.total <= len(self.head) + len(self.tail):
            return head + tail
        return f"{head}\n… [{_size(self.total - len(self.head) - len(self.tail))} cut; {_size(self.total)} printed in all] …\n{tail}"


@dataclass(frozen=True)
class LearnerModule:
    """Where the learner's module is, what it may not use, and what the process may take."""

    exercise: str  # "stage1/linreg"
    root: Path | None  # the workspace; its files are the learner's (None for a trusted baseline)
    file: Path | None  # root / "stage1" / "linreg.py"
    forbid: tuple[str, ...] = ()
    memory_limit_mb: int = 3072
    import_name: str = ""  # a trusted module to import instead of a workspace file (a benchmark baseline)
    import_limit_s: float = IMPORT_LIMIT_S  # the import's own time limit (not the learner's budget)
    gpu: bool = True  # CUDA devices visible (when the machine has them and torch is allowed)
    # The trusted driver modules imported before the learner's module; None: the exercise's own
    # (driver_modules). A benchmark may name others (stage3/flash_attention compiles its kernel there).
    drivers: tuple[str, ...] | None = None

    @property
    def module_name(self) -> str:
        """The import name, e.g. 'stage1.linreg'."""
        if self.import_name:
            return self.import_name
        return ".".join(self.file.relative_to(self.root).with_suffix("").parts)

    def view(self) -> "sandbox.View":
        """What this module's sandbox shows besides the system and Python."""
        hidden = tuple(sorted({name.partition(".")[0] for name in self.forbid}))
        return sandbox.View(workspace=self.root, hidden_packages=hidden, gpu=self.gpu and "torch" not in hidden,
                            tmp_mb=min(self.memory_limit_mb, 4096))


class LearnerProcess:
    """One fresh Python that has imported the learner's module and answers requests."""

    def __init__(self, module: LearnerModule, budget: Budget, python: str = sys.executable):
        self.module = module
        self.budget = budget
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.output: OutputCapture | None = None
        self.names: list[str] = []
        self.sandboxed = False
        self.busy = False  # a request is out and unanswered
        self.import_output = ""
        self.host_pid: int | None = None  # the learner host's pid as the judge sees it
        self.on_progress = None  # called with each progress frame's dict while a call runs

    def start(self, prepare=None) -> None:
        """Start the process, run `prepare()` meanwhile, and wait until the learner's module is
        imported (under the import's own limit; the learner's budget starts after it)."""
        status = sandbox.status()
        if not status.available and status.mode == "require":
            raise sandbox.SandboxRequired(f"{sandbox.SANDBOX_ENV}=require, but {status.reason}. {status.advice}")
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        output_read, output_write = os.pipe()
        config = {
            "root": str(self.module.root) if self.module.root else "",
            "module_name": self.module.module_name,
            "exercise": self.module.exercise,
            "forbid": list(self.module.forbid),
            "memory_limit_mb": self.module.memory_limit_mb,
            "sandboxed": status.available,
            "drivers": list(self.module.drivers) if self.module.drivers is not None else driver_modules(self.module.exercise),
        }
        self.proc = self._forked(config, request_read, reply_write, output_write)
        if self.proc is None:
            # -P: the host puts the workspace on its path itself, after its own imports.
            argv = [self.python, "-P", "-m", HOST_MODULE, json.dumps(config), str(request_read), str(reply_write)]
            if status.available:
                argv = [status.tool, *sandbox.command(self.module.view(), argv)]
            cwd = str(self.module.root) if self.module.root and not status.available else None
            # No preexec_fn: the judge has threads by now (background imports), and code run
            # between fork and exec can deadlock on a lock one of them held. The learner host
            # sets its own limits before it imports the learner's module.
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output_write,
                stderr=output_write,
                pass_fds=(request_read, reply_write),
                cwd=cwd,
                env=sandbox.learner_environment(status.available),
                start_new_session=True,  # its own process group, so a kill takes its children too
            )
            self.sandboxed = status.available
        for fd in (request_read, reply_write, output_write):
            os.close(fd)
        os.set_blocking(request_write, False)  # every write has a deadline (_write_frame)
        self.request_fd, self.reply_fd = request_write, reply_read
        self.output = OutputCapture(output_read)
        if prepare is not None:
            prepare()
        importing = Budget(self.module.import_limit_s)
        saved, self.budget = self.budget, importing
        try:
            with importing.running():
                reply = self._await_reply(during="import")
        finally:
            self.budget = saved
        if "ready" in reply:
            self.names = list(reply["ready"]["names"])
            self.host_pid = self._find_host_pid()
            self.import_output = self.take_output()  # printed at import: the report shows it once
            return
        self.close()
        raise self._import_failure(reply)

    def _forked(self, config: dict, request_fd: int, reply_fd: int, output_fd: int):
        """A learner process forked from a warm template (warm.py), when a pool is open; else None."""
        from mldojo.graders.engine import warm

        pool = warm.active()
        if pool is None or self.python != sys.executable or self.module.drivers is not None:
            return None  # a template has imported the exercise's own drivers, not the ones named here
        try:
            template = pool.template_for(self.module)
            child = template.spawn(config, request_fd, reply_fd, output_fd)
        except (warm.TemplateGone, OSError):
            return None
        self.sandboxed = template.sandboxed
        return child

    def request(self, message: dict, max_reply_bytes: int | None = None) -> Any:
        """Send one request and return the learner's value, or raise what happened. A reply
        larger than `max_reply_bytes` (default: generous for the request's size) is refused
        unread."""
        label = message.get("label", "a call")
        cancel.raise_if_requested()
        if self.proc is None or self.proc.poll() is not None:
            raise LearnerGone("exited", "the learner process is no longer running", label)
        if self.budget.exhausted():
            self.kill()
            raise self._timeout(label)
        nonce = secrets.randbits(52)  # a reply must echo it: learner code cannot pre-write answers
        payload = wire.encode(dict(message, nonce=nonce))
        limit = max_reply_bytes or default_reply_limit(len(payload))
        self.busy = True  # until the reply is in: an interrupted request leaves it set
        with self.budget.running():
            self._write_frame(payload, label)
            reply = self._await_reply(during=label, max_bytes=limit)
            while "progress" in reply and reply.get("nonce") == nonce:
                # Informational frames sent while the call runs (channel.py); never an answer.
                self._show_progress(reply["progress"])
                reply = self._await_reply(during=label, max_bytes=limit)
        self.busy = False
        if reply.get("nonce") != nonce:
            self.kill()
            raise LearnerGone(
                "crashed",
                "the learner process sent an answer the judge did not ask for (does your code write to file descriptors it did not open?)",
                label,
                self.take_output(),
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
            raise LearnerGone("exited", f"your code called sys.exit({code!r})", reply["exited"]["during"], self.take_output())
        if "out_of_memory" in reply:
            self.kill()
            raise LearnerGone("out_of_memory", _oom_detail(self.module), reply["out_of_memory"]["during"], self.take_output())
        raise LearnerGone("crashed", "the learner process sent a message the judge cannot read", label)

    def printed(self) -> str:
        """Everything the learner's code printed so far (cut when long)."""
        return self.output.text() if self.output else ""

    def pids(self) -> list[int]:
        """Every live process of this learner process (bubblewrap, the host, what it forked)."""
        if self.proc is None:
            return []
        if hasattr(self.proc, "processes"):  # forked from a warm template
            return self.proc.processes()
        if self.proc.poll() is not None:
            return []
        return sandbox.pids_of(self.proc.pid)

    def close(self) -> None:
        """Ask the process to stop, then make sure it has; never blocks on a learner that does not
        read, and does not wait at all for one still busy with a request (Ctrl-C, a timeout)."""
        if self.proc is None:
            return
        if self.proc.poll() is None and getattr(self, "request_fd", None) is not None and not self.busy:
            try:
                frame = wire.encode({"op": "exit"})
                os.write(self.request_fd, struct.pack("<Q", len(frame)) + frame)  # non-blocking: fits in the pipe or is dropped
                self.proc.wait(timeout=1.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the process, its group and every process below it (stopped ones too), at once."""
        if self.proc is None:
            return
        forked = hasattr(self.proc, "processes")
        for _ in range(3):  # again, for anything forked while the first signals went out
            # A forked learner process's leftovers live on in the template's sandbox after it ends.
            victims = self.pids() if forked or self.proc.poll() is None else []
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not victims:
                break
        if not forked:  # a fork shares the template's process group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.output is not None:
            self.output.close()
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

    def _find_host_pid(self) -> int | None:
        """The host's pid as the judge sees it: under bubblewrap, the oldest process running
        the host module (bubblewrap's own two processes carry the same words in their argv)."""
        if not self.sandboxed or hasattr(self.proc, "processes"):
            return self.proc.pid
        oldest = None
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    argv = handle.read().split(b"\0")
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    started = int(handle.read().rpartition(b")")[2].split()[19])
            except (OSError, IndexError, ValueError):
                continue
            if argv and argv[0] == self.python.encode() and HOST_MODULE.encode() in argv:
                if oldest is None or started < oldest[0]:
                    oldest = (started, pid)
        return oldest[1] if oldest else None

    def _output_fds(self) -> list[int]:
        return [self.output.fd] if self.output is not None and not self.output.closed else []

    def take_output(self) -> str:
        """What the learner printed since the last take (see OutputCapture.take)."""
        return self.output.take() if self.output else ""

    def _stopped(self) -> bool:
        """True when the learner host is stopped (SIGSTOP / SIGTSTP it sent itself)."""
        if self.host_pid is None:
            return False
        try:
            with open(f"/proc/{self.host_pid}/stat", "rb") as handle:
                return handle.read().rpartition(b")")[2].split()[0] in (b"T", b"t")
        except (OSError, IndexError):
            return False

    # -- writing requests ------------------------------------------------------------------
    def _write_frame(self, payload: bytes, during: str) -> None:
        """Write one request within the budget: a learner that stops reading cannot hang the judge."""
        stopped_since = None
        for part in wire.framed(payload):
            view = memoryview(part)
            while view:
                try:
                    written = os.write(self.request_fd, view[: 1 << 20])
                    view = view[written:]
                    stopped_since = None
                    continue
                except BlockingIOError:
                    pass
                except (BrokenPipeError, OSError):
                    raise self._vanished(during) from None
                readable, ready, _ = select.select(self._output_fds(), [self.request_fd], [], min(0.1, max(self.budget.remaining(), 0.01)))
                if readable:
                    self.output.drain()
                if ready:
                    continue
                cancel.raise_if_requested()
                if self.proc.poll() is not None:
                    raise self._vanished(during)
                stopped_since = self._check_stopped(stopped_since, during)
                if self.budget.exhausted():
                    self.kill()
                    raise LearnerGone("timeout", f"the learner process stopped reading the judge's request for "
                                      f"{self.budget.seconds:g} s", during, self.take_output())

    def _check_stopped(self, since: float | None, during: str) -> float | None:
        """Fail a learner that has stopped itself for STOPPED_LIMIT_S; returns when it was first seen stopped."""
        if not self._stopped():
            return None
        now = time.monotonic()
        if since is None:
            return now
        if now - since >= STOPPED_LIMIT_S:
            self.kill()
            raise LearnerGone("crashed", "your code stopped its own process (SIGSTOP or SIGTSTP), so it could not answer",
                              during, self.take_output())
        return since

    # -- reading replies -------------------------------------------------------------
    def _await_reply(self, during: str, max_bytes: int = wire.MAX_FRAME_BYTES) -> dict:
        head = self._read_exact(8, during)
        (size,) = struct.unpack("<Q", head)
        if size > min(max_bytes, wire.MAX_FRAME_BYTES):
            self.kill()
            raise LearnerGone("crashed", f"your code returned a value far too large to grade ({_size(size)}; "
                              f"at most {_size(min(max_bytes, wire.MAX_FRAME_BYTES))} is read for this call): "
                              "is it returning a much bigger array than the inputs call for?", during, self.take_output())
        try:
            reply = wire.decode(self._read_exact(size, during))
            if self.output is not None:
                self.output.drain()  # what the host printed before it replied
        except wire.WireError as exc:
            self.kill()
            raise LearnerGone("crashed", f"the learner process sent an unreadable message ({exc})", during) from None
        if not isinstance(reply, dict):
            self.kill()
            raise LearnerGone("crashed", "the learner process sent an unreadable message", during)
        return reply

    def _read_exact(self, size: int, during: str) -> bytes:
        chunks, missing = [], size
        stopped_since = None
        while missing:
            # Wait in short slices: a child the learner forked may hold the pipe open after
            # the learner process itself has died, and that death must not read as a timeout.
            ready, _, _ = select.select([self.reply_fd, *self._output_fds()], [], [], min(0.1, max(self.budget.remaining(), 0.01)))
            if self.output is not None and self.output.fd in ready:
                self.output.drain()
            if self.reply_fd not in ready:
                cancel.raise_if_requested()
                if self.proc.poll() is not None:
                    raise self._vanished(during)
                stopped_since = self._check_stopped(stopped_since, during)
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
        if during == "import":
            detail = (f"timeout after {self.budget.seconds:g} s while importing your module "
                      "(code at the top level of your file that never ends?)")
        else:
            detail = f"timeout after {self.budget.seconds:g} s of your code's running time: it was still running"
        return LearnerGone("timeout", detail, during, self.take_output())

    def _vanished(self, during: str) -> LearnerGone:
        """The reply pipe closed: find out how the process ended."""
        try:
            code = self.proc.wait(timeout=max(1.0, min(5.0, self.budget.remaining())))
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.kill()
        printed = learner_frames_only(self.take_output(), self.module.root)
        number = _signal_of(code, self.sandboxed and isinstance(self.proc, subprocess.Popen))
        if number:
            if number == signal.SIGKILL:
                return LearnerGone("out_of_memory", "the process was killed (SIGKILL), most likely for using too much memory", during, printed)
            return LearnerGone("crashed", f"crashed with signal {number} ({signal_name(number)})", during, printed, {"signal": number})
        where = "at import" if during == "import" else f"in {during}"
        return LearnerGone("exited", f"your code exited the process {where} (exit code {code})", during, printed, {"code": code})

    def _import_failure(self, reply: dict) -> Exception:
        printed = self.take_output()
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


def driver_modules(exercise: str) -> list[str]:
    """The trusted driver module of an exercise, when it has one ('stage1/tree' -> '…stage1.tree_driver')."""
    import importlib.util

    name = "mldojo.graders." + exercise.replace("/", ".") + "_driver"
    try:
        return [name] if importlib.util.find_spec(name) is not None else []
    except (ImportError, ValueError):
        return []


def default_reply_limit(request_bytes: int) -> int:
    """The largest reply read for a request of this size: 64 MB, or 64 times the request."""
    return max(DEFAULT_REPLY_LIMIT, 64 * request_bytes)


def _signal_of(code: int | None, sandboxed: bool) -> int | None:
    """The signal that ended the host: a negative return code, or bubblewrap's 128 + N."""
    if code is None:
        return None
    if code < 0:
        return -code
    if sandboxed and 128 < code < 128 + 65:
        return code - 128
    return None


def learner_frames_only(printed: str, root: Path | None) -> str:
    """A crash dump (faulthandler's 'File "…", line N in f' lines) without the judge's own frames."""
    if 'File "' not in printed:
        return printed
    inside = str(root) if root else None
    kept = []
    for line in printed.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith('File "') and " line " in stripped:
            path = stripped[6:].partition('"')[0]
            if inside is None or not os.path.realpath(path).startswith(os.path.realpath(inside) + os.sep):
                continue
        kept.append(line)
    return "".join(kept)


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
