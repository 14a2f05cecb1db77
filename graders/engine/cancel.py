"""A cancel that cannot be lost: `grade serve`'s Ctrl-C, remembered until the grading has ended.

SIGINT raises KeyboardInterrupt wherever the judge happens to be. Python drops an exception
raised inside a finalizer (`__del__`, a weakref callback: "Exception ignored in ...") and some
C code clears it, so once in a while the interrupt vanishes and the grading runs on to its
time limit. The server records the request here as well; the loops that wait on the learner
process (process.py) raise KeyboardInterrupt again while one is outstanding.
"""

from __future__ import annotations

_requested = False


def request() -> None:
    """Ask for the grading under way to stop (called from the SIGINT handler)."""
    global _requested
    _requested = True


def clear() -> None:
    """The grading has ended (or a new one starts): forget any request."""
    global _requested
    _requested = False


def raise_if_requested() -> None:
    """KeyboardInterrupt when a cancel is outstanding (the waits on the learner call this)."""
    if _requested:
        raise KeyboardInterrupt("cancelled")
