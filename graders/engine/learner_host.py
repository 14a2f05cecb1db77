"""The learner process: imports the learner's module and answers the judge's requests.

Run as `python -m mldojo.graders.engine.learner_host CONFIG_JSON REQUEST_FD REPLY_FD`.
Everything here runs beside untrusted code, so it decides nothing: it only calls what the
judge asks for and sends back plain data (see wire.py). It imports nothing heavy itself.
"""

from __future__ import annotations

import errno
import faulthandler
import importlib
import importlib.abc
import importlib.util
import json
import os
import struct
import sys
import traceback
from types import ModuleType
from typing import Any

from mldojo.graders.engine import channel, wire
from mldojo.graders.engine.imports_gc import collector_paused


REFERENCE_PACKAGE = "mldojo.reference"
# Deep enough for a recursive topological sort of a 2,000-node micrograd chain (5x over) or a tree
# grown on every row of Titanic; shallow enough that an infinite recursion ends in a few seconds
# (100,000 frames of NumPy work took 30-50 s before the RecursionError reached the learner).
RECURSION_LIMIT = 10_000


class ForbiddenImportFinder(importlib.abc.MetaPathFinder):
    """Refuses imports of libraries the exercise forbids, with a message that says why."""

    def __init__(self, forbidden: list[str], exercise: str):
        self.forbidden = set(forbidden)
        self.exercise = exercise

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if fullname == REFERENCE_PACKAGE or fullname.startswith(REFERENCE_PACKAGE + "."):
            raise ImportError("mldojo: the reference solutions cannot be imported from your code (`grade reveal` shows one once you pass)", name=fullname)
        if top in self.forbidden:
            if _probing_with_find_spec():
                return None  # "not installed": libraries (torch.optim via dynamo) probe for optional packages
            raise ImportError(
                f"mldojo: {self.exercise} must be written without `{top}` "
                f"(this exercise forbids: {', '.join(sorted(self.forbidden))})",
                name=fullname,
            )
        return None


def _probing_with_find_spec() -> bool:
    """True when importlib.util.find_spec asks, rather than an import statement."""
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return False
        code = frame.f_code
        if code.co_name == "find_spec" and code.co_filename in ("<frozen importlib.util>", importlib.util.__file__):
            return True
        frame = frame.f_back
    return False


class Host:
    """Holds the learner's module and the objects handed to the judge as handles."""

    def __init__(self, config: dict, request_fd: int, reply_fd: int):
        self.config = config
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.learner_files = os.path.realpath(config["root"])
        self.module: ModuleType | None = None
        self.objects: dict[int, Any] = {}
        self.ids_by_object: dict[int, int] = {}
        self.drivers: dict[str, Any] = {}  # "module:function" -> the function, taken before the learner's import

    # -- handles ---------------------------------------------------------------------
    def handle_of(self, obj: Any) -> wire.Handle:
        """Keep `obj` here and give the judge a numbered handle to it."""
        key = id(obj)
        if key not in self.ids_by_object:
            handle_id = len(self.objects) + 1
            self.objects[handle_id] = obj
            self.ids_by_object[key] = handle_id
        return wire.Handle(self.ids_by_object[key], _type_label(obj))

    def resolve(self, value: Any) -> Any:
        """Turn handles and tensors in the judge's arguments back into live objects."""
        if isinstance(value, wire.Handle):
            return self.objects[value.id]
        if isinstance(value, wire.Tensor):
            import torch

            tensor = torch.from_numpy(value.array).to(getattr(torch, value.dtype))
            return tensor.requires_grad_(value.requires_grad)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    # -- the conversation ---------------------------------------------------------------
    def send(self, message: dict) -> None:
        """Send one reply frame to the judge."""
        wire.write_frame(self.reply_fd, message, self.handle_of)

    def receive(self) -> Any:
        """Read one request frame from the judge (None when the judge has gone)."""
        head = _read_exact(self.request_fd, 8)
        if head is None:
            return None
        (size,) = struct.unpack("<Q", head)
        payload = _read_exact(self.request_fd, size)
        return None if payload is None else wire.decode(payload)

    def import_drivers(self) -> None:
        """Import the trusted drivers this exercise uses before the learner's module, and keep
        their functions here: a learner's module that replaces a driver's attribute changes nothing."""
        for name in self.config.get("drivers", []):
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            for attribute, value in vars(module).items():
                if callable(value) and not attribute.startswith("__"):
                    self.drivers[f"{name}:{attribute}"] = value

    def import_learner_module(self) -> dict:
        """Import the learner's file; returns the 'ready' message or a failure message."""
        config = self.config
        if config["root"]:
            sys.path.insert(0, config["root"])
        sys.meta_path.insert(0, ForbiddenImportFinder(config.get("forbid", []), config["exercise"]))
        try:
            self.module = importlib.import_module(config["module_name"])
        except BaseException as exc:  # noqa: BLE001 - every way an import can fail is reported
            return self.describe_failure(exc, during="import")
        names = sorted(n for n in vars(self.module) if not n.startswith("_"))
        return {"ready": {"names": names, "pid": os.getpid()}}

    def serve(self) -> None:
        """Answer requests until the judge says stop or goes away."""
        while True:
            request = self.receive()
            if request is None or request.get("op") == "exit":
                return
            # Progress frames sent while this request runs carry its nonce (see channel.py).
            channel.connect(lambda fields, nonce=request.get("nonce"): self.send({"progress": fields, "nonce": nonce}))
            try:
                value = self.perform(request)
                reply = {"ok": value}
            except BaseException as exc:  # noqa: BLE001 - reported, never swallowed
                reply = self.describe_failure(exc, during=request.get("label", "a call"))
            finally:
                channel.connect(None)
            reply["nonce"] = request.get("nonce")  # the judge matches replies to requests
            _flush_output()  # printed during this call: in the pipe before the reply (OutputCapture)
            try:
                self.send(reply)
            except Exception as exc:  # noqa: BLE001 - e.g. a list that contains itself
                self.send({"raised": _unsendable(exc, request), "nonce": request.get("nonce")})
            if "exited" in reply:
                return

    def perform(self, request: dict) -> Any:
        """Carry out one request: getattr, call, or a driver function."""
        op = request["op"]
        if op == "getattr":
            owner = self.module if request["handle"] == 0 else self.objects[request["handle"]]
            return getattr(owner, request["name"])
        if op == "call":
            target = self.objects[request["handle"]]
            args = self.resolve(request.get("args", []))
            kwargs = self.resolve(request.get("kwargs", {}))
            return target(*args, **kwargs)
        if op == "driver":
            driver = self.drivers.get(request["function"])
            if driver is None:
                module_name, _, function_name = request["function"].partition(":")
                driver = getattr(importlib.import_module(module_name), function_name)
            args = self.resolve(request.get("args", []))
            kwargs = self.resolve(request.get("kwargs", {}))
            return driver(self.module, *args, **kwargs)
        raise ValueError(f"unknown request {op!r}")

    def describe_failure(self, exc: BaseException, during: str) -> dict:
        """Describe an exception from the learner's code in the learner's own terms."""
        if isinstance(exc, SystemExit):
            return {"exited": {"code": _exit_code(exc), "during": during}}
        if isinstance(exc, MemoryError):
            return {"out_of_memory": {"during": during, "message": str(exc)}}
        if isinstance(exc, SyntaxError) and during == "import" and self.is_learner_file(exc.filename):
            return {
                "syntax_error": {
                    "file": exc.filename,
                    "line": exc.lineno,
                    "column": exc.offset,
                    "text": exc.text,
                    "message": exc.msg,
                }
            }
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if self.is_learner_file(f.filename)]
        where = frames[-1].name if frames else None
        info = {
            "type": type(exc).__name__,
            "message": _safe_str(exc),
            "traceback": "".join(traceback.format_list(frames)),
            "function": where,
            "qualname": _raising_qualname(exc, self),
            "during": during,
            "forbidden": isinstance(exc, ImportError) and str(exc).startswith("mldojo:"),
        }
        if isinstance(exc, NotImplementedError) and _raised_by_a_stub(frames):
            return {"not_implemented": info}
        if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and self.config.get("sandboxed"):
            info["message"] += f" (your code runs in mldojo's sandbox: it can write under {os.environ.get('TMPDIR', '/tmp')} only)"
        return {"raised": info}

    def is_learner_file(self, filename: str | None) -> bool:
        """True for files inside the learner's workspace (their code, not ours)."""
        if not filename:
            return False
        try:
            return os.path.realpath(filename).startswith(self.learner_files + os.sep)
        except (TypeError, ValueError):
            return False


def _raised_by_a_stub(frames) -> bool:
    """Whether the innermost frame of the learner's code is a raise statement: their stub's `raise
    NotImplementedError` (one-line `def f(x): raise ...` too), not an operation a library has no
    kernel for (torch's `a & b` on floats)."""
    return bool(frames) and "raise" in (frames[-1].line or "").replace(":", " ").split()


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a learner may have replaced or closed the stream
            pass


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _type_label(obj: Any) -> str:
    if isinstance(obj, type):
        return f"class {obj.__name__}"
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"function {obj.__qualname__}"
    return type(obj).__name__


def _raising_qualname(exc: BaseException, host: Host) -> str | None:
    # co_qualname gives "LinearRegression.fit" rather than just "fit".
    tb = exc.__traceback__
    qualname = None
    while tb is not None:
        if host.is_learner_file(tb.tb_frame.f_code.co_filename):
            qualname = tb.tb_frame.f_code.co_qualname
        tb = tb.tb_next
    return qualname


def _exit_code(exc: SystemExit) -> Any:
    code = exc.code
    return code if isinstance(code, (int, type(None))) else str(code)


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a learner's __str__ may itself raise
        text = f"<{type(exc).__name__} whose message could not be shown>"
    return text[:4000]


def _unsendable(exc: Exception, request: dict) -> dict:
    return {
        "type": "TypeError",
        "message": f"returned a value the grader cannot read ({exc})",
        "traceback": "",
        "function": None,
        "qualname": None,
        "during": request.get("label", "a call"),
        "forbidden": False,
    }


def limit_resources(memory_limit_mb: int) -> None:
    """Cap the writable private memory (a memory bomb becomes a MemoryError) and forbid core dumps."""
    import resource

    limit = memory_limit_mb * 1024 * 1024
    # RLIMIT_DATA, not RLIMIT_AS: since Linux 4.7 it counts every private writable mapping
    # (heap, NumPy's mmap'd arrays, thread stacks), which is what a memory bomb grows, but
    # not address space reserved without access. CUDA reserves tens of GB of that at init
    # and fails under RLIMIT_AS; BLAS thread pools reserve more than they use.
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def die_with_parent() -> None:
    """SIGKILL this process when its parent (the judge, or bubblewrap's init) ends (Linux only)."""
    try:
        import ctypes
        import signal

        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent ended before the request was made
            os._exit(1)
    except (OSError, AttributeError):
        pass


def quiet_trusted_warnings() -> None:
    """Drop warnings raised by mldojo's own drivers (an R² of a constant column, say): they are
    the grader's business, and shown among "your code printed" they would be misattributed."""
    import warnings

    trusted = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep  # mldojo/graders
    show = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        try:
            if filename and os.path.realpath(filename).startswith(trusted):
                return
        except (TypeError, ValueError):
            pass
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning


def main() -> None:
    """Entry point of the learner process."""
    config = json.loads(sys.argv[1])
    request_fd, reply_fd = int(sys.argv[2]), int(sys.argv[3])
    die_with_parent()
    limit_resources(config.get("memory_limit_mb", 3072))
    faulthandler.enable(file=sys.stderr, all_threads=False)
    sys.setrecursionlimit(config.get("recursion_limit", RECURSION_LIMIT))
    sys.dont_write_bytecode = True
    quiet_trusted_warnings()
    serve_one(config, request_fd, reply_fd)


def serve_one(config: dict, request_fd: int, reply_fd: int) -> None:
    """Import the learner's module and answer the judge until it says stop; never returns."""
    host = Host(config, request_fd, reply_fd)
    with collector_paused():  # trusted imports (NumPy, torch, the drivers); the learner's code is collected as usual
        host.import_drivers()
    ready = host.import_learner_module()
    _flush_output()
    host.send(ready)
    if host.module is not None:
        host.serve()
    _flush_output()
    # Skip interpreter teardown: a learner's atexit hooks or __del__ must not hang the exit.
    os._exit(0)


def template_main() -> None:
    """A warm template (`learner_host --template CONFIG CONTROL_FD`): import what every grading
    of this exercise needs once, then fork one fresh learner process per request of the judge.

    The control socket carries JSON requests, with file descriptors where needed:
      {"spawn": CONFIG} + [request_fd, reply_fd, output_fd] -> {"pid": PID}  (the child's pid here)
      {"reap": PID} -> {"status": os.waitpid status, or null while it runs}
    The child is a plain fork: the learner's module is imported there, fresh, every time, so no
    state survives from one grading to the next; only the imports of trusted modules are shared.
    It runs nothing of the learner's itself (it stays as trusted as a new learner host)."""
    import socket

    config = json.loads(sys.argv[2])
    control = socket.socket(fileno=int(sys.argv[3]))
    die_with_parent()
    limit_resources(config.get("memory_limit_mb", 3072))
    sys.setrecursionlimit(config.get("recursion_limit", RECURSION_LIMIT))
    sys.dont_write_bytecode = True
    quiet_trusted_warnings()
    with collector_paused():  # frozen before the forks: the children leave these pages unwritten
        for name in config.get("preload", []) + config.get("drivers", []):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the child imports it again and reports what fails
                pass
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 1 << 20, 3)
        except OSError:
            os._exit(0)
        if not message:
            os._exit(0)  # the judge closed the socket
        request = json.loads(message)
        if "spawn" in request:
            _flush_output()
            pid = os.fork()
            if pid == 0:
                control.close()
                request_fd, reply_fd, output_fd = fds
                os.dup2(output_fd, 1)
                os.dup2(output_fd, 2)
                os.close(output_fd)
                die_with_parent()
                faulthandler.enable(file=sys.stderr, all_threads=False)
                serve_one(request["spawn"], request_fd, reply_fd)
            for fd in fds:
                os.close(fd)
            control.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        elif "reap" in request:
            try:
                done, status = os.waitpid(int(request["reap"]), os.WNOHANG)
            except ChildProcessError:
                done, status = int(request["reap"]), None
            control.sendall(json.dumps({"status": status if done else None, "gone": status is None and bool(done)}).encode() + b"\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--template":
        template_main()
    else:
        main()
