"""`grade reset ID`: start an exercise again from its stub, after saving the learner's file.

The file is committed to the workspace's own git repository first (that one file, nothing
else the learner staged), so `git show COMMIT:stage1/linreg.py` brings it back. Without
git, a copy goes into .mldojo/reset/ instead. Attempts and hints stay recorded.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from mldojo.commands import EXIT_PASS, find_exercise, find_workspace

HELP = "start an exercise again from its stub (your file is saved in the workspace's git first)"
BACKUP_DIR = "reset"  # under .mldojo/, when git cannot keep the file


def configure(parser) -> None:
    """`grade reset ID`."""
    parser.add_argument("exercise", metavar="ID", help="the exercise to start again, e.g. stage1/linreg")


def run(args) -> int:
    """Save the learner's file (git, else a copy), then put the stub in its place."""
    from mldojo.workspace import stub_path

    exercise = find_exercise(args.exercise)
    workspace = find_workspace(args)
    target = workspace.exercise_file(exercise.id)
    relative = f"{exercise.id}.py"
    stub = stub_path(exercise.id)
    if target.is_file() and not target.is_symlink() and target.read_bytes() == stub.read_bytes():
        print(f"{relative} is the stub already; nothing to reset.")
        return EXIT_PASS
    saved_in_git = False
    if target.exists() or target.is_symlink():
        message, saved_in_git = save(workspace, exercise.id, relative)
        print(message)
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stub, target)
    if saved_in_git:
        _commit_stub(workspace, exercise.id, relative)
    print(f"{relative} is the stub again. Your attempts and hints stay recorded; `grade {exercise.id}` grades it afresh.")
    return EXIT_PASS


def save(workspace, exercise_id: str, relative: str) -> tuple[str, bool]:
    """Keep the learner's file where they can get it back: (the sentence that says where, whether git holds it)."""
    from mldojo.workspace_git import GitProblem, is_repository, save_file

    target = workspace.exercise_file(exercise_id)
    problem = "the workspace has no git repository"
    if is_repository(workspace.root) and target.is_file() and not target.is_symlink():
        try:
            commit, made = save_file(workspace.root, relative, f"grade reset {exercise_id}: my version before starting again", workspace.handle)
        except GitProblem as exc:
            problem = f"git could not save it ({exc})"
        else:
            where = "Saved your" if made else "Git already holds your"
            git = "git" if Path.cwd().resolve() == workspace.root.resolve() else f"git -C {_quoted(workspace.root)}"
            return (f"{where} {relative} in the workspace's git history, commit {commit}.\n"
                    f"  See it: {git} show {commit}:{relative}    Bring it back: {git} checkout {commit} -- {relative}"), True
    backup = workspace.tracker_path.parent / BACKUP_DIR / f"{exercise_id.replace('/', '-')}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.py"
    backup.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target, backup, follow_symlinks=False)
    return f"Copied your {relative} to {backup} ({problem}).", False


def _commit_stub(workspace, exercise_id: str, relative: str) -> None:
    """Commit the stub too, so that `git status` is clean and the log reads: your version, then the stub."""
    from mldojo.workspace_git import GitProblem, save_file

    try:
        save_file(workspace.root, relative, f"grade reset {exercise_id}: the stub again", workspace.handle)
    except GitProblem:
        pass  # the learner's version is safe already; a modified stub in `git status` is harmless


def _quoted(path) -> str:
    import shlex

    return shlex.quote(str(path))
