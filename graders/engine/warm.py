"""Warm learner processes: fork each grading's learner process from a template that has already
imported what the exercise needs, inside the same sandbox (`grade watch`, repeated gradings).

A cold learner process starts Python, imports NumPy (and torch, for ~1 s) and the trusted
drivers, then the learner's module. A template does all but the last once, in a sandbox with
the exercise's view; each grading then asks it for a fork, which imports the learner's module
fresh: every grading still gets a new process with no state from the last, and the sandbox,
the limits and the protocol are the ones a cold start gets (see learner_host.template_main).

The judge holds a template as long as a `WarmPool` is open (one per exercise and workspace);
closing the pool, or the judge dying, ends it (bubblewrap's --die-with-parent, and the PID
namespace takes everything the learner's code started). Between gradings every process of the
sandbox except the template and bubblewrap's own is killed, so a learner's `setsid` grandchild
does not outlive its grading either.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from typing import Iterator

from mldojo.graders.engine import sandbox

# What a template imports besides the exercise's drivers, unless the exercise forbids it.
# sympy: torch imports it lazily on its first use in many calls (about 170 modules, a few tenths
# of a second), which every forked learner process of a torch exercise paid again.
PRELOAD = ("numpy", "torch", "sympy")
TORCH_ONLY = frozenset({"torch", "sympy"})  # only where the exercise is written in PyTorch
CONTROL_TIMEOUT_S = 10.0
_active: "WarmPool | None" = None


class TemplateGone(Exception):
    """The template process is not answering: start learner processes cold instead."""


class Template:
    """One warm template process (sandboxed like a learner process) and its control socket."""

    def __init__(self, module, python: str = sys.executable):
        self.module = module
        self.python = python
        status = sandbox.status()
        self.sandboxed = status.available
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        hidden = {name.partition(".")[0] for name in module.forbid}
        config = {
            "memory_limit_mb": module.memory_limit_mb,
            "preload": [name for name in PRELOAD if name not in hidden and _wanted(name, module.exercise)],
            "drivers": _drivers(module.exercise),
        }
        argv = [python, "-P", "-m", "mldojo.graders.engine.learner_host", "--template", json.dumps(config), str(theirs.fileno())]
        if self.sandboxed:
            argv = [status.tool, *sandbox.command(module.view(), argv)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     pass_fds=(theirs.fileno(),), env=sandbox.learner_environment(self.sandboxed),
                                     cwd=str(module.root) if module.root and not self.sandboxed else None,
                                     start_new_session=True)
        theirs.close()
        self.control = ours
        self.buffer = b""
        self.template_pid: int | None = None

    def alive(self) -> bool:
        """True while the template process runs."""
        return self.proc.poll() is None

    def spawn(self, config: dict, request_fd: int, reply_fd: int, output_fd: int) -> "ForkedChild":
        """A fresh learner process forked from the template, talking on the given pipe ends."""
        self._send({"spawn": config}, [request_fd, reply_fd, output_fd])
        pid = int(self._receive()["pid"])
        return ForkedChild(self, pid)

    def reap(self, pid: int) -> dict:
        """{"status": waitpid status or None while it runs, "gone": already reaped}."""
        self._send({"reap": pid})
        return self._receive()

    def processes(self) -> list[int]:
        """Every process of the template's sandbox, as the judge sees them."""
        return sandbox.pids_of(self.proc.pid) if self.alive() else []

    def own_processes(self) -> set[int]:
        """bubblewrap's two processes and the template itself (never killed between gradings).
        The template's forks carry its argv too: the template is the oldest of them."""
        own = {self.proc.pid}
        if self.template_pid is None:
            templates = [pid for pid in self.processes()
                         if "--template" in _argv(pid) and _argv(pid)[:1] != [self.proc.args[0]]]
            if templates:
                self.template_pid = min(templates, key=_start_time)
        if self.template_pid is not None:
            own.add(self.template_pid)
        if self.sandboxed:
            own.update(pid for pid in self.processes() if _argv(pid)[:1] == [self.proc.args[0]])
        return own

    def clear(self) -> None:
        """Kill every process of the sandbox that is not the template's own (a grading's leftovers)."""
        own = self.own_processes()
        for _ in range(3):
            strays = [pid for pid in self.processes() if pid not in own]
            if not strays:
                return
            for pid in strays:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """End the template and everything in its sandbox."""
        with contextlib.suppress(OSError):
            self.control.close()
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def _send(self, message: dict, fds: list[int] | None = None) -> None:
        if not self.alive():
            raise TemplateGone("the warm template has ended")
        try:
            socket.send_fds(self.control, [json.dumps(message).encode()], fds or [])
        except OSError as exc:
            raise TemplateGone(f"the warm template stopped listening ({exc})") from None

    def _receive(self) -> dict:
        deadline = time.monotonic() + CONTROL_TIMEOUT_S
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.control], [], [], max(0.0, min(remaining, 0.1)))
            if not ready:
                if remaining <= 0 or not self.alive():
                    raise TemplateGone("the warm template did not answer")
                continue
            chunk = self.control.recv(1 << 16)
            if not chunk:
                raise TemplateGone("the warm template closed its socket")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)


class ForkedChild:
    """A learner process forked by a template, with the parts of subprocess.Popen the judge uses."""

    def __init__(self, template: Template, inner_pid: int):
        self.template = template
        self.inner_pid = inner_pid  # its pid in the template's namespace
        self.returncode: int | None = None
        outer = self._outer_pid()
        self.pid = outer or inner_pid
        # Readable once the child has ended: lets poll() answer "still running" without a round
        # trip to the template (one per request to the learner, 0.4-1.2 ms each on a busy machine).
        # The child stays a zombie until the template reaps it on our request, so the pid cannot
        # be reused meanwhile. Without the outer pid there is no safe pid to watch: ask the template.
        self._exit_fd = _exit_watch(outer) if outer is not None else None

    def _outer_pid(self) -> int | None:
        if not self.template.sandboxed:
            return self.inner_pid
        for pid in self.template.processes():
            if _namespace_pid(pid) == self.inner_pid:
                return pid
        return None

    def poll(self) -> int | None:
        """Its return code once it has ended (a negative signal number, as Popen's), else None."""
        if self.returncode is not None:
            return self.returncode
        if self._exit_fd is not None and not _readable(self._exit_fd, 0.0):
            return None
        try:
            answer = self.template.reap(self.inner_pid)
        except TemplateGone:
            self._ended(-signal.SIGKILL)
            return self.returncode
        status = answer.get("status")
        if status is None:
            if answer.get("gone"):
                self._ended(-signal.SIGKILL)
            return self.returncode
        self._ended(os.waitstatus_to_exitcode(status))
        return self.returncode

    def _ended(self, code: int) -> None:
        self.returncode = code
        if self._exit_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._exit_fd)
            self._exit_fd = None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for it to end (subprocess.TimeoutExpired after `timeout`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("learner process", timeout)
            if self._exit_fd is not None:
                _readable(self._exit_fd, 0.1 if left is None else min(left, 0.1))  # wakes as it ends
            else:
                time.sleep(0.01)
        return self.returncode

    def __del__(self):
        if getattr(self, "_exit_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._exit_fd)

    def kill(self) -> None:
        """Kill it and every process it started (the template and bubblewrap stay)."""
        self.template.clear()

    def processes(self) -> list[int]:
        """Its process and everything else the grading left in the sandbox."""
        own = self.template.own_processes()
        return [pid for pid in self.template.processes() if pid not in own]


class WarmPool:
    """Templates kept warm while the pool is open; `active()` tells the engine to use them.
    The judge's recordings of passing checks live as long as the pool (replay.py)."""

    def __init__(self):
        from mldojo.graders.engine.replay import Replays

        self.templates: dict = {}
        self.replays = Replays()

    def template_for(self, module) -> Template | None:
        """The running template for this module's sandbox view (started on first use)."""
        key = (module.exercise, module.root, module.forbid, module.memory_limit_mb, module.import_name, module.gpu)
        template = self.templates.get(key)
        if template is not None and not template.alive():
            template.close()
            template = None
        if template is None:
            template = Template(module)
            self.templates[key] = template
        return template

    def keep_recent(self, exercise: str, count: int) -> None:
        """Mark this exercise's templates as the most recently used and end all but the `count` most
        recent (a long-lived pool, `grade serve`, would otherwise keep one per exercise ever graded)."""
        for key in [key for key in self.templates if key[0] == exercise]:
            self.templates[key] = self.templates.pop(key)  # dicts keep insertion order: most recent last
        for key in list(self.templates)[:max(0, len(self.templates) - count)]:
            self.templates.pop(key).close()

    def close(self) -> None:
        """End every template."""
        for template in self.templates.values():
            template.close()
        self.templates.clear()


@contextlib.contextmanager
def warm_processes() -> Iterator[WarmPool]:
    """Inside the block, learner processes are forked from warm templates."""
    global _active
    saved, _active = _active, WarmPool()
    try:
        yield _active
    finally:
        _active.close()
        _active = saved


def active() -> WarmPool | None:
    """The open pool, if any."""
    return _active


def _wanted(name: str, exercise: str) -> bool:
    """torch (and sympy) only for the exercises written in PyTorch (stage 3 and later): importing
    it costs a second and a few hundred MB in every other template."""
    if name not in TORCH_ONLY:
        return True
    stage = exercise.partition("/")[0]
    return stage.startswith("stage") and stage[5:].isdigit() and int(stage[5:]) >= 3


def _drivers(exercise: str) -> list[str]:
    from mldojo.graders.engine.process import driver_modules

    return driver_modules(exercise)


def _exit_watch(pid: int) -> int | None:
    """A pidfd for `pid` (readable once it has ended), or None where the system has none."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _readable(fd: int, timeout: float) -> bool:
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready)


def _argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [part.decode(errors="replace") for part in handle.read().split(b"\0") if part]
    except OSError:
        return []


def _start_time(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rpartition(b")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        return 1 << 62


def _namespace_pid(pid: int) -> int | None:
    """The innermost pid of a process (its pid inside the sandbox's PID namespace)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return None
