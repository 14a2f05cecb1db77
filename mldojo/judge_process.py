"""Protections for the `grade` process itself (the judge): a memory ceiling, dying with the TUI
that started it, and SIGTERM / SIGHUP handled like Ctrl-C so that learner processes are stopped
and the attempt is recorded as interrupted."""

from __future__ import annotations

import os
import signal
import sys

JUDGE_MEMORY_ENV = "MLDOJO_JUDGE_MEMORY_MB"
JUDGE_MEMORY_MB = 8192  # the judge's own ceiling (MNIST, the oracles, scikit-learn and torch fit well below)
PARENT_ENV = "MLDOJO_DIE_WITH_PARENT"  # set by the TUI to its pid: the grading ends when the TUI does


def limit_judge_memory() -> None:
    """Cap the judge's writable memory (soft RLIMIT_DATA; child processes may set their own)."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        return
    megabytes = int(os.environ.get(JUDGE_MEMORY_ENV, JUDGE_MEMORY_MB) or 0)
    if megabytes <= 0:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
        except (ValueError, OSError):
            pass


def die_with_parent_from_env() -> None:
    """When the TUI started this `grade`, end it (SIGTERM, so it cleans up) if the TUI dies."""
    expected = os.environ.pop(PARENT_ENV, "")
    if not expected.isdigit():
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(expected):  # the TUI was already gone before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def signals_as_interrupts() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does: the learner processes are
    killed by the code that cleans up after Ctrl-C, and the attempt is recorded as interrupted."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, interrupt)
            except (ValueError, OSError):  # not the main thread
                pass


def forget_half_imported_modules() -> list[str]:
    """Drop submodules whose package is gone from sys.modules, so that they import afresh.

    An interrupt that lands inside an import removes the modules it was loading, but keeps the
    submodules they had finished: a later import of the package then runs its __init__ again,
    finds those submodules already loaded and never binds them as attributes (asyncio's
    `coroutines.__all__` NameError). Forgetting the orphans lets the package load whole again.
    """
    forgotten: list[str] = []
    changed = True
    while changed:  # an orphan's own submodules become orphans once it is dropped
        changed = False
        for name in list(sys.modules):
            parent = name.rpartition(".")[0]
            if parent and parent not in sys.modules:
                del sys.modules[name]
                forgotten.append(name)
                changed = True
    return forgotten
