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
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Inside the block the collector is off; after it, what exists is frozen and it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count():
            # A long-lived process (grade watch, grade serve) froze before: collect what earlier
            # gradings left, so that garbage is not frozen with the new imports (only the unfrozen
            # objects are walked).
            gc.collect()
        gc.freeze()
        if enabled:
            gc.enable()
