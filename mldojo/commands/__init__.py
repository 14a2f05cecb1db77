"""The `grade` sub-commands that live in their own modules, and what they share.

Each command module here (`next`, `reset`, `data`, `bench`, `submit`, `tui`, `group`, `all`, `doctor`, `serve`) exposes:

    HELP = "one line for `grade --help`"
    def configure(parser: argparse.ArgumentParser) -> None   # add its arguments
    def run(args: argparse.Namespace) -> int                  # the exit code

and imports nothing heavy at module level: `grade --help` imports every one of them.
"""

from __future__ import annotations

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# The order of `grade --help`.
PLUGIN_COMMANDS = ("next", "reset", "data", "bench", "submit", "tui", "group", "all", "doctor", "serve")


class UsageError(Exception):
    """A mistake in how `grade` was called or where; exit code 2."""


def load_catalogue():
    """The shipped catalogue (validated)."""
    from mldojo.catalogue import load_catalogue as load

    return load()


def find_workspace(args):
    """The workspace named by --workspace, else the one holding a file the learner named by its path,
    else MLDOJO_WORKSPACE, else the one found above the current folder."""
    from mldojo.exercise_ref import workspace_of
    from mldojo.workspace import find_workspace as find

    return find(getattr(args, "workspace", None) or workspace_of(getattr(args, "exercise", None)))


def find_exercise(exercise_id: str):
    """The catalogue entry for an id, a path or a unique short name the learner typed, or a UsageError with suggestions."""
    from mldojo.exercise_ref import Unresolved, resolve

    catalogue = load_catalogue()
    found = resolve(exercise_id, catalogue)
    if isinstance(found, Unresolved):
        hint = f" Did you mean {' or '.join(found.suggestions)}?" if found.suggestions else ""
        raise UsageError(f"{found.reason}.{hint} `grade list` shows them all.")
    return catalogue.exercise(found)


def open_tracker(workspace):
    """The workspace's tracker (raises TrackerError with the fix when the file is damaged)."""
    from mldojo.tracker.store import Tracker

    return Tracker.open(workspace.tracker_path)
