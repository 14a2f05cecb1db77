"""The learner's workspace: a folder with the stubs, a config file and a git repository.

Commands find it like git finds a repository: `--workspace PATH`, else the environment
variable MLDOJO_WORKSPACE, else the nearest folder at or above the current one that holds
`mldojo.toml`.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

CONFIG_NAME = "mldojo.toml"
STATE_DIR = ".mldojo"  # the tracker database lives here; kept out of git
HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
GITIGNORE_LINES = [f"{STATE_DIR}/", "__pycache__/", "*.pyc", ".hypothesis/"]


class WorkspaceError(Exception):
    """No workspace where one was needed, or a workspace that cannot be used; says what to do."""


@dataclass(frozen=True)
class Workspace:
    """A learner's workspace on disk."""

    root: Path
    handle: str

    def exercise_file(self, exercise_id: str) -> Path:
        """Where the learner's solution of an exercise lives: ROOT/stage1/linreg.py."""
        return self.root / (exercise_id + ".py")

    @property
    def tracker_path(self) -> Path:
        """The SQLite file holding this learner's attempts."""
        return self.root / STATE_DIR / "tracker.sqlite"


@dataclass
class InitResult:
    """What `grade init` did."""

    workspace: Workspace
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # learner files that already existed
    git: str = ""  # what happened with git, in words


def find_workspace(explicit: str | os.PathLike | None = None, start: Path | None = None) -> Workspace:
    """The workspace named by --workspace, MLDOJO_WORKSPACE, or the nearest one above `start`."""
    named = explicit or os.environ.get("MLDOJO_WORKSPACE")
    if named:
        root = Path(named).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            source = "--workspace" if explicit else "MLDOJO_WORKSPACE"
            raise WorkspaceError(f"{root} (from {source}) is not an mldojo workspace: it has no {CONFIG_NAME}. Create one with `grade init {root}`.")
        return _load(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return _load(folder)
    raise WorkspaceError(
        f"no mldojo workspace here ({here}) or in any folder above it.\n"
        "  Create one with `grade init course && cd course`, or point to one with --workspace PATH."
    )


def _load(root: Path) -> Workspace:
    try:
        config = tomllib.loads((root / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WorkspaceError(f"{root / CONFIG_NAME} cannot be read ({exc}); fix the file or delete it and run `grade init {root}` again.") from None
    handle = config.get("handle", "learner")
    if not isinstance(handle, str) or not HANDLE_PATTERN.match(handle):
        raise WorkspaceError(f"{root / CONFIG_NAME}: handle {handle!r} must be 1-40 letters, digits, '.', '_' or '-'.")
    return Workspace(root, handle)


def init_workspace(directory: Path, exercise_ids: list[str], handle: str | None = None) -> InitResult:
    """Create (or top up) a workspace: stubs, README, .gitignore, config, git repository.

    Never overwrites a file that exists: a learner's work is theirs.
    """
    root = directory.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder; choose another path.")
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / CONFIG_NAME
    existing_handle = None
    if config_path.is_file():
        existing_handle = _load(root).handle
    handle = existing_handle or _valid_handle(handle) or default_handle()
    result = InitResult(Workspace(root, handle))
    _write_new(config_path, f'# mldojo workspace settings\nformat = 1\nhandle = "{handle}"\n', result)
    _write_new(root / "README.md", _learner_readme(), result)
    for exercise_id in exercise_ids:
        _copy_new(stub_path(exercise_id), root / (exercise_id + ".py"), result)
    _ensure_gitignore(root / ".gitignore", result)
    (root / STATE_DIR).mkdir(exist_ok=True)
    result.git = _ensure_git(root, handle)
    return result


def stub_path(exercise_id: str) -> Path:
    """The shipped stub of an exercise."""
    return Path(str(resources.files("mldojo.exercises").joinpath(exercise_id + ".py")))


def reference_path(exercise_id: str) -> Path:
    """The shipped reference solution of an exercise."""
    return Path(str(resources.files("mldojo.reference").joinpath(exercise_id + ".py")))


def default_handle() -> str:
    """git's user.name made safe as a handle, else the login name, else 'learner'."""
    name = ""
    try:
        import subprocess

        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    if not name:
        import getpass

        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = ""
    return _valid_handle(re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")[:40]) or "learner"


def _valid_handle(handle: str | None) -> str | None:
    if not handle:
        return None
    if not HANDLE_PATTERN.match(handle):
        raise WorkspaceError(f"handle {handle!r} must be 1-40 letters, digits, '.', '_' or '-' (no spaces or slashes).")
    return handle


def _write_new(path: Path, text: str, result: InitResult) -> None:
    if path.exists():
        result.kept.append(path)
        return
    path.write_text(text, encoding="utf-8")
    result.created.append(path)


def _copy_new(source: Path, target: Path, result: InitResult) -> None:
    if target.exists():
        result.kept.append(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    result.created.append(target)


def _ensure_gitignore(path: Path, result: InitResult) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [line for line in GITIGNORE_LINES if line not in lines]
    if missing:
        existed = path.exists()
        path.write_text("\n".join(lines + missing) + "\n", encoding="utf-8")
        (result.kept if existed else result.created).append(path)


def _ensure_git(root: Path, handle: str) -> str:
    """A git repository with a first commit holding the stubs (`grade reset` saves files on top of it)."""
    from mldojo.workspace_git import GitProblem, first_commit, git, has_commits, is_repository

    created = False
    if not is_repository(root):
        try:
            git(root, "init", "--quiet")
        except GitProblem as exc:  # no git executable: the workspace works without it
            return f"git repository not created ({exc}); install git and run `grade init` again"
        created = True
    if has_commits(root):
        return "git repository already present"
    try:
        commit = first_commit(root, handle)
    except GitProblem as exc:
        return f"git repository {'created' if created else 'present'}, but its first commit failed ({exc}); `grade reset` keeps copies in .mldojo/ instead"
    made = "created" if created else "present"
    return f"git repository {made}; first commit {commit} holds the stubs (`grade reset ID` saves your file in git, then restores the stub)"


def _learner_readme() -> str:
    return """# My mldojo workspace

Each exercise is a Python file here, for example `stage1/linreg.py`. Open one, read its
docstring, replace each `raise NotImplementedError(...)` with your code, then run:

    grade stage1/linreg          # grade it; exit code 0 means it passed
    grade hint stage1/linreg     # the next hint
    grade watch stage1/linreg    # re-grade every time you save
    grade status                 # your progress and each stage's "done when"
    grade history stage1/linreg  # your earlier attempts
    grade list                   # every exercise
    grade                        # the exercise to work on now
    grade reset stage1/linreg    # save your file in git, then start again from the stub

Your attempts are recorded in `.mldojo/tracker.sqlite` (kept out of git).
"""
