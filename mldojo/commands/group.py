"""`grade group`: share progress with a study group through a git repository."""

from __future__ import annotations

import json
import sys

from mldojo.commands import EXIT_FAIL, EXIT_PASS, EXIT_USAGE, UsageError, find_workspace, load_catalogue, open_tracker

HELP = "share progress with a study group through git (init, join, sync, show, leave)"


def configure(parser) -> None:
    """Add the group sub-commands."""
    import argparse

    # `grade group sync --workspace DIR` works like the top-level commands.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="PATH", default=argparse.SUPPRESS, help="the workspace to use")
    sub = parser.add_subparsers(dest="group_command", metavar="ACTION")
    add = lambda name, **kwargs: sub.add_parser(name, parents=[common], **kwargs)  # noqa: E731
    init = add("init", help="lay out a new group in an empty repository (and join it from a workspace)")
    init.add_argument("remote", metavar="REMOTE", help="an empty git repository: a URL, or a local path (created if missing)")
    join = add("join", help="join a group and share your progress")
    join.add_argument("remote", metavar="REMOTE", help="the group's git URL or local path")
    join.add_argument("--rejoin", action="store_true", help="the group's file with your handle is yours (another machine, or after leaving)")
    sync = add("sync", help="share your progress and fetch everyone's")
    sync.add_argument("--share-code", action="store_true", help="also share the solution files you passed, for review")
    show = add("show", help="the group's table (as of the last sync)")
    show.add_argument("--json", action="store_true", help="print the table as JSON")
    add("leave", help="remove your file from the group and forget the group")
    regrade = add("regrade", help="for instructors: grade the code members shared (--share-code) in the sandbox, beside what they claimed")
    regrade.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args) -> int:
    """Dispatch to the group action."""
    from mldojo.tracker.group.repository import GroupError, UnsafeRemote

    action = getattr(args, "group_command", None)
    if action is None:
        raise UsageError("say what to do: grade group init|join|sync|show|leave|regrade (see `grade group --help`)")
    try:
        return ACTIONS[action](args)
    except UnsafeRemote as exc:  # a mistake in what was typed (or pasted): a usage error
        print(f"grade group {action}: {_shown(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except GroupError as exc:
        print(f"grade group {action}: {_shown(exc)}")
        return EXIT_FAIL


def _regrade(args) -> int:
    """Re-grade every shared solution of the group (as of the last sync) and flag claims that do not hold."""
    from mldojo.instructor import RegradeRefused, regrade_shared
    from mldojo.tracker.group.repository import clone_path, is_joined

    workspace = find_workspace(args)
    if not is_joined(workspace):
        raise UsageError("this workspace is not in a group: grade group join REMOTE first (then grade group sync)")

    def shown(result) -> None:
        if args.json:
            return
        flag = "  ✗ DISAGREES" if result.disagrees else ""
        same = "" if result.same_file is not False else " (the shared file is not the one that passed)"
        print(f"{result.member:<16} {result.exercise:<24} claimed {result.claimed:<12} re-graded: {result.verdict:<16} "
              f"{result.summary}{same}{flag}", flush=True)

    try:
        results = regrade_shared(clone_path(workspace), load_catalogue(), on_result=shown)
    except RegradeRefused as exc:
        print(f"grade group regrade: {exc}", file=sys.stderr)
        return EXIT_FAIL
    disagreements = [r for r in results if r.disagrees]
    if args.json:
        print(json.dumps({"results": [r.to_dict() for r in results], "disagreements": len(disagreements)}, indent=2))
    elif not results:
        print("nobody in the group has shared code as of your last sync (members share it with `grade group sync "
              "--share-code`; `grade group sync` fetches what they shared)")
    else:
        print(f"\n{len(results)} shared solution{'s' if len(results) != 1 else ''} re-graded; "
              f"{len(disagreements)} claimed pass{'es' if len(disagreements) != 1 else ''} did not hold")
    return EXIT_FAIL if disagreements else EXIT_PASS


def _shown(message: object) -> str:
    """A message that may quote a peer, a remote or git's output, with control characters escaped."""
    from mldojo.tracker.group.safe_text import visible

    return visible(message)


def _init(args) -> int:
    from mldojo.tracker.group.repository import check_remote, init_group
    from mldojo.workspace import WorkspaceError

    check_remote(args.remote)  # before anything else happens, even finding the workspace
    try:
        workspace = find_workspace(args)
    except WorkspaceError:
        workspace = None
    print(_shown(init_group(args.remote, workspace.handle if workspace else "mldojo")))
    if workspace is None:
        print(f"Next, from each member's workspace: grade group join {_shown(args.remote)}")
        return EXIT_PASS
    args.rejoin = False
    return _join(args)


def _join(args) -> int:
    from mldojo.tracker.group.repository import check_remote, join_group

    check_remote(args.remote)
    workspace = find_workspace(args)
    print(_shown(join_group(workspace, args.remote, rejoin=args.rejoin)))
    args.share_code = False
    return _sync(args)


def _sync(args) -> int:
    from mldojo.tracker.group.repository import remote_url, sync_group
    from mldojo.words import plural
    from mldojo.tracker.group.summary import build_member_file

    workspace = find_workspace(args)
    member = build_member_file(workspace, load_catalogue(), open_tracker(workspace), share_code=args.share_code)
    result = sync_group(workspace, member)
    what = (f"{plural(len(member.exercises), 'exercise')} passing, {plural(len(member.criteria), 'criterion')} met, "
            f"{plural(len(member.benchmarks), 'benchmark')}")
    if member.solutions:
        what += f", {plural(len(member.solutions), 'solution file')}"
    if result.pushed:
        raced = f" (after {result.retries} retries: others were syncing too)" if result.retries else ""
        print(f"Shared your progress with {_shown(remote_url(workspace))}: {what}{raced}.")
    else:
        print(f"Could not reach the group: {_shown(result.problem)}")
        print(f"Your progress ({what}) is committed locally; the push is pending. Run `grade group sync` again when the remote is reachable.")
    _print_table(workspace)
    return EXIT_PASS


def _show(args) -> int:
    workspace = find_workspace(args)
    if args.json:
        from dataclasses import asdict

        from mldojo.tracker.group.overview import group_overview

        print(json.dumps(asdict(group_overview(workspace, load_catalogue())), indent=2))
        return EXIT_PASS
    return EXIT_PASS if _print_table(workspace) else EXIT_FAIL


def _leave(args) -> int:
    from mldojo.tracker.group.repository import leave_group

    print(_shown(leave_group(find_workspace(args))))
    return EXIT_PASS


def _print_table(workspace) -> bool:
    from mldojo import render
    from mldojo.tracker.group.overview import group_overview
    from mldojo.tracker.group.render import group_table, group_warnings

    overview = group_overview(workspace, load_catalogue())
    out = render.console()
    if not overview.joined:
        out.print("This workspace is not in a study group. Join one with `grade group join REMOTE` (any git URL or local path).")
        return False
    out.print(group_table(overview))
    for line in group_warnings(overview):
        out.print(line)
    return True


ACTIONS = {"init": _init, "join": _join, "sync": _sync, "show": _show, "leave": _leave, "regrade": _regrade}
