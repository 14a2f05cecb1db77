"""A grading's inputs do not depend on which modules the judge happens to have imported
(graders/engine/hypothesis_pin.py): `grade watch` tries what a cold `grade ID` tries."""

from __future__ import annotations

import importlib
import sys

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from mldojo.graders.engine.hypothesis_pin import fixed_constants

# Integer constants in a module's source: Hypothesis's "local constants" pool picks them up.
CONSTANTS = "\n".join(f"VALUE_{i} = {123_456_000 + 7 * i}" for i in range(40)) + "\n"


def draws() -> list[int]:
    """The integers one seeded property is called with."""
    seen: list[int] = []

    @seed(12345)
    @settings(max_examples=300, database=None)
    @given(st.integers(0, 10**9))
    def record(value):
        seen.append(value)

    record()
    return seen


def import_local_module(tmp_path, name: str) -> None:
    folder = tmp_path / "judge_side"
    folder.mkdir()
    (folder / f"{name}.py").write_text(CONSTANTS)
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


def test_a_newly_imported_module_changes_no_input(tmp_path):
    with fixed_constants():
        before = draws()
    import_local_module(tmp_path, "pin_constants_a")
    try:
        with fixed_constants():
            after = draws()
        unpinned = draws()
    finally:
        sys.modules.pop("pin_constants_a", None)
    assert after == before, "the inputs changed when the judge imported one more module"
    # The control: without the pin, this module's constants do reach the inputs.
    assert any(123_456_000 <= value < 123_456_000 + 7 * 40 for value in unpinned)
    assert not any(123_456_000 <= value < 123_456_000 + 7 * 40 for value in after)
