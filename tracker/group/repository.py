"""The group's git repository: create it, join it, sync the member's file, leave it.

The member's clone lives in WORKSPACE/.mldojo/group (out of the workspace's own git).
A member only ever writes members/<handle>.json, and that file is rebuilt from the
member's tracker on every sync. So a sync never merges: it takes the remote's branch as
it is, writes the file again on top, commits and pushes; a push that lost a race is
simply redone. Offline, the commit stays local and the push is pending.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import shutil
import tempfile
import time
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mldojo.tracker.group.files import MEMBERS_DIR, UnsafeGroupTree, write_own_file
from mldojo.tracker.group.safe_text import visible
from mldojo.tracker.group.schema import MemberFile

BRANCH = "main"
MARKER = "mldojo-group.toml"
GROUP_FORMAT = 1
CLONE_DIR = "group"  # inside the workspace's .mldojo folder
NETWORK_TIMEOUT_S = 60
PUSH_ATTEMPTS = 8
# Never let git stop to ask for a password: a sync must fail fast and say why.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true", "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}
# And never let git itself run a command for a URL, whatever the user's git config allows:
# the transport helpers ext:: and fd:: are refused by git for every clone, fetch and push.
GIT_ENV.update({
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "protocol.ext.allow", "GIT_CONFIG_VALUE_0": "never",
    "GIT_CONFIG_KEY_1": "protocol.fd.allow", "GIT_CONFIG_VALUE_1": "never",
})


class GroupError(Exception):
    """A group command could not do its job; the message says why and what to do."""


class UnsafeRemote(GroupError):
    """A remote that is not a plain git URL or path: git could run a command for it."""


# The remotes a group may live at. Git also understands "transport helpers" (ext::CMD runs
# CMD, fd:: talks over file descriptors) and takes a value starting with '-' as an option:
# all of those are refused before git or GitPython sees them.
REMOTE_SCHEMES = ("https", "http", "ssh", "git", "file")
ACCEPTED_REMOTES = "https://, http://, ssh://, git:// or file:// URLs, user@host:path, or a local path"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*::")
_SCP_LIKE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._~+-]*@)?(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):[^:].*", re.ASCII | re.DOTALL)


@dataclass
class SyncResult:
    """What a sync did."""

    pushed: bool  # the remote has the member's current file
    committed: bool  # the file changed and a commit was made
    pending: bool  # commits wait for the remote to be reachable
    retries: int = 0  # pushes redone after losing a race with another member
    problem: str = ""  # why the remote could not be reached


def clone_path(workspace) -> Path:
    """Where the workspace keeps its clone of the group repository."""
    return workspace.tracker_path.parent / CLONE_DIR


def is_joined(workspace) -> bool:
    """True when the workspace has joined a group."""
    return (clone_path(workspace) / ".git").is_dir()


def _git():
    try:
        import git
    except ImportError as exc:  # GitPython raises this when the git program is missing
        raise GroupError(f"study groups need git, which was not found ({exc}); install git and try again") from None
    return git


def check_remote(remote: str) -> str:
    """remote, if it is one of the ACCEPTED_REMOTES; UnsafeRemote, saying which forms are, if not."""
    problem = _remote_problem(remote)
    if problem:
        raise UnsafeRemote(f"'{visible(remote, limit=200)}' {problem}; a study group's remote must be one of: {ACCEPTED_REMOTES}")
    return remote


def _remote_problem(remote: str) -> str:
    """Why remote is refused, or "" when it is a plain URL, user@host:path or local path."""
    if not remote.strip():
        return "is empty"
    if not remote.isprintable():
        return "contains control characters"
    if remote.startswith("-"):
        return "starts with '-', which git would read as an option"
    if _TRANSPORT.match(remote):
        return "names a git transport helper (such as ext:: or fd::), which can run commands"
    scheme = _SCHEME.match(remote)
    if scheme and scheme.group(1) not in REMOTE_SCHEMES:
        return f"uses the {scheme.group(1)}:// protocol"
    if not scheme and ":" in remote.split("/", 1)[0] and not _SCP_LIKE.fullmatch(remote):
        return "is neither a URL, user@host:path nor a local path"
    return ""


def is_local_path(remote: str) -> bool:
    """True for a path on this machine rather than a URL or scp-style host:path."""
    if "://" in remote:
        return remote.startswith("file://")
    return not re.match(r"^[\w.-]+@?[\w.-]*:", remote) or remote.startswith(("/", ".", "~"))


def _local(remote: str) -> Path:
    return Path(remote.removeprefix("file://")).expanduser().resolve()


def normalise_remote(remote: str) -> str:
    """An absolute path for a local remote (so clones work from any folder); URLs unchanged."""
    return str(_local(remote)) if is_local_path(remote) else remote


# -- creating a group ---------------------------------------------------------------------
def init_group(remote: str, handle: str) -> str:
    """Lay out a new group in an empty repository (a missing local path becomes a bare repository)."""
    git = _git()
    remote = normalise_remote(check_remote(remote))
    created = ""
    if is_local_path(remote) and not Path(remote).exists():
        repo = git.Repo.init(remote, bare=True, initial_branch=BRANCH)
        created = f"created the bare repository {remote}\n"
        repo.close()
    with tempfile.TemporaryDirectory(prefix="mldojo-group-") as scratch:
        clone = _clone(remote, Path(scratch) / "clone", branch=None)
        try:
            if clone.git.for_each_ref("refs/remotes/origin").strip():
                if _remote_has_marker(clone):
                    raise GroupError(f"{remote} is already a study group; join it with `grade group join {remote}`")
                raise GroupError(f"{remote} is not empty; a study group needs an empty repository (create a new one on your forge, or give a new local path)")
            root = Path(clone.working_dir)
            (root / MARKER).write_text(
                f'# An mldojo study group. Each member writes only members/<handle>.json.\nformat = {GROUP_FORMAT}\ncreated_by = "{handle}"\ncreated_at = "{_now()}"\n',
                encoding="utf-8",
            )
            (root / MEMBERS_DIR).mkdir()
            (root / MEMBERS_DIR / ".gitkeep").write_text("", encoding="utf-8")
            (root / "README.md").write_text(GROUP_README, encoding="utf-8")
            clone.git.checkout("-b", BRANCH)
            clone.git.add("--", MARKER, f"{MEMBERS_DIR}/.gitkeep", "README.md")
            _commit(clone, handle, f"{handle} creates the study group")
            _network(clone, "push", "origin", f"{BRANCH}:{BRANCH}")
        finally:
            clone.close()
    if is_local_path(remote):
        bare = git.Repo(remote)
        if bare.bare:
            bare.git.symbolic_ref("HEAD", f"refs/heads/{BRANCH}")  # clones check out main
        bare.close()
    return created + f"laid out the study group in {remote}"


def _remote_has_marker(clone) -> bool:
    try:
        clone.git.cat_file("-e", f"origin/{BRANCH}:{MARKER}")
        return True
    except _git().GitCommandError:
        return False


# -- joining and leaving --------------------------------------------------------------------
def join_group(workspace, remote: str, rejoin: bool = False) -> str:
    """Clone the group into the workspace (checked to be a group), refusing a taken handle."""
    remote = normalise_remote(check_remote(remote))
    target = clone_path(workspace)
    if is_joined(workspace):
        current = remote_url(workspace)
        if current == remote:
            raise GroupError(f"this workspace is already in the group at {remote}; `grade group sync` shares your progress")
        raise GroupError(f"this workspace is in another group ({current}); `grade group leave` first")
    if target.exists():
        shutil.rmtree(target)  # a leftover that is not a clone (an interrupted join)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".join-", dir=target.parent) as scratch:
        clone = _clone(remote, Path(scratch) / "clone", branch=BRANCH)
        try:
            root = Path(clone.working_dir)
            marker = root / MARKER
            if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 4096:
                raise GroupError(f"{remote} is not an mldojo study group (no {MARKER}); its creator makes one with `grade group init {remote}`")
            try:
                fmt = tomllib.loads(marker.read_text(encoding="utf-8")).get("format")
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                fmt = None
            if fmt != GROUP_FORMAT:
                raise GroupError(f"{remote} has a {MARKER} this mldojo does not understand (format {fmt!r}); upgrade mldojo")
            own = root / MEMBERS_DIR / f"{workspace.handle}.json"
            if (own.exists() or own.is_symlink()) and not rejoin:
                raise GroupError(
                    f"the group already has a member called {workspace.handle!r}. If that is you (another machine, or "
                    f"before a leave), run `grade group join {remote} --rejoin`; otherwise change `handle` in "
                    f"{workspace.root / 'mldojo.toml'} and join again"
                )
        finally:
            clone.close()
        os.replace(root, target)  # the clone appears whole or not at all
    return f"joined the study group at {remote} as {workspace.handle}"


def leave_group(workspace) -> str:
    """Remove the member's file from the group (pushed), then forget the clone."""
    repo = _open(workspace)
    handle = workspace.handle
    with _locked(workspace), repo:
        try:
            _refresh(repo)
        except GroupError as exc:
            raise GroupError(f"cannot reach the group to remove your file ({exc}); nothing changed. Try again when the remote is reachable") from None
        own = Path(repo.working_dir) / MEMBERS_DIR / f"{handle}.json"
        if own.exists() or own.is_symlink():
            repo.git.rm("-q", "--", f"{MEMBERS_DIR}/{handle}.json")
            _commit(repo, handle, f"{handle} leaves the study group")
            try:
                _network(repo, "push", "origin", f"{BRANCH}:{BRANCH}")
            except GroupError as exc:
                raise GroupError(f"your file could not be removed from the group ({exc}); run `grade group leave` again") from None
        url = remote_url(workspace)
    shutil.rmtree(clone_path(workspace))
    return f"left the study group at {url}; your file is gone from it"


def remote_url(workspace) -> str:
    """The group repository this workspace syncs with."""
    with _open(workspace) as repo:
        try:
            return repo.remotes.origin.url
        except (AttributeError, IndexError):
            return "?"


# -- syncing --------------------------------------------------------------------------------
def sync_group(workspace, member: MemberFile, attempts: int = PUSH_ATTEMPTS) -> SyncResult:
    """Fetch the group, write the member's own file on top, commit as the member, push (retrying races)."""
    result = SyncResult(pushed=False, committed=False, pending=False)
    with _locked(workspace), _open(workspace) as repo:
        for attempt in range(attempts):
            online = True
            try:
                _refresh(repo)
            except GroupError as exc:
                online, result.problem = False, str(exc)
            try:
                result.committed = _commit_own_file(repo, member) or result.committed
            except UnsafeGroupTree as exc:
                raise GroupError(str(exc)) from None
            if not online:
                result.pending = _unpushed(repo)
                return result
            if not _unpushed(repo):
                result.pushed = True
                return result
            try:
                _network(repo, "push", "origin", f"{BRANCH}:{BRANCH}")
                result.pushed, result.pending = True, False
                return result
            except GroupError as exc:
                if not _lost_a_race(str(exc)):
                    result.pending, result.problem = True, str(exc)
                    return result
                result.retries += 1
                time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))  # let the other pusher finish
        result.pending = True
        result.problem = f"the push lost {attempts} races in a row with other members; run `grade group sync` again"
    return result


def _commit_own_file(repo, member: MemberFile) -> bool:
    root = Path(repo.working_dir)
    write_own_file(root, member)
    relative = f"{MEMBERS_DIR}/{member.handle}.json"
    repo.git.add("--", relative)
    if repo.head.is_valid() and not repo.git.diff("--cached", "--name-only", "--", relative).strip():
        return False
    _commit(repo, member.handle, f"{member.handle}: progress as of {member.updated_at}")
    return True


def _commit(repo, handle: str, message: str) -> None:
    """Commit the index as the member (author and committer), whatever git's own config says.

    Through the git command, not GitPython's index: IndexFile.add changes the process's
    working directory while it runs, which two syncs in threads of one process would share.
    """
    identity = {
        "GIT_AUTHOR_NAME": handle, "GIT_AUTHOR_EMAIL": f"{handle}@mldojo.invalid",
        "GIT_COMMITTER_NAME": handle, "GIT_COMMITTER_EMAIL": f"{handle}@mldojo.invalid",
    }
    with repo.git.custom_environment(**identity):
        repo.git.commit("-q", "--no-verify", "--no-gpg-sign", "-m", message)


def _refresh(repo) -> None:
    """Make the clone exactly the remote's branch (our own file is rebuilt right after)."""
    _network(repo, "fetch", "--prune", "origin")
    try:
        repo.git.rev_parse("--verify", f"refs/remotes/origin/{BRANCH}")
    except _git().GitCommandError:
        raise GroupError(f"the remote has no {BRANCH} branch; is it an mldojo study group?") from None
    repo.git.checkout("-f", "-B", BRANCH, f"refs/remotes/origin/{BRANCH}")
    repo.git.reset("--hard", f"refs/remotes/origin/{BRANCH}")
    repo.git.clean("-fdq", "--", MEMBERS_DIR)  # stray files of an interrupted write


def _unpushed(repo) -> bool:
    try:
        return int(repo.git.rev_list("--count", f"refs/remotes/origin/{BRANCH}..HEAD")) > 0
    except _git().GitCommandError:
        return repo.head.is_valid()


def _lost_a_race(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in ("non-fast-forward", "fetch first", "rejected", "cannot lock ref", "failed to update ref"))


# -- git plumbing -----------------------------------------------------------------------------
def _clone(remote: str, target: Path, branch: str | None):
    git = _git()
    kwargs = {"branch": branch} if branch else {}
    try:
        # GitPython's own guards stay on (allow_unsafe_protocols/allow_unsafe_options are
        # never passed): a second line of defence behind check_remote.
        return git.Repo.clone_from(remote, target, env=GIT_ENV, kill_after_timeout=NETWORK_TIMEOUT_S, **kwargs)
    except (git.exc.UnsafeProtocolError, git.exc.UnsafeOptionError) as exc:
        raise UnsafeRemote(f"'{visible(remote, limit=200)}' was refused ({exc}); a study group's remote must be one of: {ACCEPTED_REMOTES}") from None
    except git.GitCommandError as exc:
        detail = _stderr(exc)
        if branch and ("not found" in detail or "Remote branch" in detail):
            raise GroupError(f"{remote} has no {branch} branch: it is not an mldojo study group yet (its creator runs `grade group init {remote}`)") from None
        raise GroupError(f"cannot clone {remote}: {detail}") from None


def _network(repo, *args: str) -> str:
    git = _git()
    try:
        with repo.git.custom_environment(**GIT_ENV):
            return repo.git.execute(["git", *args], kill_after_timeout=NETWORK_TIMEOUT_S)
    except git.GitCommandError as exc:
        raise GroupError(_stderr(exc) or f"git {args[0]} failed") from None


def _stderr(exc) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip()
    text = text.removeprefix("stderr:").strip().strip("'").strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:400]


def _open(workspace):
    git = _git()
    path = clone_path(workspace)
    if not (path / ".git").is_dir():
        raise GroupError("this workspace is not in a study group; join one with `grade group join REMOTE` (any git URL or local path)")
    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GroupError(f"the group clone at {path} is damaged; delete that folder and join again") from None


@contextmanager
def _locked(workspace):
    """One group command at a time per workspace (two syncs would fight over the clone)."""
    path = clone_path(workspace).parent / "group.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


GROUP_README = """# An mldojo study group

This repository holds the progress of a study group working through the mldojo
curriculum. Each member's `grade group sync` writes exactly one file,
`members/<handle>.json`: what they passed, which "done when" criteria they met and their
best benchmark timings. No solutions, unless a member shares them on purpose.

    grade group join <this repository's URL>   # join (from your mldojo workspace)
    grade group sync                           # share your progress, fetch everyone's
    grade group show                           # the group's table
    grade group leave                          # remove your file

Edit nobody's file but your own: `grade group show` reports changes to a member's file
made by someone else, and skips files that do not follow the format.
"""
