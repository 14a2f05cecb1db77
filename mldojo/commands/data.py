"""`grade data`: placeholder until its issue lands."""

from __future__ import annotations

from mldojo.commands import EXIT_USAGE

HELP = "(data: not available yet)"


def configure(parser) -> None:
    """Add this command's arguments."""


def run(args) -> int:
    """Not written yet."""
    print("grade data is not available yet")
    return EXIT_USAGE
