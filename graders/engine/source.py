"""Reading the learner's file without running it: syntax, stubs left, forbidden imports.

`ast.parse` never executes the code, so these run safely in the judge.
"""

from __future__ import annotations

import ast
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 1 << 20  # a learner's module is code, not data


class FileRefused(Exception):
    """The learner's file is not one mldojo will read: the message says why and what to do."""


@dataclass(frozen=True)
class ForbiddenImport:
    """An import of a library the exercise forbids, with its line."""

    line: int
    module: str


def read_learner_file(path: Path, root: Path | None = None) -> bytes:
    """The learner's file, read without blocking and without following it out of the workspace.

    Raises FileNotFoundError when it is missing and FileRefused when it is not a regular file
    (a FIFO would block the reader, a device never ends), is a link to something outside the
    workspace (the installed references, say), or is larger than MAX_FILE_BYTES."""
    shown = path.name
    info = os.lstat(path)  # FileNotFoundError when missing
    if stat.S_ISLNK(info.st_mode):
        target = os.path.realpath(path)
        inside = root is not None and target.startswith(os.path.realpath(root) + os.sep)
        if not inside:
            raise FileRefused(f"{shown} is a link to {target}, outside your workspace: grade a file of your own "
                              f"(replace the link with a copy of the code you wrote)")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(f"{shown} cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = "a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise FileRefused(f"{shown} is {kind}, not a Python file: replace it with a regular .py file")
        if info.st_size > MAX_FILE_BYTES:
            raise FileRefused(f"{shown} is {info.st_size / 1e6:.1f} MB; a module mldojo grades may be at most "
                              f"{MAX_FILE_BYTES // (1 << 20)} MB (keep data out of your code: load it in your functions)")
        chunks, total = [], 0
        while True:
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise FileRefused(f"{shown} grew past {MAX_FILE_BYTES // (1 << 20)} MB while it was read")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def parse(path: Path, root: Path | None = None) -> ast.Module:
    """Parse the learner's file (raises SyntaxError with the learner's line, FileRefused for a file it will not read)."""
    source = read_learner_file(path, root).decode("utf-8", errors="replace")
    return ast.parse(source, filename=str(path))


def unwritten_functions(tree: ast.Module) -> list[str]:
    """Qualified names of functions whose body is still only `raise NotImplementedError(...)`."""
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if _is_stub_body(child.body):
                    found.append(prefix + child.name)

    visit(tree, "")
    return found


def _is_stub_body(body: list[ast.stmt]) -> bool:
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    raised = statements[0].exc
    if isinstance(raised, ast.Call):
        raised = raised.func
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def forbidden_imports(tree: ast.Module, forbidden: tuple[str, ...]) -> list[ForbiddenImport]:
    """Every `import X` / `from X import …` of a forbidden top-level package."""
    hits = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.partition(".")[0] in forbidden or name == "mldojo.reference" or name.startswith("mldojo.reference."):
                hits.append(ForbiddenImport(node.lineno, name))
    return hits


def untouched_stub(tree: ast.Module) -> bool:
    """True when the file is still only the stub: docstrings, imports, constants, and functions
    (top level or in classes) whose bodies all just raise NotImplementedError. Anything else
    (a function written, a name rebound, code at the top level) means the file must be run."""
    functions = 0
    for node in tree.body:
        if _is_inert(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_stub_body(node.body):
            functions += 1
            continue
        if isinstance(node, ast.ClassDef) and not node.decorator_list:
            for member in node.body:
                if _is_inert(member):
                    continue
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_stub_body(member.body):
                    functions += 1
                    continue
                if isinstance(member, ast.FunctionDef) and _only_keeps_arguments(member):
                    continue  # the stub's __init__: self.lr = lr, ...
                return False
            continue
        return False
    return functions > 0


def _only_keeps_arguments(function: ast.FunctionDef) -> bool:
    """A method whose body only stores its arguments or constants on self (a stub's __init__)."""
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Pass):
            continue
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Attribute)
                and isinstance(statement.targets[0].value, ast.Name) and statement.targets[0].value.id == "self"
                and isinstance(statement.value, (ast.Name, ast.Constant))):
            continue
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Attribute) and \
                isinstance(statement.value, (ast.Name, ast.Constant, type(None))):
            continue
        return False
    return True


def _is_inert(node: ast.stmt) -> bool:
    """A docstring, an import, `pass`, or a constant assignment: nothing that computes an answer."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        value = node.value
        return value is None or isinstance(value, ast.Constant)
    return False


def module_version(path: Path) -> str:
    """The `VERSION = "..."` string a grader module declares, read without importing it ("1" if none)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return "1"
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "VERSION" for t in node.targets):
            if isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return "1"


def quoted_line(path: Path, line: int, root: Path | None = None) -> str:
    """The learner's own line `line` of the file, stripped (for messages that point at it)."""
    try:
        lines = read_learner_file(path, root).decode("utf-8", errors="replace").splitlines()
    except (OSError, FileRefused):
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""
