"""Trusted Titanic data for the judge: Kaggle's CSV as raw cells, its labels, and its variants.

The judge reads train.csv itself (never through the learner's code), keeps Survived, and
writes the files the learner's `load_titanic` is given: the features without the labels,
labels shuffled, PassengerId scrambled, some rows perturbed. Cells stay the strings the
file holds, so a variant differs from the original only where it was changed on purpose.
"""

from __future__ import annotations

import csv
import io
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ID, LABEL = "PassengerId", "Survived"
FEATURES = ("Pclass", "Name", "Sex", "Age", "SibSp", "Parch", "Ticket", "Fare", "Cabin", "Embarked")


class TitanicFileError(ValueError):
    """A CSV that is not in Kaggle's Titanic layout; the message names the file and the problem."""


@dataclass(frozen=True)
class Table:
    """A CSV as its header and rows of raw cells (strings; '' where a value is missing)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[str]:
        """The raw cells of one column, in file order."""
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def with_column(self, name: str, values) -> "Table":
        """The same table with one column's cells replaced."""
        index = self.header.index(name)
        rows = tuple(row[:index] + (str(value),) + row[index + 1:] for row, value in zip(self.rows, values, strict=True))
        return Table(self.header, rows)

    def without(self, name: str) -> "Table":
        """The same table without one column (Kaggle's test.csv has no Survived)."""
        index = self.header.index(name)
        return Table(self.header[:index] + self.header[index + 1:], tuple(row[:index] + row[index + 1:] for row in self.rows))

    def with_rows(self, changed: dict[int, tuple[str, ...]]) -> "Table":
        """The same table with the rows at the given positions replaced."""
        return Table(self.header, tuple(changed.get(i, row) for i, row in enumerate(self.rows)))

    def csv_text(self) -> str:
        """The table as CSV text (quoted where needed, like Kaggle's files)."""
        stream = io.StringIO(newline="")
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return stream.getvalue()

    def write(self, path: Path) -> Path:
        """Write the table as a CSV file."""
        with open(path, "w", newline="", encoding="utf-8") as stream:
            stream.write(self.csv_text())
        return path

    def sent_as(self, name: str) -> dict:
        """The table as a file for the learner process ({"name", "text"}: the driver writes it
        into the sandbox's own /tmp, driver_support.file_from_judge)."""
        return {"name": name, "text": self.csv_text()}


def read_table(path: Path, *, need: tuple[str, ...] = (ID,)) -> Table:
    """Read a CSV as raw cells, refusing one without the columns in `need` or with ragged rows."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = tuple(next(reader, ()))
            rows = tuple(tuple(row) for row in reader if row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TitanicFileError(f"{path} could not be read as CSV: {exc}") from None
    missing = [name for name in need if name not in header]
    if missing:
        first_line = ",".join(header) or "(empty)"
        first_line = first_line if len(first_line) <= 100 else first_line[:97] + "..."
        raise TitanicFileError(f"{path} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: is it "
                               f"Kaggle's Titanic CSV? Its first line is {first_line}")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise TitanicFileError(f"{path}, line {number}: {len(row)} cells where the header has {len(header)}")
    ids = [row[header.index(ID)] for row in rows]
    if len(set(ids)) != len(ids):
        raise TitanicFileError(f"{path}: some PassengerId values occur twice")
    return Table(header, rows)


@functools.lru_cache(maxsize=4)
def _read_train(path: str, mtime_ns: int) -> Table:
    table = read_table(Path(path), need=(ID, LABEL) + FEATURES)
    if set(table.column(LABEL)) - {"0", "1"}:
        raise TitanicFileError(f"{path}: the Survived column should hold only 0 and 1")
    return table


def train_table() -> tuple[Table, Path]:
    """Kaggle's train.csv as found by `find_dataset('titanic')` (raises DatasetMissing with the fix)."""
    from mldojo.datasets import find_dataset

    path = find_dataset("titanic")
    return _read_train(str(path), path.stat().st_mtime_ns), path


def labels_of(table: Table) -> np.ndarray:
    """Survived as an int64 array (n,)."""
    return np.array([int(cell) for cell in table.column(LABEL)], dtype=np.int64)


def stratified_folds(labels: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train positions, held-out positions) of a shuffled stratified k-fold split."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros((len(labels), 1)), labels)]


def scramble_ids(table: Table, rng: np.random.Generator) -> Table:
    """PassengerId replaced by fresh unique numbers in random order (nothing else changes)."""
    fresh = rng.permutation(np.arange(10_001, 10_001 + len(table)))
    return table.with_column(ID, fresh)


def perturb_rows(table: Table, positions: np.ndarray, rng: np.random.Generator) -> Table:
    """Change every feature of the rows at `positions` to other realistic values.

    Numbers move far (every Age becomes 70-79, fares grow five-fold, families grow) so that
    any statistic taken over the whole file (a mean, a median, a scale, quantile bins)
    moves too; Sex flips; Pclass and Embarked rotate among the values the file already
    has, and Name, Ticket and Cabin are exchanged among the perturbed rows, so no new
    category appears anywhere.
    """
    col = {name: table.header.index(name) for name in table.header}
    positions = np.asarray(positions)
    donors = rng.permutation(positions)  # whose Name, Ticket and Cabin each row takes
    changed = {}
    for position, donor in zip(positions, donors):
        row = list(table.rows[position])
        other = table.rows[donor]
        row[col["Age"]] = str(70 + int(rng.integers(0, 10)))
        if row[col["Fare"]]:
            row[col["Fare"]] = f"{5 * float(row[col['Fare']]) + 20:.4f}"
        row[col["SibSp"]] = str(int(row[col["SibSp"]] or 0) + 2)
        row[col["Parch"]] = str(int(row[col["Parch"]] or 0) + 1)
        row[col["Sex"]] = {"male": "female", "female": "male"}.get(row[col["Sex"]], row[col["Sex"]])
        row[col["Pclass"]] = {"1": "2", "2": "3", "3": "1"}.get(row[col["Pclass"]], row[col["Pclass"]])
        row[col["Embarked"]] = {"S": "C", "C": "Q", "Q": "S"}.get(row[col["Embarked"]], row[col["Embarked"]])
        for name in ("Name", "Ticket", "Cabin"):
            row[col[name]] = other[col[name]]
        changed[int(position)] = tuple(row)
    return table.with_rows(changed)


# -- fellow travellers: what counts per ticket or family over the whole file see ------------

COMPANION_COLUMNS = ("Ticket", "Fare", "Cabin", "Pclass", "Embarked", "SibSp", "Parch")


def surname(name: str) -> str:
    """'Braund, Mr. Owen Harris' -> 'Braund'."""
    return name.split(",", 1)[0].strip()


def companion_candidates(table: Table, positions: np.ndarray) -> np.ndarray:
    """The rows among `positions` whose Ticket is a plain number and whose Cabin is empty: when such a
    row takes another's Ticket and Cabin, no ticket prefix and no deck disappears from the file."""
    ticket, cabin = table.column("Ticket"), table.column("Cabin")
    return np.array([p for p in positions if ticket[p].isdigit() and cabin[p] == ""], dtype=np.int64)


def add_companions(table: Table, hosts: np.ndarray, companions: np.ndarray) -> Table:
    """Make each companion row a fellow traveller of its host row (hosts may repeat): the host's
    Ticket, Fare, Cabin, Pclass, Embarked, SibSp, Parch and surname (the companion keeps its own
    title, given names, Sex and Age). Every count of passengers per ticket, surname, family or
    cabin taken over the whole file grows by one per companion for the host."""
    col = {name: table.header.index(name) for name in table.header}
    changed = {}
    for host, companion in zip(hosts, companions):
        row, lead = list(table.rows[companion]), table.rows[host]
        for name in COMPANION_COLUMNS:
            row[col[name]] = lead[col[name]]
        own_rest = row[col["Name"]].split(",", 1)[1] if "," in row[col["Name"]] else " " + row[col["Name"]]
        row[col["Name"]] = surname(lead[col["Name"]]) + "," + own_rest
        changed[int(companion)] = tuple(row)
    return table.with_rows(changed)


def _group_keys(table: Table) -> dict[str, list]:
    """Per row, the key of each group a whole-file count could be taken over (None: in no group)."""
    names, sibsp, parch = table.column("Name"), table.column("SibSp"), table.column("Parch")
    return {
        "Ticket": table.column("Ticket"),
        "surname": [surname(n) for n in names],
        "family (surname, SibSp and Parch)": [(surname(n), s, p) for n, s, p in zip(names, sibsp, parch)],
        "family (surname and family size)": [(surname(n), _size(s) + _size(p)) for n, s, p in zip(names, sibsp, parch)],
        "Cabin": [c or None for c in table.column("Cabin")],
    }


def _size(cell: str) -> int:
    return int(cell) if cell else 0


def regrouped(before: Table, after: Table) -> dict[str, set[int]]:
    """For each kind of group, the rows whose group has another number of passengers in `after`."""
    from collections import Counter

    found = {}
    for (what, old), new in zip(_group_keys(before).items(), _group_keys(after).values()):
        old_sizes, new_sizes = Counter(old), Counter(new)
        found[what] = {i for i, (a, b) in enumerate(zip(old, new))
                       if a is not None and b is not None and old_sizes[a] != new_sizes[b]}
    return found
