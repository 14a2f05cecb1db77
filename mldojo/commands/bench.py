"""`grade bench`: placeholder until its issue lands."""

from __future__ import annotations

from mldojo.commands import EXIT_USAGE

HELP = "(bench: not available yet)"


def configure(parser) -> None:
    """Add this command's arguments."""


def run(args) -> int:
    """Not written yet."""
    print("grade bench is not available yet")
    return EXIT_USAGE
