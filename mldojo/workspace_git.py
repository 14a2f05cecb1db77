"""The workspace's own git repository: its first commit, and saving a file before `grade reset`.

Plain `git` subprocesses (no GitPython import: these run once per command). A learner's
machine may have no git identity configured; commits then go in under the workspace's
handle rather than failing with "Please tell me who you are".
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

FIRST_COMMIT_MESSAGE = "The exercise stubs, as `grade init` made them"
GIT_TIMEOUT_S = 30


class GitProblem(Exception):
    """git is missing or refused; the message says what happened."""


def git(root: Path, *args: str, identity: str = "") -> str:
    """Run `git ARGS` in root and return its output (GitProblem on failure)."""
    command = ["git", *_identity_options(root, identity), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_DIR") and k != "GIT_WORK_TREE"}
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitProblem(f"git could not run ({exc})") from None
    if done.returncode != 0:
        raise GitProblem((done.stderr or done.stdout).strip().splitlines()[-1] if (done.stderr or done.stdout).strip() else f"git {args[0]} failed")
    return done.stdout.strip()


def _identity_options(root: Path, handle: str) -> list[str]:
    """`-c user.name=… -c user.email=…` for what neither git's config nor the environment sets."""
    if not handle:
        return []
    options = []
    for key, env_name, value in (("user.name", "GIT_AUTHOR_NAME", handle), ("user.email", "GIT_AUTHOR_EMAIL", f"{handle}@mldojo.invalid")):
        if os.environ.get(env_name):
            continue
        try:
            configured = subprocess.run(["git", "config", key], cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            configured = ""
        if not configured:
            options += ["-c", f"{key}={value}"]
    return options


def is_repository(root: Path) -> bool:
    """Whether root is the top of a git work tree (not merely inside another repository)."""
    return (root / ".git").exists()


def has_commits(root: Path) -> bool:
    """Whether the repository at root has a commit yet."""
    try:
        git(root, "rev-parse", "--verify", "--quiet", "HEAD")
        return True
    except GitProblem:
        return False


def first_commit(root: Path, handle: str) -> str:
    """Commit everything git does not ignore as the repository's first commit; its short id."""
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", FIRST_COMMIT_MESSAGE, identity=handle)
    return git(root, "rev-parse", "--short", "HEAD")


def save_file(root: Path, relative: str, message: str, handle: str) -> tuple[str, bool]:
    """Commit one file as it is now, nothing else; (short commit id, whether a new commit was made).

    When git already holds exactly this content at HEAD, HEAD is the answer.
    """
    git(root, "add", "--", relative)
    if has_commits(root) and not git(root, "status", "--porcelain", "--", relative):
        return git(root, "log", "-1", "--format=%h", "--", relative) or git(root, "rev-parse", "--short", "HEAD"), False
    # With a path, `git commit` records that file only, whatever else the learner staged.
    git(root, "commit", "--quiet", "--no-verify", "-m", message, "--", relative, identity=handle)
    return git(root, "rev-parse", "--short", "HEAD"), True
