"""Argument-ignoring mutants: the reference with one parameter of the stub's API ignored.

cosmic-ray has no operator for this, so this module is our own small AST-based generator.
For each public function and method the stub of an exercise declares (exercises/<id>.py,
read with `ast`, never imported), and for each of its parameters, one mutant of the
reference rebinds that parameter on entry to the function:

    def fit(self, X, y, lr=0.01):
        \"\"\"...\"\"\"
        lr = 0.01  # ignore-argument mutant: lr ignored
        ...

so every use of the parameter in the body sees the stub's default value instead of the
caller's (rebinding on entry, rather than substituting each use, keeps a body that later
reassigns the parameter, `X = np.asarray(X)`, meaning the same thing). A parameter without
a default gets a plausible constant chosen by its name (PLAUSIBLE below); when none fits
(arrays, models, callables) no mutant is made for it and the reason is kept.

A learner who forgets to use an argument writes exactly this bug; the DESIGN asks that
"every argument ... the stub states is exercised where ignoring it would show".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

OPERATOR = "ignore-argument"

# Constants for parameters without a default, by name: what a learner who ignores the
# argument most likely hard-codes (sklearn's or the course's usual value, or the neutral one).
PLAUSIBLE = {
    "b": "0.0",  # a bias / intercept forgotten
    "mean": "0.0",  # a mean never added back
    "alpha": "1.0",
    "gamma": "1.0",
    "t": "0.0",  # a threshold never applied
    "k": "2",
    "n_splits": "5",
    "exponent": "2",
    "epochs": "1",
    "batch_size": "32",
    "lr": "0.01",
    "num_heads": "1",
    "rng": "np.random.default_rng(0)",  # the function's own generator instead of the caller's
}
# (exercise, parameter) pairs whose name misleads PLAUSIBLE: attention's k is the key tensor.
NOT_SCALAR = {("stage3/attention", "k")}
SKIPPED_PARAMETERS = {"self", "cls"}


@dataclass(frozen=True)
class ArgumentMutant:
    """One parameter ignored in one function of the reference."""

    function: str  # "LinearRegression.fit" or "mse_grad"
    parameter: str
    value: str  # the source text the parameter is rebound to
    line: int  # the reference's line the rebinding is inserted before
    source: str  # the whole mutated module

    @property
    def before(self) -> str:
        """The mutant's 'before' text: which argument of which function."""
        return f"{self.function}({self.parameter})"

    @property
    def after(self) -> str:
        """The mutant's 'after' text: the inserted rebinding."""
        return f"{self.parameter} = {self.value}"


def public_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Module-level public functions and the methods of public classes, by qualified name."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                # Dunders are API too (__init__'s hyperparameters, micrograd's operators).
                public = not item.name.startswith("_") or (item.name.startswith("__") and item.name.endswith("__"))
                if public:
                    found[f"{node.name}.{item.name}"] = item
    return found


def parameters_with_defaults(function: ast.FunctionDef) -> list[tuple[str, str | None]]:
    """(name, default source or None) for every named parameter, in order."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    return [(arg.arg, None if default is None else ast.unparse(default)) for arg, default in pairs]


def replacement(exercise: str, name: str, default: str | None) -> str | None:
    """What the ignored parameter is rebound to: its default, a plausible constant, or None."""
    if default is not None:
        return default
    if (exercise, name) in NOT_SCALAR:
        return None
    return PLAUSIBLE.get(name)


def body_start(function: ast.FunctionDef) -> tuple[int, str] | None:
    """(line to insert before, indentation) for the first statement after the docstring."""
    body = function.body
    first = body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    if first.lineno == function.lineno:
        return None  # a one-line `def f(x): ...`: no line of its own to insert before
    line = first.end_lineno + 1 if has_docstring else first.lineno
    return line, " " * first.col_offset


def insert_line(text: str, line: int, new: str) -> str:
    """`text` with `new` inserted as line number `line` (1-based)."""
    lines = text.splitlines(keepends=True)
    lines.insert(line - 1, new + "\n")
    return "".join(lines)


def reference_function(tree: ast.Module, qualname: str) -> ast.FunctionDef | None:
    """The reference's definition of a stub function, following class bases within the module."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    owner, _, method = qualname.rpartition(".")
    if not owner:
        return functions.get(method)
    pending, seen = [owner], set()
    while pending:  # depth-first through the bases, as Python's MRO does for single inheritance
        name = pending.pop(0)
        if name in seen or name not in classes:
            continue
        seen.add(name)
        for item in classes[name].body:
            if isinstance(item, ast.FunctionDef) and item.name == method:
                return item
        pending[:0] = [base.id for base in classes[name].bases if isinstance(base, ast.Name)]
    return None


def argument_mutants(exercise: str, stub: Path, reference: Path) -> tuple[list[ArgumentMutant], list[str]]:
    """The mutants for every parameter of the stub's API, and a line per parameter skipped (why)."""
    stub_functions = public_functions(ast.parse(stub.read_text()))
    text = reference.read_text()
    tree = ast.parse(text)
    made, skipped, done = [], [], {}
    for qualname, stub_function in stub_functions.items():
        ref_function = reference_function(tree, qualname)
        for name, default in parameters_with_defaults(stub_function):
            if name in SKIPPED_PARAMETERS:
                continue
            where = f"{qualname}({name})"
            if ref_function is None:
                skipped.append(f"{where}: the reference has no {qualname}")
                continue
            if name not in {n for n, _ in parameters_with_defaults(ref_function)}:
                skipped.append(f"{where}: the reference's {qualname} has no parameter {name}")
                continue
            key = (ref_function.lineno, name)
            if key in done:  # a method the reference's classes share (a common base class)
                skipped.append(f"{where}: the same reference code as {done[key]}")
                continue
            value = replacement(exercise, name, default)
            if value is not None and value.startswith("np.") and "import numpy as np" not in text:
                value = None  # the constant needs NumPy under the name np
            start = body_start(ref_function)
            if value is None or start is None:
                skipped.append(f"{where}: no default and no plausible constant" if start else f"{where}: one-line function")
                continue
            line, indent = start
            source = insert_line(text, line, f"{indent}{name} = {value}  # ignore-argument mutant: {name} ignored")
            made.append(ArgumentMutant(qualname, name, value, line, source))
            done[key] = where
    return made, skipped
