"""The stub's stated defaults, kept: a check read from the two files, never run.

A stub's signatures are part of the exercise's API (`LinearRegression(lr=0.01, n_iter=1000)`,
`KNNClassifier(k=5)`): code written against it, the learner's own later exercises and the
TUI's examples call it with those defaults. The graders call with explicit arguments, so a
changed default would otherwise pass unseen (mutation testing found these survivors in every
exercise with defaults). Only literal defaults are compared (numbers, strings, None, True,
tuples and lists of them, and arithmetic on numbers such as `3 * 32 * 32`); a parameter the
learner renamed, dropped, or gave a computed default is left to the behavioural checks, so this
check cannot fail a correct solution that is merely written differently. In an exercise with a
training task the defaults of the learner's training code (epochs, learning rate) are theirs to
tune: there the check covers only the functions its grader lists in API_DEFAULTS (the model's
constructors, say), and none when it lists none. Exercises whose stub states no literal default
do not get the check.
"""

from __future__ import annotations

import ast
import operator
import time
from pathlib import Path

from mldojo.graders.engine import results as R
from mldojo.graders.engine import source
from mldojo.graders.engine.results import CheckOutcome

NAME = "keeps_the_stubs_stated_defaults"
CLAIM = "Every parameter keeps the default value the stub gives it (e.g. lr=0.01 stays 0.01)."
_MISSING = object()


def stub_file(exercise: str) -> Path:
    """The shipped stub of an exercise."""
    from importlib import resources

    return Path(str(resources.files("mldojo.exercises").joinpath(exercise + ".py")))


def literal_defaults(tree: ast.Module) -> dict[str, dict[str, object]]:
    """{qualified function name: {parameter: literal default}} for the module's functions and methods, and
    {class name: {field: literal default}} for classes with annotated fields (dataclasses)."""
    found: dict[str, dict[str, object]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                fields = _field_defaults(child)
                if fields:  # a dataclass's `name: type = value` fields are its constructor's defaults
                    found[prefix + child.name] = fields
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + child.name] = _defaults_of(child.args)

    visit(tree, "")
    return found


def _field_defaults(cls: ast.ClassDef) -> dict[str, object]:
    """{field: literal default} of the class body's annotated assignments (`block_size: int = 1024`)."""
    fields = {}
    for statement in cls.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value is not None:
            try:
                fields[statement.target.id] = ast.literal_eval(statement.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                fields[statement.target.id] = constant_arithmetic(statement.value)
    return fields


def _defaults_of(args: ast.arguments) -> dict[str, object]:
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    defaults = {}
    for arg, node in pairs:
        try:
            defaults[arg.arg] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            defaults[arg.arg] = constant_arithmetic(node)  # 3 * 32 * 32, else _MISSING (computed: not compared)
    return defaults


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
              ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Invert: operator.invert}
MAX_BITS = 4096  # the learner's file is untrusted: 9 ** 9 ** 9 must not stall the judge


def constant_arithmetic(node: ast.AST):
    """The value of arithmetic on number literals (`3 * 32 * 32` is 3072), or _MISSING for anything else
    or anything that would grow past MAX_BITS."""
    try:
        return _evaluate(node)
    except (ArithmeticError, TypeError, ValueError):
        return _MISSING


def _evaluate(node: ast.AST):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if not (isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS):
        raise ValueError("not arithmetic on numbers")
    left, right = _evaluate(node.left), _evaluate(node.right)
    # Refuse before computing: a huge power or shift would take the judge's time, not raise.
    if isinstance(node.op, ast.Pow) and isinstance(left, int) and abs(left) > 1 and right * abs(left).bit_length() > MAX_BITS:
        raise OverflowError("too large")
    if isinstance(node.op, ast.LShift) and right > MAX_BITS:
        raise OverflowError("too large")
    value = _OPERATORS[type(node.op)](left, right)
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise OverflowError("too large")
    return value


def same_default(stated, written) -> bool:
    """Equal as values: 1e-2 == 0.01 and (0.9, 0.999) == [0.9, 0.999], but 1 is not True and 0 is not None."""
    if isinstance(stated, (tuple, list)) and isinstance(written, (tuple, list)):
        return len(stated) == len(written) and all(same_default(a, b) for a, b in zip(stated, written))
    if isinstance(stated, bool) or isinstance(written, bool) or stated is None or written is None:
        return stated is written
    if isinstance(stated, (int, float)) and isinstance(written, (int, float)):
        return stated == written
    return type(stated) is type(written) and stated == written


def has_stated_defaults(exercise: str, functions: tuple[str, ...] | None = None) -> bool:
    """True when the exercise's stub gives some parameter a literal default (else the check could not fail);
    `functions`: only in these (qualified names, e.g. 'ResNet.__init__')."""
    try:
        stated = literal_defaults(source.parse(stub_file(exercise)))
    except (OSError, SyntaxError, ValueError, source.FileRefused):
        return False
    return any(value is not _MISSING for function, defaults in stated.items() if functions is None or function in functions
               for value in defaults.values())


def changed_defaults(stub: ast.Module, learner: ast.Module, functions: tuple[str, ...] | None = None) -> list[str]:
    """One line per literal default of the stub that the learner's file states differently (`functions`: only these)."""
    written = literal_defaults(learner)
    lines = []
    for function, stated in literal_defaults(stub).items():
        if functions is not None and function not in functions:
            continue
        for parameter, value in stated.items():
            theirs = written.get(function, {}).get(parameter, _MISSING)
            if value is _MISSING or theirs is _MISSING or same_default(value, theirs):
                continue
            lines.append(f"{function}({parameter}={theirs!r}): the stub says {parameter}={value!r}")
    return lines


def stated_defaults_outcome(exercise: str, learner_file: Path, root: Path | None, unwritten: list[str],
                            earlier: list[CheckOutcome] = (), functions: tuple[str, ...] | None = None) -> CheckOutcome:
    """The check's outcome: not implemented while something is unwritten (a function of this file,
    or what an earlier check found unwritten, such as the tree a forest builds on), else failed
    on a changed default."""
    started = time.perf_counter()
    outcome = CheckOutcome(NAME, CLAIM, R.PASSED)
    waiting = [o for o in earlier if o.verdict == R.NOT_IMPLEMENTED]
    if unwritten or waiting:
        outcome.verdict = R.NOT_IMPLEMENTED
        # The first thing still to write, as the earlier checks said it ("stage1/tree first ...").
        outcome.message = (f"checked once every function is written ({', '.join(unwritten)} still raise NotImplementedError)"
                           if unwritten else waiting[0].message)
    else:
        try:
            changed = changed_defaults(source.parse(stub_file(exercise)), source.parse(learner_file, root), functions)
        except (OSError, SyntaxError, ValueError, source.FileRefused):
            changed = []  # a file that cannot be read again is reported by the other checks
        if changed:
            outcome.verdict = R.FAILED
            outcome.message = ("a default value differs from the one the stub states; code that calls your functions "
                               "without that argument (your later exercises, a study partner's) expects the stated one:\n  "
                               + "\n  ".join(changed))
    outcome.duration_s = time.perf_counter() - started
    return outcome
