"""`grade tui`: the Textual app over the learner's workspace (curriculum, grading, progress)."""

from __future__ import annotations

from mldojo.commands import EXIT_PASS

HELP = "open the terminal UI: browse exercises, grade them, see your progress"


def configure(parser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--poll", type=float, default=1.5, metavar="SECONDS", help="how often to look for attempts made in other terminals")


def run(args) -> int:
    """Open the app; without a workspace it opens on a screen that says how to make one."""
    from mldojo.tui.app import DojoApp
    from mldojo.workspace import WorkspaceError, find_workspace

    from mldojo.catalogue import load_catalogue

    catalogue = load_catalogue()  # a broken catalogue is reported by `grade` as usual
    try:
        workspace, problem = find_workspace(getattr(args, "workspace", None)), ""
    except WorkspaceError as error:
        workspace, problem = None, str(error)
    DojoApp(workspace, catalogue, problem=problem, poll_interval_s=max(0.2, args.poll)).run()
    return EXIT_PASS
