"""The `grade` sub-commands that live in their own modules, and what they share.

Each module here (`data`, `bench`, `submit`, `tui`, `group`, `doctor`) exposes:

    HELP = "one line for `grade --help`"
    def configure(parser: argparse.ArgumentParser) -> None   # add its arguments
    def run(args: argparse.Namespace) -> int                  # the exit code

and imports nothing heavy at module level: `grade --help` imports every one of them.
"""

from __future__ import annotations

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# The order of `grade --help`.
PLUGIN_COMMANDS = ("data", "bench", "submit", "tui", "group", "doctor")


class UsageError(Exception):
    """A mistake in how `grade` was called or where; exit code 2."""


def load_catalogue():
    """The shipped catalogue (validated)."""
    from mldojo.catalogue import load_catalogue as load

    return load()


def find_workspace(args):
    """The workspace named by --workspace, MLDOJO_WORKSPACE, or found above the current folder."""
    from mldojo.workspace import find_workspace as find

    return find(getattr(args, "workspace", None))


def find_exercise(exercise_id: str):
    """The catalogue entry for an id the learner typed, or a UsageError with suggestions."""
    catalogue = load_catalogue()
    try:
        return catalogue.exercise(exercise_id.strip().strip("/").removesuffix(".py"))
    except KeyError:
        suggestions = catalogue.suggest(exercise_id)
        hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
        raise UsageError(f"there is no exercise {exercise_id!r}.{hint} `grade list` shows them all.") from None


def open_tracker(workspace):
    """The workspace's tracker (raises TrackerError with the fix when the file is damaged)."""
    from mldojo.tracker.store import Tracker

    return Tracker.open(workspace.tracker_path)
