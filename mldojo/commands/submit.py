"""`grade submit`: placeholder until its issue lands."""

from __future__ import annotations

from mldojo.commands import EXIT_USAGE

HELP = "(submit: not available yet)"


def configure(parser) -> None:
    """Add this command's arguments."""


def run(args) -> int:
    """Not written yet."""
    print("grade submit is not available yet")
    return EXIT_USAGE
