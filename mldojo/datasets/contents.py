"""Open a located copy and say what is in it (used by `grade data add` and `grade data NAME`)."""

from __future__ import annotations

import csv
from pathlib import Path

from mldojo.datasets.errors import DatasetCorrupt
from mldojo.datasets.locate import Found

TITANIC_COLUMNS = ("PassengerId", "Survived", "Pclass", "Name", "Sex", "Age", "SibSp", "Parch", "Ticket", "Fare", "Cabin", "Embarked")


def describe_contents(found: Found) -> list[str]:
    """Lines describing the data (shapes, rows); DatasetCorrupt when it cannot be read as that data set."""
    if found.layout.kind in ("idx", "pickle"):
        from mldojo.datasets.images import load_found

        data = load_found(found)  # decodes, validates, and fills the decoded cache
        return [
            f"train: {data.train_images.shape[0]} images of {data.train_images.shape[1]} pixels, test: {data.test_images.shape[0]}; "
            f"values in [{data.train_images.min():.0f}, {data.train_images.max():.2f}], labels 0-9"
        ]
    if found.layout.kind == "cifar-pickle":
        from mldojo.datasets.cifar import describe

        return describe(found)  # reads and checks every batch
    if found.layout.kind == "csv":
        return _describe_csv(next(iter(found.files.values()))[0])
    raise DatasetCorrupt(f"no reader for layout {found.layout.kind!r}")  # pragma: no cover - registry and readers go together


def _describe_csv(path: Path) -> list[str]:
    """The Titanic CSV: its header has Kaggle's columns (Survived may be absent in test.csv) and rows."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = next(reader, [])
            rows = sum(1 for _ in reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetCorrupt(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [column for column in TITANIC_COLUMNS if column not in header]
    if missing:
        raise DatasetCorrupt(f"{path}: not Kaggle's Titanic train.csv: columns {', '.join(missing)} are missing (its header: {', '.join(header[:12])})")
    return [f"{rows} passengers, columns {', '.join(header)}"]
