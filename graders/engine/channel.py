"""Progress frames from the learner process to the judge while a long call runs.

Runs in the learner process. The learner host connects `report_progress` to its reply pipe
for the duration of each request; a trusted driver (for example the training driver of
stage2/mlp) calls it from the callback it hands to the learner's `train`. The judge shows
the frames and never trusts them: a verdict is always decided on the call's final reply.
It imports nothing but the standard library.
"""

from __future__ import annotations

import time
from typing import Any, Callable

MIN_INTERVAL_S = 0.1  # a learner reporting every batch must not flood the pipe

_send: Callable[[dict], None] | None = None
_last_sent = 0.0


def connect(send: Callable[[dict], None] | None) -> None:
    """Route progress frames to `send` (None disconnects); called by the learner host."""
    global _send, _last_sent
    _send = send
    _last_sent = 0.0


def report_progress(fields: dict[str, Any], force: bool = False) -> bool:
    """Send one progress frame of plain values (dropped when frames come faster than 10 per s)."""
    global _last_sent
    if _send is None:
        return False
    now = time.monotonic()
    if not force and now - _last_sent < MIN_INTERVAL_S:
        return False
    _last_sent = now
    _send(fields)
    return True


def epoch_reporter(seen: dict):
    """An `on_epoch(epoch, loss=None, total=None)` callback for a learner's training loop.

    It forwards what the learner reports as a progress frame (display only) and keeps the
    last epoch in `seen["epochs"]`; values it cannot read as numbers are ignored.
    """

    def on_epoch(epoch, loss=None, *more, **extra):
        try:
            fields = {"epoch": int(epoch)}
            if loss is not None:
                fields["loss"] = float(loss)
            total = extra.get("epochs") or (more[0] if more else None)
            if total is not None:
                fields["epochs"] = int(total)
        except (TypeError, ValueError, RuntimeError):
            return
        seen["epochs"] = fields["epoch"]
        report_progress(fields, force=True)

    return on_epoch
