"""`grade data`: the real data sets (MNIST, Fashion-MNIST, Titanic): where they are, checked, fetched.

Data is per user, not per workspace: this command works anywhere. Nothing heavy is imported
at module level (`grade --help` imports this module).
"""

from __future__ import annotations

import sys

from mldojo.commands import EXIT_FAIL, EXIT_PASS, EXIT_USAGE, UsageError

HELP = "the real data sets: list them, add your copy, fetch MNIST"

USAGE = """grade data                  every data set: found where, size, checksum state
grade data NAME             one data set in detail (opens and checks its content)
grade data add NAME PATH    use your copy (a folder or a file) from now on
grade data fetch NAME       download it into your cache (MNIST, Fashion-MNIST)
grade data remove NAME      forget the path registered for NAME"""

ACTIONS = ("list", "add", "fetch", "remove", "show")


def configure(parser) -> None:
    """Add this command's arguments."""
    import argparse

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = f"{HELP}\n\n{USAGE}"
    parser.add_argument("words", nargs="*", metavar="ACTION", help="list | NAME | add NAME PATH | fetch NAME | remove NAME")
    parser.add_argument("--force", action="store_true", help="fetch: download again even if a verified copy is there")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S", help="fetch: seconds to wait on a silent mirror")
    parser.add_argument("--json", action="store_true", help="list, NAME: print what was found as JSON (docs/json.md)")


def run(args) -> int:
    """Dispatch `grade data ...`."""
    from mldojo.datasets import DatasetError, UnknownDataset

    words = list(args.words)
    action = words.pop(0) if words else "list"
    if action not in ACTIONS:
        words, action = [action, *words], "show"
    expected = {"list": 0, "show": 1, "add": 2, "fetch": 1, "remove": 1}[action]
    if len(words) != expected:
        raise UsageError(f"`grade data {action}` takes {expected} argument{'s' if expected != 1 else ''}.\n{USAGE}")
    if getattr(args, "json", False) and action not in ("list", "show"):
        raise UsageError(f"--json goes with `grade data` and `grade data NAME`, not with `grade data {action}`")
    try:
        if getattr(args, "json", False):
            return _json(*words)
        return globals()[f"_{action}"](args, *words)
    except UnknownDataset as exc:
        raise UsageError(str(exc)) from None
    except DatasetError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)  # pragma: no cover


def _list(args) -> int:
    from mldojo.datasets import paths
    from mldojo.datasets.registry import DATASETS

    print(f"Data sets (registrations: {paths.registrations_path()}; downloads: {paths.cache_dir()})\n")
    problem = paths.registrations_problem()
    if problem:
        print(f"  warning: {problem}\n")
    for name in DATASETS:
        _print_entry(name, detail=False)
    return EXIT_PASS


def _json(name: str | None = None) -> int:
    """`grade data --json` (every data set) or `grade data NAME --json` (one, its content checked too)."""
    import json

    from mldojo.datasets import paths
    from mldojo.datasets.registry import DATASETS, dataset

    if name is not None:
        entry = entry_data(dataset(name).name, detail=True)
        print(json.dumps(entry, indent=2))
        return EXIT_PASS if entry["found"] and entry["checksum"] != "mismatch" else EXIT_USAGE
    data = {
        "registrations": str(paths.registrations_path()),
        "cache": str(paths.cache_dir()),
        "warning": paths.registrations_problem() or None,
        "datasets": [entry_data(name, detail=False) for name in DATASETS],
    }
    print(json.dumps(data, indent=2))
    return EXIT_PASS


def entry_data(name: str, *, detail: bool) -> dict:
    """One data set as JSON-ready data: found or not, where, by which rule, its files' checksum states."""
    from mldojo.datasets.checksums import check_found, overall_state
    from mldojo.datasets.locate import search

    result = search(name)
    spec, found = result.spec, result.found
    entry = {"name": name, "title": spec.title, "found": found is not None, "downloadable": spec.downloadable,
             "homepage": spec.homepage, "path": None, "rule": None, "layout": None, "size_bytes": None,
             "checksum": None, "files": [], "looked": list(result.looked)}
    if found is None:
        return entry
    checks = check_found(found)
    entry.update(path=str(found.path), rule=found.rule, layout=found.layout.kind, size_bytes=found.size,
                 checksum=overall_state(checks),
                 files=[{"role": role, "path": str(c.path), "state": c.state, "detail": c.detail} for role, c in checks.items()])
    if detail:
        from mldojo.datasets import DatasetError
        from mldojo.datasets.contents import describe_contents

        try:
            entry["contents"] = describe_contents(found)
        except DatasetError as exc:
            entry["contents"], entry["problem"] = [], str(exc)
    return entry


def _print_entry(name: str, *, detail: bool) -> bool:
    """Print one data set's block; True when a usable copy was found."""
    from mldojo.datasets.checksums import MISMATCH, check_found, overall_state
    from mldojo.datasets.locate import RULE_REGISTERED, missing_message, search

    result = search(name)
    spec, found = result.spec, result.found
    if found is None:
        print(f"  {name:<14} missing   {spec.title}")
        if spec.downloadable:
            print(f"  {'':<14}           get it:  grade data fetch {name}   (from {spec.mirrors[0]})")
        else:
            print(f"  {'':<14}           {spec.manual} from {spec.homepage}")
        print(f"  {'':<14}           have it: grade data add {name} PATH")
        if detail:
            print()
            print(missing_message(result))
        print()
        return False
    checks = check_found(found)
    state = overall_state(checks)
    print(f"  {name:<14} found     {found.path}")
    print(f"  {'':<14}           via {found.rule} · {found.layout.kind} · {_human(found.size)} · checksum {state}")
    for role, check in checks.items():
        if detail or check.state != "verified":
            print(f"  {'':<14}             {check.path.name}: {check.state} ({check.detail})")
    if detail:
        from mldojo.datasets.contents import describe_contents

        for line in describe_contents(found):
            print(f"  {'':<14}           {line}")
    if state == MISMATCH:
        fixes = [f"grade data add {name} PATH (a good copy)"]
        if found.rule == RULE_REGISTERED:
            fixes.append(f"grade data remove {name}")
        if spec.downloadable:
            fixes.append(f"grade data fetch {name}")
        print(f"  {'':<14}           fix: {' or '.join(fixes)}")
    print()
    return state != MISMATCH


def _show(args, name: str) -> int:
    from mldojo.datasets.registry import dataset

    spec = dataset(name)
    return EXIT_PASS if _print_entry(spec.name, detail=True) else EXIT_USAGE


def _add(args, name: str, path: str) -> int:
    from pathlib import Path

    from mldojo.datasets import paths
    from mldojo.datasets.checksums import MISMATCH, check_found, overall_state
    from mldojo.datasets.contents import describe_contents
    from mldojo.datasets.locate import expected_files, match_path, partial_copy
    from mldojo.datasets.registry import dataset

    spec = dataset(name)
    root = Path(path).expanduser().resolve()
    if not root.exists():
        print(f"grade: {root} does not exist. Give the folder holding {expected_files(spec)}, or the file itself.", file=sys.stderr)
        return EXIT_USAGE
    found = match_path(spec, root)
    partial = partial_copy(spec, root) if found is None else None
    if partial is not None:
        folder, missing = partial
        print(f"grade: {folder} holds only part of {spec.name}: {', '.join(missing)} missing (copy or unpack it again). Nothing registered.", file=sys.stderr)
        return EXIT_USAGE
    if found is None:
        print(f"grade: no {spec.name} files at {root}: expected {expected_files(spec)} (in that folder, a sub-folder named {spec.folders[0]}, or one level down).", file=sys.stderr)
        return EXIT_USAGE
    unreadable = [p for p, _ in found.files.values() if not _readable(p)]
    if unreadable:
        print(f"grade: cannot read {', '.join(map(str, unreadable))} (permissions?). Nothing registered.", file=sys.stderr)
        return EXIT_USAGE
    checks = check_found(found)
    state = overall_state(checks)
    print(f"{spec.name}: {found.layout.kind} files at {found.path}")
    for check in checks.values():
        print(f"  {check.path.name:<28} {_human(check.path.stat().st_size):>9}  {check.state} ({check.detail})")
    if state == MISMATCH:
        print(f"grade: not registered: these are not {spec.name}'s files.", file=sys.stderr)
        return EXIT_USAGE
    for line in describe_contents(found):  # raises DatasetCorrupt (exit 2) on unreadable content
        print(f"  {line}")
    registrations = paths.read_registrations()
    registrations[spec.name] = str(root)
    written = paths.write_registrations(registrations)
    print(f"Registered: {spec.name} -> {root} (in {written}). `grade data` lists every data set.")
    return EXIT_PASS


def _readable(path) -> bool:
    try:
        with open(path, "rb") as stream:
            stream.read(1)
        return True
    except OSError:
        return False


def _remove(args, name: str) -> int:
    from mldojo.datasets import paths
    from mldojo.datasets.locate import search
    from mldojo.datasets.registry import dataset

    spec = dataset(name)
    registrations = paths.read_registrations()
    if spec.name not in registrations:
        print(f"No path was registered for {spec.name}; nothing to remove.")
        return EXIT_PASS
    old = registrations.pop(spec.name)
    paths.write_registrations(registrations)
    found = search(spec.name).found
    now = f"now found at {found.describe()}" if found else "no other copy is found now"
    print(f"Forgot {spec.name} -> {old} (your files are untouched); {now}.")
    return EXIT_PASS


def _fetch(args, name: str) -> int:
    from mldojo.datasets.checksums import check_found, overall_state
    from mldojo.datasets.download import fetch
    from mldojo.datasets.registry import dataset

    spec = dataset(name)
    if not spec.downloadable:
        print(f"grade: {spec.name} cannot be downloaded by mldojo. {spec.manual} from {spec.homepage}, then: grade data add {spec.name} PATH", file=sys.stderr)
        return EXIT_USAGE
    printer = _ProgressPrinter(sys.stderr)
    result = fetch(spec.name, progress=printer, force=args.force, timeout=args.timeout)
    printer.finish()
    for path in result.already_there:
        print(f"  {path.name}: already there, verified")
    state = overall_state(check_found(result.found))
    print(f"{spec.name}: {len(result.downloaded)} file(s) downloaded into {result.found.path}, checksum {state}.")
    return EXIT_PASS if state == "verified" else EXIT_FAIL


class _ProgressPrinter:
    """A one-line progress display on a terminal; one line per finished file elsewhere."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.dirty = False

    def __call__(self, event) -> None:
        size = f"{event.received / 1e6:.1f}" + (f"/{event.total / 1e6:.1f} MB" if event.total else " MB")
        percent = f" {100 * event.received / event.total:3.0f}%" if event.total else ""
        if event.done:
            self._clear()
            print(f"  {event.file}: {size} from {event.url.rsplit('/', 1)[0]}/, verified", file=self.stream, flush=True)
        elif self.live:
            self.stream.write(f"\r  {event.file}: {size}{percent} ")
            self.stream.flush()
            self.dirty = True

    def _clear(self) -> None:
        if self.dirty:
            self.stream.write("\r\033[K")
            self.dirty = False

    def finish(self) -> None:
        """Leave the terminal on a clean line."""
        self._clear()
