"""The checks of the last attempt: a mark per check, and what went wrong under each failure."""

from __future__ import annotations

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from mldojo.tui.data import format_seconds, format_when, verdict_words

CHECK_MARKS = {"passed": ("✓", "$success"), "skipped": ("-", "$text-muted"), "not_implemented": ("…", "$warning")}
MESSAGE_LINES = 12  # a long traceback is cut here; `grade ID` in a terminal prints it all


class CheckList(Vertical):
    """Every check of one attempt; a failure's message sits indented under it (wrapped lines too)."""

    DEFAULT_CSS = """
    CheckList { height: auto; padding: 0 1; }
    CheckList > .check-message { padding-left: 4; }
    CheckList > .check-next { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plain = ""  # everything shown, as text (what a test or a screen reader reads)

    def show(self, exercise_id: str, attempt, checks: list) -> None:
        """Draw one attempt's checks (attempt None: not graded yet)."""
        rows: list[Static] = []
        if attempt is None:
            rows.append(Static(Content.assemble(
                ("Not graded yet. ", "bold"),
                f"Write your code in {exercise_id}.py (replace each NotImplementedError), then press g.",
            )))
        else:
            colour = "$success" if attempt.verdict == "passed" else "$error"
            rows.append(Static(Content.assemble(
                (f"Last attempt: {verdict_words(attempt.verdict)}", f"bold {colour}"),
                f"  {attempt.summary} · {format_when(attempt.started_at)} · {format_seconds(attempt.duration_s)}",
            )))
            if not checks:
                rows.append(Static("(no check ran: the line above says why; press g to grade again)", classes="check-next"))
            for check in checks:
                mark, style = CHECK_MARKS.get(check.verdict, ("✗", "$error"))
                word = "" if check.verdict in ("passed", "failed") else f"  {verdict_words(check.verdict)}"
                rows.append(Static(Content.assemble(" ", (mark, style), f" {check.name}", (word, style))))
                if check.verdict != "passed" and check.message:
                    rows.append(Static(Content(_cut(check.message, exercise_id)), classes="check-message"))
            if attempt.verdict != "passed":
                rows.append(Static("h shows a hint · g grades again", classes="check-next"))
        self.plain = "\n".join(str(row.render()) for row in rows)
        self.remove_children()
        self.mount_all(rows)


def _cut(message: str, exercise_id: str) -> str:
    """At most MESSAGE_LINES lines of a message, saying where the rest is."""
    lines = message.splitlines()
    if len(lines) <= MESSAGE_LINES:
        return message
    return "\n".join(lines[:MESSAGE_LINES] + [f"… {len(lines) - MESSAGE_LINES} more lines: run `grade {exercise_id}` in a terminal"])
