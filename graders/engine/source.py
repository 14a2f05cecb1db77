"""Reading the learner's file without running it: syntax, stubs left, forbidden imports.

`ast.parse` never executes the code, so these run safely in the judge.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ForbiddenImport:
    """An import of a library the exercise forbids, with its line."""

    line: int
    module: str


def parse(path: Path) -> ast.Module:
    """Parse the learner's file (raises SyntaxError with the learner's line)."""
    source = path.read_text(encoding="utf-8", errors="replace")
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
