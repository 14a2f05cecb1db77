"""Make a check's inputs depend on the grader and the seed alone, never on what the judge imported.

Recent Hypothesis versions draw, now and then (about one draw in twenty), a constant found in the
source of every "local" module loaded in the process: one outside site-packages and the standard
library. In an editable install mldojo's own modules count as local, so the pool grows with every
module the judge has imported: `grade watch` (which imports the watch, the keys and, after the first
grading, the tracker) drew other inputs than a cold `grade ID` of the same file, and a second grading
in one process other inputs than the first. Installed from a wheel, no judge module is local and the
pool is empty; `fixed_constants` makes it empty everywhere, so every grading of the same file with
the same seed tries the same inputs.
"""

from __future__ import annotations

import contextlib
from typing import Iterator


@contextlib.contextmanager
def fixed_constants() -> Iterator[None]:
    """Inside the block, Hypothesis picks constants from its built-in pool only."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # a Hypothesis without the internals below has no local pool either
        yield
        return
    pooled = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if pooled is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    _clear(cache)  # the cache's keys do not say which pool filled it
    try:
        yield
    finally:
        providers._get_local_constants = pooled
        _clear(cache)


def _clear(cache) -> None:
    if cache is not None:
        cache.clear()
