"""`grade doctor`: can this machine sandbox the learner process, and if not, how to make it so."""

from __future__ import annotations

import json
import sys

from mldojo.commands import EXIT_FAIL, EXIT_PASS

HELP = "check this machine's sandbox for your code (and how to enable it)"


def configure(parser) -> None:
    """`grade doctor [--json]`."""
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args) -> int:
    """Probe the sandbox and explain; exit 0 when learner code runs sandboxed here."""
    from mldojo.graders.engine import sandbox

    status = sandbox.status()
    findings = {
        "sandboxed": status.available,
        "mode": status.mode,
        "bubblewrap": status.tool or None,
        "reason": status.reason or None,
        "advice": status.advice or None,
        "platform": sys.platform,
    }
    if args.json:
        print(json.dumps(findings, indent=2))
        return EXIT_PASS if status.available else EXIT_FAIL
    if status.available:
        print(f"✓ sandbox: your code runs in its own namespaces (bubblewrap: {status.tool}).")
        print("  It sees Python, the workspace's .py files (read-only) and a private /tmp; not the references,")
        print("  the judge's data, your tracker, the network or any other process, and it dies with `grade`.")
        return EXIT_PASS
    print(f"✗ sandbox: {status.reason}.")
    print("  Grading still works, but every result is marked \"unsandboxed\": your code can read what your")
    print("  user can read (the hidden references and test labels included), so a pass means less to a group.")
    if status.advice:
        print(f"  To enable it: {status.advice}.")
    if status.mode != "off":
        print(f"  Set {sandbox.SANDBOX_ENV}=require to refuse to grade without the sandbox.")
    return EXIT_FAIL
