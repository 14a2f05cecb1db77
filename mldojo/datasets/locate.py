"""Find a copy of a data set: a registered path, MLDOJO_DATA_DIR, the download cache, then system data folders."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mldojo.datasets import paths
from mldojo.datasets.errors import DatasetMissing
from mldojo.datasets.registry import AMBIGUOUS_NAMES, DATASETS, DatasetSpec, FileName, Layout, dataset

RULE_REGISTERED = "registered (grade data add)"
RULE_DATA_DIR = "MLDOJO_DATA_DIR"
RULE_CACHE = "download cache"
RULE_SYSTEM = "system data folder"
# Where distributions install data packages (Debian's dataset-fashion-mnist puts its files in
# /usr/share/datasets/fashion-mnist); only a data set's own folder names are looked at there.
SYSTEM_DATA_DIRS = (Path("/usr/share/datasets"),)


@dataclass(frozen=True)
class Found:
    """A complete copy of a data set: which layout, its files by role, and which rule found it."""

    spec: DatasetSpec
    layout: Layout
    files: dict[str, tuple[Path, FileName]]
    rule: str

    @property
    def path(self) -> Path:
        """The file itself for a one-file layout, else the folder holding the files."""
        first = next(iter(self.files.values()))[0]
        return first if len(self.files) == 1 else first.parent

    @property
    def size(self) -> int:
        """Bytes on disk, all files together."""
        return sum(path.stat().st_size for path, _ in self.files.values())

    def describe(self) -> str:
        """`PATH (RULE)`, for messages."""
        return f"{self.path} ({self.rule})"


@dataclass
class Search:
    """The outcome of looking for a data set: what was found, and every place looked at."""

    spec: DatasetSpec
    found: Found | None
    looked: list[str] = field(default_factory=list)  # one line per place, for the missing message


def _shared_names() -> frozenset[str]:
    """File names that more than one data set uses (the IDX names): never trusted without a folder name."""
    counts: Counter[str] = Counter()
    for spec in DATASETS.values():
        counts.update({name.name for layout in spec.layouts for file in layout.files for name in file.names})
    return frozenset(name for name, count in counts.items() if count > 1)


def match_folder(spec: DatasetSpec, folder: Path, rule: str, *, trusted: bool, unique_only: bool = False) -> Found | None:
    """The first layout whose files are all in `folder`.

    `trusted`: the folder is known to hold this data set (registered, or named for it), so
    ambiguous names such as train.csv count; `unique_only`: only names no other data set uses.
    """
    shared = _shared_names()
    for layout in spec.layouts:
        files: dict[str, tuple[Path, FileName]] = {}
        for file in layout.files:
            for name in file.names:
                if not trusted and name.name in AMBIGUOUS_NAMES:
                    continue
                if unique_only and name.name in shared:
                    continue
                candidate = folder / name.name
                if candidate.is_file():
                    files[file.role] = (candidate, name)
                    break
            else:
                break
        if len(files) == len(layout.files):
            return Found(spec, layout, files, rule)
    return None


def _match_file(spec: DatasetSpec, path: Path, rule: str) -> Found | None:
    """A registered file: one-file layouts by its name (or by suffix), or the folder of an IDX file."""
    for layout in spec.layouts:
        if len(layout.files) != 1:
            if any(path.name == name.name for file in layout.files for name in file.names):
                return match_folder(spec, path.parent, rule, trusted=True)
            continue
        names = layout.files[0].names
        exact = next((name for name in names if name.name == path.name), None)
        # A file the learner renamed (my_titanic.csv) still counts, by its kind of suffix.
        by_suffix = next((name for name in names if path.name.endswith(_suffix(name.name))), None)
        chosen = exact or by_suffix
        if chosen is not None:
            return Found(spec, layout, {layout.files[0].role: (path, chosen)}, rule)
    return None


def _suffix(name: str) -> str:
    """'.pkl.gz' for mnist.pkl.gz, '.csv' for train.csv."""
    return "".join(Path(name).suffixes[-2:]) if name.endswith(".gz") else Path(name).suffix


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(child for child in folder.iterdir() if child.is_dir() and not child.name.startswith("."))
    except OSError:
        return []


def match_path(spec: DatasetSpec, root: Path, rule: str = RULE_REGISTERED) -> Found | None:
    """A copy at a path the learner names: a file, or a folder (itself, its data-set sub-folders, one level down)."""
    if root.is_file():
        return _match_file(spec, root, rule)
    if root.is_dir():
        for folder in [root, *(root / sub for sub in spec.folders), *_subfolders(root)]:
            found = match_folder(spec, folder, rule, trusted=True) if folder.is_dir() else None
            if found is not None:
                return found
    return None


def partial_copy(spec: DatasetSpec, root: Path) -> tuple[Path, list[str]] | None:
    """For a folder holding some but not all files of a layout: (that folder, the missing file names)."""
    if not root.is_dir():
        return None
    best = None
    for folder in [root, *(root / sub for sub in spec.folders), *_subfolders(root)]:
        for layout in spec.layouts if folder.is_dir() else ():
            present = [f for f in layout.files if any((folder / n.name).is_file() for n in f.names)]
            if present and (best is None or len(present) > best[0]):
                best = (len(present), folder, [f.download_name for f in layout.files if f not in present])
    return (best[1], best[2]) if best else None


def _search_registered(spec: DatasetSpec, search: Search) -> Found | None:
    registered = paths.read_registrations().get(spec.name)
    if registered is None:
        search.looked.append(f"no path registered (grade data add {spec.name} PATH; registrations in {paths.registrations_path()})")
        return None
    root = Path(registered).expanduser()
    if not root.exists():
        search.looked.append(f"registered path {root} does not exist any more")
        return None
    found = match_path(spec, root)
    if found is None:
        search.looked.append(f"registered path {root}: {expected_files(spec)} not there")
    return found


def _search_data_dir(spec: DatasetSpec, search: Search) -> Found | None:
    value = os.environ.get("MLDOJO_DATA_DIR")
    if not value:
        search.looked.append("MLDOJO_DATA_DIR is not set")
        return None
    for root in (Path(part).expanduser() for part in value.split(os.pathsep) if part):
        if not root.is_dir():
            search.looked.append(f"MLDOJO_DATA_DIR={root} is not a folder")
            continue
        if spec.top_level:
            found = match_folder(spec, root, RULE_DATA_DIR, trusted=False)
            if found:
                return found
        for sub in spec.folders:
            if (root / sub).is_dir():
                found = match_folder(spec, root / sub, RULE_DATA_DIR, trusted=True)
                if found:
                    return found
        # One level down, any folder: only names that cannot belong to another data set.
        for folder in _subfolders(root):
            found = match_folder(spec, folder, RULE_DATA_DIR, trusted=False, unique_only=True)
            if found:
                return found
        search.looked.append(f"MLDOJO_DATA_DIR={root} (and {', '.join(spec.folders)} inside it): {expected_files(spec)} not there")
    return None


def _search_cache(spec: DatasetSpec, search: Search) -> Found | None:
    folder = paths.download_dir(spec.name)
    found = match_folder(spec, folder, RULE_CACHE, trusted=True) if folder.is_dir() else None
    if found is None:
        search.looked.append(f"download cache {folder}: empty")
    return found


def _search_system(spec: DatasetSpec, search: Search) -> Found | None:
    for root in SYSTEM_DATA_DIRS:
        for sub in spec.folders:
            folder = root / sub
            found = match_folder(spec, folder, RULE_SYSTEM, trusted=True) if folder.is_dir() else None
            if found is not None:
                return found
    search.looked.append(f"system data folders ({', '.join(str(root) for root in SYSTEM_DATA_DIRS)}): no {spec.name} folder")
    return None


def expected_files(spec: DatasetSpec) -> str:
    """'train-images-idx3-ubyte.gz, ... or mnist.pkl.gz', for messages."""
    options = [", ".join(file.download_name for file in layout.files) for layout in spec.layouts]
    return " or ".join(options)


def search(name: str) -> Search:
    """Look for a data set in every place, in order; never raises for a missing copy."""
    spec = dataset(name)
    result = Search(spec, None)
    for step in (_search_registered, _search_data_dir, _search_cache, _search_system):
        result.found = step(spec, result)
        if result.found is not None:
            break
    return result


def missing_message(result: Search) -> str:
    """What was searched, where the data comes from, and the command that fetches or registers it."""
    spec = result.spec
    lines = [f"no copy of {spec.name} ({spec.title}) was found. Looked at:"]
    lines += [f"  - {line}" for line in result.looked]
    if spec.downloadable:
        lines.append(f"Fetch it (about {_approx_size(spec)}, from {spec.mirrors[0]}): grade data fetch {spec.name}")
        lines.append(f"or, if you already have the files ({expected_files(spec)}): grade data add {spec.name} PATH")
    else:
        lines.append(f"{spec.manual} from {spec.homepage}, then: grade data add {spec.name} PATH/TO/train.csv")
    lines.append("(or set MLDOJO_DATA_DIR to a folder holding them). `grade data` shows every data set.")
    return "\n".join(lines)


def _approx_size(spec: DatasetSpec) -> str:
    return {"mnist": "11 MB", "fashion-mnist": "30 MB"}.get(spec.name, "a few MB")


def locate(name: str) -> Found:
    """The copy `search` finds, or DatasetMissing with the full message."""
    result = search(name)
    if result.found is None:
        raise DatasetMissing(missing_message(result))
    return result.found


def find_dataset(name: str) -> Path:
    """Path of the data set: the file (e.g. Titanic's train.csv, mnist.pkl.gz) or the folder of its files."""
    return locate(name).path
