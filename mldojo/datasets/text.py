"""Text data sets (names for makemore, tiny Shakespeare), checked against their published sha256."""

from __future__ import annotations

from mldojo.datasets.checksums import MISMATCH, check_found
from mldojo.datasets.errors import DatasetCorrupt
from mldojo.datasets.locate import locate


def load_text(name: str) -> tuple[str, str]:
    """(the whole text, where it came from) of a one-file text data set; DatasetMissing / DatasetCorrupt otherwise."""
    found = locate(name)
    bad = [check for check in check_found(found).values() if check.state == MISMATCH]
    if bad:
        raise DatasetCorrupt(f"the {name} copy at {found.describe()} fails its checksum ({bad[0].detail}). "
                             f"Fetch a fresh copy (grade data fetch {name}) or register a good one (grade data add {name} PATH).")
    (path, _name), = found.files.values()
    return path.read_text(encoding="utf-8"), found.describe()


def load_names() -> list[str]:
    """The makemore names, one lowercase word per line."""
    text, _ = load_text("names")
    return [line.strip() for line in text.splitlines() if line.strip()]
