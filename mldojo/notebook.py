"""Grading code written in a Jupyter notebook: which cells are graded, and the `%grade` magic.

Which cells are graded (said the same way by `grade ID --notebook FILE.ipynb`, the magic and
the HTML table):
  - cells whose first line is an export mark (`#| export`, nbdev's convention, or `# export`),
    whole, in notebook order — mark the cells that make up your solution;
  - without any marked cell, the definitions of every code cell: imports, functions, classes
    and assignments of constants, in order; calls, loops, prints and plots stay out, so a cell
    that trains or tests your code is not run by the grader.
IPython-only lines (`%magic`, `!shell`, `%%cell magics`) are never graded. The graded module
keeps `# %% cell N` separators, so a line number in a message leads back to the cell.

The notebook's code is graded by the same isolated judge as `grade ID`, in the sandbox, never
in the kernel: the magic runs `grade` as a subprocess on the cells the kernel executed, and
shows its JSON result as an HTML table. The attempt is recorded in the workspace's tracker.
"""

from __future__ import annotations

import ast
import html
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

EXPORT_MARKS = ("#| export", "#|export", "# export", "#export")


class NotebookError(Exception):
    """A notebook that cannot be read or holds no code to grade (the message says what to do)."""


@dataclass(frozen=True)
class GradedCode:
    """The module built from a notebook, and which cells it came from."""

    source: str
    cells: tuple[int, ...]  # 1-based indices among the notebook's code cells
    how: str  # "export marks" | "definitions"


def read_notebook_cells(path: Path) -> list[str]:
    """The sources of the code cells of an .ipynb file, in order."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotebookError(f"{path} cannot be read as a notebook ({exc})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{path} is not a Jupyter notebook (no list of cells)")
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get("source", "")
            sources.append("".join(text) if isinstance(text, list) else str(text))
    return sources


def graded_code(sources: list[str]) -> GradedCode:
    """The module to grade from code cells (see the module docstring for which cells count)."""
    marked = [i for i, text in enumerate(sources) if _export_marked(text)]
    parts, used = [], []
    if marked:
        for i in marked:
            parts.append(f"# %% cell {i + 1}\n{_python_only(_without_mark(sources[i]))}")
            used.append(i + 1)
        how = "export marks"
    else:
        for i, text in enumerate(sources):
            kept = _definitions(_python_only(text))
            if kept.strip():
                parts.append(f"# %% cell {i + 1}\n{kept}")
                used.append(i + 1)
        how = "definitions"
    if not parts:
        raise NotebookError("the notebook has no code to grade: write your solution in code cells "
                            "(mark them with `#| export` on their first line to choose exactly which)")
    return GradedCode("\n\n".join(parts).rstrip() + "\n", tuple(used), how)


def _export_marked(text: str) -> bool:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first.lower() in EXPORT_MARKS or first.lower().startswith("#| export")


def _without_mark(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            return "\n".join(lines[:i] + lines[i + 1:])
    return text


def _python_only(text: str) -> str:
    """The cell without IPython syntax: a %%cell magic drops the cell, %line magics and !shell lines go."""
    if text.lstrip().startswith("%%"):
        return ""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def _definitions(text: str) -> str:
    """Only the top-level imports, functions, classes and constant assignments of a cell."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text  # graded as it is: the learner sees the syntax error with its line
    lines = text.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or _constant_assignment(node):
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            kept.append("\n".join(lines[start - 1:node.end_lineno]))
    return "\n".join(kept)


def _constant_assignment(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    return all(isinstance(part, (ast.Constant, ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Lambda, ast.UnaryOp, ast.BinOp))
               and not any(isinstance(inner, ast.Call) for inner in ast.walk(part)) for part in [node.value])


def prepare_root(code: GradedCode, exercise_id: str, workspace_root: Path, into: Path) -> Path:
    """A grading root holding the notebook's module as <exercise>.py beside copies of the
    workspace's other .py files (an exercise may build on another); the module's path."""
    for folder, subfolders, files in os.walk(workspace_root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                source = Path(folder) / name
                target = into / source.relative_to(workspace_root)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
    module = into / (exercise_id + ".py")
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(code.source, encoding="utf-8")
    return module


# -- the magic ---------------------------------------------------------------------------------------
def load_ipython_extension(ipython) -> None:
    """`%load_ext mldojo` registers `%grade`."""
    ipython.register_magic_function(grade_magic, magic_kind="line", magic_name="grade")


def grade_magic(line: str):
    """`%grade stage2/micrograd [--workspace PATH] [--seed N]`: grade the cells this kernel ran."""
    from IPython import get_ipython
    from IPython.display import HTML

    shell = get_ipython()
    history = [text for text in shell.user_ns.get("In", [])[1:] if not _is_grade_call(text)]
    with tempfile.TemporaryDirectory(prefix="mldojo-notebook-") as folder:
        notebook = Path(folder) / "session.ipynb"
        notebook.write_text(json.dumps(as_notebook(history)), encoding="utf-8")
        command = [sys.executable, "-P", "-m", "mldojo.cli", "check", *line.split(), "--notebook", str(notebook), "--json"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=os.getcwd())
    try:
        result = json.loads(done.stdout)
    except ValueError:
        message = (done.stderr or done.stdout).strip() or f"grade exited with {done.returncode}"
        return HTML(f"<pre style='color:#b00'>{html.escape(message)}</pre>")
    return HTML(report_html(result))


def _is_grade_call(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith(("%grade", "get_ipython().run_line_magic('grade'", "%load_ext", "get_ipython().run_line_magic('load_ext'"))


def as_notebook(sources: list[str]) -> dict:
    """Code cells as a minimal nbformat 4 notebook."""
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text} for text in sources]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


VERDICT_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "not_implemented": "#9a6700", "skipped": "#57606a"}


def report_html(result: dict) -> str:
    """A grading's JSON (grade ID --json) as an HTML table for the notebook."""
    exercise = html.escape(str(result.get("exercise", "")))
    verdict = str(result.get("verdict", ""))
    colour = VERDICT_COLOURS.get(verdict, "#cf222e")
    checks = result.get("checks") or []
    passed = sum(1 for c in checks if c.get("verdict") == "passed")
    rows = []
    for check in checks:
        mark = {"passed": "✓", "not_implemented": "…", "skipped": "·"}.get(check.get("verdict"), "✗")
        tint = VERDICT_COLOURS.get(check.get("verdict"), "#cf222e")
        detail = ""
        if check.get("verdict") != "passed":
            parts = [check.get("message", "")]
            if check.get("inputs"):
                parts.append("on this input:\n" + check["inputs"])
            if check.get("diagnosis"):
                parts.append("Diagnosis: " + check["diagnosis"])
            if check.get("traceback"):
                parts.append(check["traceback"])
            if check.get("printed"):
                parts.append("your code printed:\n" + check["printed"])
            detail = f"<pre style='margin:4px 0;white-space:pre-wrap'>{html.escape(chr(10).join(p for p in parts if p))}</pre>"
        rows.append(f"<tr><td style='color:{tint}'>{mark}</td><td><code>{html.escape(check.get('name', ''))}</code>"
                    f"<div style='color:#57606a'>{html.escape(check.get('claim', ''))}</div>{detail}</td>"
                    f"<td style='text-align:right'>{float(check.get('duration_s', 0)):.2f} s</td></tr>")
    problem = f"<pre style='white-space:pre-wrap'>{html.escape(result['problem'])}</pre>" if result.get("problem") else ""
    graded = result.get("notebook") or {}
    cells = ", ".join(str(c) for c in graded.get("cells", []))
    origin = f"<div style='color:#57606a'>graded: code cells {cells} ({html.escape(graded.get('how', ''))})</div>" if cells else ""
    sandbox = "" if result.get("sandboxed") is not False else "<div style='color:#9a6700'>unsandboxed (`grade doctor` says why)</div>"
    recorded = "" if result.get("recorded", True) else "<div style='color:#9a6700'>not recorded in the tracker</div>"
    summary = f"{passed} of {len(checks)} checks passed — " if checks else ""
    return (f"<div class='mldojo-report'><b>{exercise}</b>: <b style='color:{colour}'>{summary}{html.escape(verdict.replace('_', ' '))}</b>"
            f"{origin}{sandbox}{recorded}{problem}<table>{''.join(rows)}</table></div>")
