"""Peers' text made safe to show on a terminal: every control character escaped visibly.

A peer chooses their file's name, their handle and every text field of their file, and a
string such as ESC [ 2 J (clear the screen), OSC 52 (write the clipboard) or a bidi
override (reorder what follows) acts on the terminal of whoever prints it. `visible` is
applied to each peer-controlled string on its way to a terminal or the TUI.
"""

from __future__ import annotations


def visible(text: object, limit: int | None = None) -> str:
    """text with every non-printable character (controls, C1, bidi overrides, surrogates) escaped visibly, cut to limit."""
    shown = "".join(char if char.isprintable() else _escape(char) for char in str(text))
    if limit is not None and len(shown) > limit:
        return shown[: max(limit - 1, 0)] + "…"
    return shown


_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(char: str) -> str:
    """The Python-style escape of one character: \\n, \\x1b, \\u202e or \\U000e0001."""
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
