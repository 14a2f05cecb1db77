"""Heavy imports with Python's cyclic garbage collector paused, then frozen out of its way.

Importing torch, scikit-learn or SQLModel makes hundreds of thousands of objects that live as
long as the process. With the collector on, each import triggers full collections that walk all
of them again (0.45 s of a cold `grade stage2/layers`), and every later full collection during
the checks walks them too. Paused during the imports and frozen after (gc.freeze: the collector
skips them from then on), they cost nothing; a forked learner process also leaves the template's
pages unwritten. Code that runs afterwards is collected as usual.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_froze_before = False  # gc.get_freeze_count() would say so, but it walks every frozen object


@contextmanager
def collector_paused() -> Iterator[None]:
    """Inside the block the collector is off; after it, what the block imported is frozen and it is back on."""
    global _froze_before
    enabled = gc.isenabled()
    modules_before = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) != modules_before:  # something was imported (a warm re-grade imports nothing)
            if _froze_before:
                # A long-lived process (grade watch, grade serve): collect what earlier gradings left
                # first, so that their garbage is not frozen too (only unfrozen objects are walked).
                gc.collect()
            gc.freeze()
            _froze_before = True
        if enabled:
            gc.enable()
