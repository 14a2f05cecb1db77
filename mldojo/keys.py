"""Single key presses from the terminal, without Enter, for `grade watch`.

The terminal goes into cbreak mode (keys arrive one by one, not echoed; Ctrl-C still
interrupts) and is restored on the way out, whatever happens. Without a terminal on
stdin (a pipe, a test, Windows) no key is ever read and nothing is changed.
"""

from __future__ import annotations

import os
import select
import sys
import time


class KeyReader:
    """A context manager that reads one key at a time, waiting at most a given time."""

    def __init__(self, enabled: bool = True, stream=None) -> None:
        self.stream = stream or sys.stdin
        self.enabled = enabled
        self.active = False
        self._saved = None

    def __enter__(self) -> KeyReader:
        if not self.enabled:
            return self
        try:
            import termios
            import tty

            fd = self.stream.fileno()
            if not os.isatty(fd):
                return self
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except (ImportError, OSError, ValueError, AttributeError):
            return self
        self.active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved is not None:
            import termios

            try:
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            except (OSError, ValueError):
                pass
            self._saved = None
        self.active = False

    def read(self, timeout: float) -> str | None:
        """The next key (lower case), or None after timeout seconds without one."""
        if not self.active:
            time.sleep(timeout)
            return None
        fd = self.stream.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(fd, 16)  # an arrow key is several bytes: only a plain letter counts
        if not data:  # the terminal went away
            self.active = False
            return "q"
        text = data.decode("utf-8", errors="replace")
        return text.lower() if len(text) == 1 else None
