"""`grade group`: placeholder until its issue lands."""

from __future__ import annotations

from mldojo.commands import EXIT_USAGE

HELP = "(group: not available yet)"


def configure(parser) -> None:
    """Add this command's arguments."""


def run(args) -> int:
    """Not written yet."""
    print("grade group is not available yet")
    return EXIT_USAGE
