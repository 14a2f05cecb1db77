"""The learner process's sandbox: Linux namespaces, set up by bubblewrap, around a file-system
view that holds only what the learner's code may see.

DESIGN NOTE: why bubblewrap, and what the view is
-------------------------------------------------
The judge needs what IOI's isolate and Google's nsjail give a contest judge: the learner's
code in its own user, mount, PID, network, IPC and UTS namespaces, seeing a file system built
for it, dying with the judge. Two ways were open: the unshare/mount/pivot_root system calls
from Python (through ctypes: `os.unshare` only arrived in 3.12, and the calls must be made in
a single-threaded process, in the right order, with /proc and /dev rebuilt by hand), or
bubblewrap, the small setuid-free tool that Flatpak and GNOME's thumbnailers run every day.
Bubblewrap does exactly this job, has been audited for it, and is already installed on most
Linux desktops (Flatpak and libgnome-desktop depend on it); it is one `apt install
bubblewrap` elsewhere. It is also the one that works where a kernel restricts unprivileged
user namespaces to programs with a profile (Ubuntu 24.04 ships one for bwrap, not for
python). So mldojo builds the view and bubblewrap builds the namespaces.

The view is an allow-list, not a deny-list: a fresh root in which these are bound read-only:
the system (/usr and its links, /etc, /sys), the Python installation (prefixes and
site-packages), the learner-side modules of mldojo (the learner host, the wire format and the
trusted drivers; never the references, the graders' oracles, the tracker or the data code),
and the `.py` files of the workspace (not its data files, its tracker or its git history).
Over that come a private /tmp (a size-capped tmpfs, also $HOME), a fresh /proc that shows
only the sandbox's own processes, a minimal /dev (plus the NVIDIA device nodes when the
exercise may use CUDA), no network but loopback, and no capabilities. Packages the exercise
forbids are hidden as if they were not installed, so no import hook in the learner's process
is needed to enforce it. The learner's own code can still write under /tmp and nowhere else.

The learner host runs as PID 2 under bubblewrap's init: when the host ends, the init ends and
the kernel kills every process left in the namespace (a `setsid` grandchild included); when
the judge dies, `--die-with-parent` kills the host. The judge freezes a sandbox for benchmarks
by stopping every process in its PID namespace (`pids_of`), not only one process group.

Where bubblewrap is missing or namespaces are not allowed (macOS, some containers and
kernels), grading still works without it and every result says "unsandboxed";
`grade doctor` explains how to enable it. MLDOJO_SANDBOX=off grades unsandboxed on purpose
(labelled the same way); MLDOJO_SANDBOX=require refuses to grade without it.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SANDBOX_ENV = "MLDOJO_SANDBOX"  # "auto" (default) | "off" | "require"
BWRAP_ENV = "MLDOJO_BWRAP"  # the bubblewrap binary to use (default: `bwrap` on PATH)

# mldojo modules the learner process runs (beside the learner's code). Everything else of
# mldojo stays outside the sandbox. Modules named `*_driver` under mldojo.graders and
# `*_baseline` (benchmark baselines) are learner-side too; tests/test_sandbox.py proves this
# list covers what they import.
LEARNER_SIDE_MODULES = (
    "mldojo",
    "mldojo.graders",
    "mldojo.graders.engine",
    "mldojo.graders.engine.learner_host",
    "mldojo.graders.engine.channel",
    "mldojo.graders.engine.wire",
    "mldojo.graders.engine.driver_support",
    "mldojo.graders.engine.imports_gc",
)
LEARNER_SIDE_SUFFIXES = ("_driver", "_baseline")

# Environment variables the learner process keeps; everything else (MLDOJO_*, XDG_* folders
# that lead to the judge's data and caches, PYTHONPATH, tokens) stays with the judge.
KEPT_ENV = frozenset(
    "PATH LANG LANGUAGE TZ TERM COLUMNS LINES NO_COLOR FORCE_COLOR LD_LIBRARY_PATH PYTHONIOENCODING "
    "PYTHONWARNINGS PYTHONHASHSEED CUDA_VISIBLE_DEVICES".split()
)
KEPT_ENV_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "GOTO", "BLIS_", "KMP_",
                     "NUMEXPR_", "PYTORCH_", "CUBLAS_", "CUDNN_", "NCCL_")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
MAX_WORKSPACE_FILES = 5000  # .py files of the workspace shown in the sandbox
SANDBOX_TMP = "/tmp"


@dataclass(frozen=True)
class SandboxStatus:
    """Whether learner processes can be sandboxed here, and if not, why and what to do."""

    available: bool
    mode: str  # "auto" | "off" | "require"
    tool: str = ""  # the bubblewrap binary
    reason: str = ""  # why not (empty when available)
    advice: str = ""  # what to do about it

    @property
    def label(self) -> str:
        """'sandboxed' or 'unsandboxed', as every result shows it."""
        return "sandboxed" if self.available else "unsandboxed"


class SandboxRequired(Exception):
    """MLDOJO_SANDBOX=require, and no sandbox can be made here."""


@dataclass(frozen=True)
class View:
    """What one learner process may see besides the system and Python."""

    workspace: Path | None  # its .py files, read-only
    hidden_packages: tuple[str, ...] = ()  # top-level import names the exercise forbids
    gpu: bool = False  # bind the NVIDIA device nodes
    tmp_mb: int = 1024  # size cap of the private /tmp


def mode() -> str:
    """The sandbox setting from MLDOJO_SANDBOX ('auto' unless 'off' or 'require')."""
    value = os.environ.get(SANDBOX_ENV, "auto").strip().lower()
    return value if value in ("off", "require") else "auto"


def status() -> SandboxStatus:
    """Can the learner process be sandboxed here? (probed once per process and mode)."""
    return _probe(mode(), os.environ.get(BWRAP_ENV, ""))


@functools.lru_cache(maxsize=8)
def _probe(setting: str, bwrap_override: str) -> SandboxStatus:
    if setting == "off":
        return SandboxStatus(False, setting, reason=f"{SANDBOX_ENV}=off is set",
                             advice=f"unset {SANDBOX_ENV} to sandbox the learner process again")
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, setting, reason=f"the sandbox uses Linux namespaces; this is {sys.platform}",
                             advice="grading works unsandboxed here; grade on Linux (or in a Linux VM / WSL2) for the sandbox")
    tool = bwrap_override or shutil.which("bwrap") or ""
    if not tool or not os.access(tool, os.X_OK):
        return SandboxStatus(False, setting, reason="bubblewrap (bwrap) is not installed",
                             advice="install it: `sudo apt install bubblewrap` (Debian, Ubuntu), `sudo dnf install "
                                    "bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch)")
    true = shutil.which("true") or "/bin/true"
    # The probe uses every kind of option a real run does (an old bubblewrap without --size fails here).
    command = [tool, *_namespace_flags(tool), *_system_binds(), "--proc", "/proc", "--dev", "/dev",
               "--size", str(1 << 20), "--tmpfs", SANDBOX_TMP, "--remount-ro", "/", "--", true]
    try:
        probe = subprocess.run(command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, setting, tool, reason=f"bubblewrap could not be run ({exc})", advice=_userns_advice())
    if probe.returncode != 0:
        said = (probe.stderr or probe.stdout).strip().splitlines()
        return SandboxStatus(False, setting, tool, reason=f"bubblewrap cannot create namespaces here: {said[-1] if said else probe.returncode}",
                             advice=_userns_advice())
    return SandboxStatus(True, setting, tool)


def _userns_advice() -> str:
    return ("allow unprivileged user namespaces: `sudo sysctl -w kernel.unprivileged_userns_clone=1` (older Debian), "
            "`sudo sysctl -w user.max_user_namespaces=15000` where it is 0; inside a container, run it with "
            "`--security-opt seccomp=unconfined` or use the host; on Ubuntu 24.04+ bubblewrap's own AppArmor "
            "profile (package apparmor-profiles / bwrap-userns-restrict) allows it")


@functools.lru_cache(maxsize=4)
def _namespace_flags(tool: str) -> tuple[str, ...]:
    flags = ["--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if _supports(tool, "--disable-userns"):
        flags.append("--disable-userns")  # no nested namespaces to climb out of the view
    return tuple(flags)


def _supports(tool: str, flag: str) -> bool:
    try:
        text = subprocess.run([tool, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return flag in text


def _system_binds() -> list[str]:
    """The system directories, read-only; the merged-/usr links stay links."""
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def command(view: View, argv: list[str]) -> list[str]:
    """The bubblewrap arguments (without the binary) that run `argv` inside the view."""
    tool = status().tool
    args = [*_namespace_flags(tool), *_system_binds(), "--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(view.tmp_mb * 1024 * 1024), "--tmpfs", SANDBOX_TMP]
    bound: list[str] = list(SYSTEM_DIRS)
    for directory in python_dirs():
        if not _inside_any(directory, bound):
            args += ["--ro-bind", directory, directory]
            bound.append(directory)
    for directory in _ld_library_dirs():
        if not _inside_any(directory, bound):
            args += ["--ro-bind-try", directory, directory]
            bound.append(directory)
    # Hide, inside what is bound: mldojo itself (its learner-side files come back below), the
    # judge's data and caches, and the packages this exercise forbids.
    for hidden in [*mldojo_dirs(), *judge_data_paths()]:
        if _inside_any(hidden, bound) and os.path.exists(hidden):
            args += _hide(hidden)
    for hidden in package_paths(view.hidden_packages):
        if _inside_any(hidden, bound):
            args += _hide_package(hidden)
    for file in learner_side_files():
        args += ["--ro-bind", file, file]
    if view.workspace is not None:
        root = os.path.realpath(view.workspace)
        for file in workspace_files(Path(root)):
            args += ["--ro-bind", file, file]
        args += ["--dir", root, "--chdir", root]
    else:
        args += ["--chdir", SANDBOX_TMP]
    if view.gpu:
        for node in sorted(glob.glob("/dev/nvidia*")):
            args += ["--dev-bind", node, node]
    # The root bubblewrap builds is a tmpfs: read-only once built, so the only place the
    # learner's code can write (and fill memory) is the size-capped /tmp.
    args += ["--remount-ro", "/"]
    return [*args, "--", *argv]


def _hide(path: str) -> list[str]:
    if os.path.isdir(path):
        return ["--tmpfs", path]
    return ["--ro-bind", "/dev/null", path]


def _hide_package(path: str) -> list[str]:
    """An installed package made to fail at import: an empty folder would import as a namespace package."""
    stand_in = os.path.join(os.path.dirname(os.path.realpath(__file__)), "hidden_package.py")
    if os.path.isdir(path):
        return ["--tmpfs", path, "--ro-bind", stand_in, os.path.join(path, "__init__.py")]
    if path.endswith(".py"):
        return ["--ro-bind", stand_in, path]
    return ["--ro-bind", "/dev/null", path]  # an extension module: an empty file fails to load


def _inside_any(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


@functools.lru_cache(maxsize=1)
def python_dirs() -> tuple[str, ...]:
    """The Python installation: prefixes, the interpreter's folder, site-packages (real paths)."""
    candidates = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable))}
    try:
        candidates.update(site.getsitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site:
        candidates.add(user_site)
    for entry in sys.path:
        # Installed code only: site-/dist-packages folders, and the prefixes' own trees (stdlib,
        # lib-dynload, zip). Never '' or a project folder a test runner put on the path.
        if entry and ("site-packages" in entry or "dist-packages" in entry or entry.endswith(".zip")):
            candidates.add(entry)
    real = {os.path.realpath(c) for c in candidates if c and os.path.exists(c)}
    return tuple(sorted(real, key=len))


def _ld_library_dirs() -> list[str]:
    value = os.environ.get("LD_LIBRARY_PATH", "")
    return [os.path.realpath(p) for p in value.split(":") if p and os.path.isdir(p)]


@functools.lru_cache(maxsize=1)
def mldojo_dirs() -> tuple[str, ...]:
    """The folders of mldojo's top-level package trees (in an editable install, one per tree)."""
    import mldojo

    roots = set()
    for name in ("mldojo", "mldojo.exercises", "mldojo.reference", "mldojo.graders", "mldojo.tracker", "mldojo.tui"):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            roots.add(os.path.realpath(location))
    roots.add(os.path.realpath(os.path.dirname(mldojo.__file__)))
    return tuple(sorted(roots))


@functools.lru_cache(maxsize=1)
def learner_side_files() -> tuple[str, ...]:
    """Real paths of the mldojo files the learner process may run (see LEARNER_SIDE_MODULES)."""
    names = set(LEARNER_SIDE_MODULES)
    import pkgutil

    import mldojo.graders

    for module in pkgutil.walk_packages(mldojo.graders.__path__, "mldojo.graders.", onerror=lambda name: None):
        leaf = module.name.rpartition(".")[2]
        if leaf.endswith(LEARNER_SIDE_SUFFIXES):
            names.add(module.name)
            parent = module.name
            while "." in parent:  # the packages above a driver (their __init__ files)
                parent = parent.rpartition(".")[0]
                names.add(parent)
    files = set()
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            files.add(os.path.realpath(spec.origin))
    return tuple(sorted(files))


def workspace_files(root: Path) -> list[str]:
    """The workspace's .py files (no hidden folders, no __pycache__), as real paths inside it."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "__pycache__"
                               and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".py") and not os.path.islink(path) and os.path.isfile(path):
                found.append(path)
                if len(found) >= MAX_WORKSPACE_FILES:
                    return found
    return found


def judge_data_paths() -> list[str]:
    """Where the judge keeps data the learner must not read: data sets, caches, registrations."""
    from mldojo.datasets import paths

    found = [paths.cache_dir(), paths.config_dir()]
    if os.environ.get("MLDOJO_DATA_DIR"):
        found.append(Path(os.environ["MLDOJO_DATA_DIR"]))
    found += [Path(p) for p in paths.read_registrations().values()]
    return [os.path.realpath(p) for p in found]


def package_paths(names: tuple[str, ...]) -> list[str]:
    """Where the top-level packages `names` are installed (found without importing them)."""
    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        locations = list(spec.submodule_search_locations or [])
        if not locations and spec.origin and os.path.isfile(spec.origin):
            locations = [spec.origin]
        found += [os.path.realpath(p) for p in locations]
    return found


def learner_environment(sandboxed: bool) -> dict[str, str]:
    """The learner process's environment: the kept variables, and a private HOME and TMPDIR in the sandbox."""
    env = {k: v for k, v in os.environ.items() if k in KEPT_ENV or k.startswith(KEPT_ENV_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MPLBACKEND="Agg")
    if sandboxed:
        env.update(HOME=SANDBOX_TMP, TMPDIR=SANDBOX_TMP)
    elif "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


def pids_of(outer_pid: int) -> list[int]:
    """`outer_pid` and every live process below it (bubblewrap's tree, or an unsandboxed host's),
    from the parent ids in /proc/*/stat. Orphans in a PID namespace are re-parented to its init,
    which is below bubblewrap, so a `setsid` grandchild in the sandbox is found too."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [outer_pid]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.append(pid)
            todo += children.get(pid, [])
    return found
