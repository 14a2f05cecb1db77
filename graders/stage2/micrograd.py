"""Grader for stage2/micrograd: a scalar autograd `Value` with micrograd's interface.

Each operation is checked on its own first, against formulas from the math module, so a
missing or wrong operation is named by its check; every operator, its reflected form and
every kind of exponent is a fixed example tried on every grading. Then gradients through
chains, through reused Values, through each operation fed into a multiplication (so its
backward step must multiply by out.grad and add into .grad), through random expression
DAGs with shared sub-expressions (against PyTorch in float64), and through a chain 2,000
operations deep. PyTorch's answers come from `simulate` with no mistake: importing torch was
a third of a cold `grade stage2/micrograd`, and tests/test_stage2_micrograd.py proves simulate
equal to torch autograd on this grader's own programs (values to 1e-14, gradients to 1e-12,
against its tolerances of 1e-12 and 1e-9; the chains exactly).

A diagnosis names a known mistake only when the grader's wrong evaluator gives the
learner's answer, differs from the right one there, and gives the learner's answer again
on a second program of the same shape with other leaf values (second_program).

The learner's Value only ever runs in the learner process: the trusted driver
(micrograd_driver.run_program) builds a program out of it there and sends back plain
numbers. Diagnoses come from small wrong evaluators of the same program, run here.

Grader-local helpers (the kit has no equivalent): `Program` shows a program as Python in a
counterexample; `simulate` is a pure-Python micrograd that can make the classic mistakes
(and perturb every rounding, which `well_conditioned` uses to keep only programs whose
float64 answers are stable to far below the tolerances).
"""

from __future__ import annotations

import math
import random
import zlib

from hypothesis import assume
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, check, example, fail, given, relative_error
from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL
from mldojo.graders.kit import expressions
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.strategies import expression_dags, grid_floats

VERSION = "2"
DRIVER = "mldojo.graders.stage2.micrograd_driver:run_program"
VALUE_RTOL = 1e-12  # .data against the math module / PyTorch, relative
GRAD_MAX_RELATIVE_ERROR = 1e-9  # .grad, CS231n relative error |a-b| / max(|a|+|b|, 1e-8)
NUMBER_OPS = {"addk": "+", "subk": "-", "mulk": "*", "divk": "/"}  # node <op> plain number
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "radd": "+", "rsub": "-", "rmul": "*", "rdiv": "/", **NUMBER_OPS}
DUNDERS = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__", "neg": "__neg__",
           "radd": "__radd__", "rsub": "__rsub__", "rmul": "__rmul__", "rdiv": "__rtruediv__",
           "addk": "__add__", "subk": "__sub__", "mulk": "__mul__", "divk": "__truediv__"}


# -- programs, shown as Python -------------------------------------------------------------
class Program:
    """An expression program (kit expressions format, plus NUMBER_OPS), readable in a report."""

    def __init__(self, nodes, backward: bool = True):
        self.nodes = [tuple(node) for node in nodes]
        self.backward = backward

    @property
    def leaves(self) -> list[float]:
        """The leaf values, in order."""
        return [float(node[1]) for node in self.nodes if node[0] == "leaf"]

    def describe_for_learner(self) -> dict:
        return {"program": _Listing(describe(self.nodes, self.backward))}

    def __repr__(self) -> str:
        return describe(self.nodes, self.backward)


class _Listing(str):
    """Program text that formatting.show prints as is, starting on a line of its own."""

    def __repr__(self) -> str:
        return "\n" + self


name = expressions.node_name


def describe(nodes, backward: bool = True) -> str:
    """The program as Python (kit expressions.describe, extended with `v + 2.0` style nodes)."""
    standard = [("leaf", 0.0) if node[0] in NUMBER_OPS else node for node in nodes]
    lines = expressions.describe(standard).splitlines()
    for i, node in enumerate(nodes):
        if node[0] in NUMBER_OPS:
            lines[i] = f"{name(i)} = {name(node[1])} {SYMBOLS[node[0]]} {node[2]!r}"
    return "\n".join(lines if backward else lines[:-1])


# -- running the learner's Value -------------------------------------------------------------
def run(learner, program: Program) -> tuple[list[float], list[float], list[float]]:
    """The learner's .data and .grad of every node (before and after backward)."""
    reply = learner._drive(DRIVER, program.nodes, backward=program.backward)
    if not isinstance(reply, dict) or not {"values", "grads", "grads_before", "problem"} <= set(reply):
        fail(f"the grader could not read your Values' .data and .grad (it got {show(reply)})")
    if reply["problem"]:
        node = reply.get("node")
        op = program.nodes[node][0] if isinstance(node, int) and 0 <= node < len(program.nodes) else None
        fail(str(reply["problem"]) + _problem_hint(str(reply["problem"]), op))
    n = len(program.nodes)
    lists = [reply["values"], reply["grads_before"], reply["grads"]]
    if not all(isinstance(x, list) and len(x) == n and all(isinstance(v, float) for v in x) for x in lists):
        fail("the grader could not read your Values' .data and .grad (malformed reply)")
    for attribute, numbers in (("data", reply["values"]), ("grad", reply["grads"])):
        for i, number in enumerate(numbers):
            if not math.isfinite(number):
                fail(f"{name(i)}.{attribute} is {number} — an overflow or a division by zero?", numbers)
    return reply["values"], reply["grads_before"], reply["grads"]


def _problem_hint(problem: str, op: str | None) -> str:
    if "unsupported operand" not in problem or op is None:
        return ""
    method = DUNDERS.get(op, "the operator")
    if op in expressions.REFLECTED_OPS:
        return (f"\n  Python first asks the plain number to do it; a float knows nothing of your Value, "
                f"so Python then calls {method} on the Value, with the number as `other`. Define {method}.")
    return f"\n  Define {method} on your Value class."


def expect(learner, program: Program, values, grads, mistakes=()) -> None:
    """The learner's .data and .grad of every node equal `values` and `grads`."""
    got_values, _, got_grads = run(learner, program)
    compare_values(program, got_values, values, mistakes, "the math module's results", learner=learner)
    compare_grads(program, got_grads, grads, mistakes, "the derivative formulas", learner=learner)


def compare_values(program: Program, got, want, mistakes=(), source="PyTorch (float64)", note="", learner=None) -> None:
    """Every node's .data equals the expected value to VALUE_RTOL (relative)."""
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not abs(g - w) <= VALUE_RTOL * abs(w)]
    if not bad:
        return
    rows = [f"  {name(i)}.data: got {show(got[i])}, expected {show(float(want[i]))}" for i in bad[:6]]
    more = f"\n  … and {len(bad) - 6} more" if len(bad) > 6 else ""
    fail(
        f"some .data differ from {source}:\n" + "\n".join(rows) + more
        + f"\n  (tolerance: relative {VALUE_RTOL:g}; {name(bad[0])} is the first wrong one, look at the operation that made it)"
        + note,
        got,
        diagnoses(program, mistakes, "values", learner),
        passes=lambda values: len(values) == len(want) and all(abs(g - w) <= VALUE_RTOL * abs(w) for g, w in zip(values, want)),
    )


def compare_grads(program: Program, got, want, mistakes=(), source="PyTorch (float64)", note="", learner=None) -> None:
    """Every node's .grad after backward equals the expected gradient (relative error)."""
    errors = relative_error(got, want)
    bad = [i for i, e in enumerate(errors) if not e <= GRAD_MAX_RELATIVE_ERROR]
    if not bad:
        return
    out = name(len(program.nodes) - 1)
    rows = [f"  {name(i)}.grad: got {show(got[i])}, expected {show(float(want[i]))}" for i in bad[:6]]
    more = f"\n  … and {len(bad) - 6} more" if len(bad) > 6 else ""
    fail(
        f"after {out}.backward(), some gradients differ from {source}:\n" + "\n".join(rows) + more
        + f"\n  (largest relative error {float(errors.max()):.2e}; allowed {GRAD_MAX_RELATIVE_ERROR:g}, "
        f"relative error = |a-b| / max(|a|+|b|, 1e-8))" + note,
        got,
        diagnoses(program, mistakes, "grads", learner),
        passes=lambda grads: len(grads) == len(want) and bool((relative_error(grads, want) <= GRAD_MAX_RELATIVE_ERROR).all()),
    )


# -- known mistakes, as wrong evaluators -----------------------------------------------------
MISTAKES = {
    "no_seed": "every gradient stayed 0: backward() must first set the output's own grad to 1 "
    "(d out/d out = 1); there is nothing to push back otherwise.",
    "overwrite": "a Value used more than once kept only one of its gradient contributions: each operation's "
    "backward step must add to the inputs' grad (`+=`), not assign it (`=`).",
    "topo_not_reversed": "gradients were pushed from the leaves towards the output, so each node passed its grad on "
    "before any had arrived: run the backward steps in reverse topological order, the output first.",
    "recursive": "a Value feeding several others passed its gradient on more than once, before all of its uses "
    "had contributed (walking from each node straight into its children is right only for trees): order the "
    "whole graph topologically first, then run each node's backward step exactly once, output first.",
    "mul_swapped": "in c = a * b, a.grad gets b.data * c.grad and b.grad gets a.data * c.grad: "
    "each input's gradient uses the other input's value.",
    "sub_sign": "in c = a - b, b.grad gets -c.grad: the minus sign is missing.",
    "neg_sign": "in b = -a, a.grad gets -b.grad: the minus sign is missing.",
    "div_sign": "in c = a / b, b.grad gets -a / b**2 * c.grad: the sign is wrong (if you wrote a / b as "
    "a * b**-1, look at the factor k in the derivative of x**k).",
    "pow_missing_exponent": "the derivative of x**k is k * x**(k-1): the factor k is missing.",
    "pow_not_decremented": "the derivative of x**k is k * x**(k-1): the exponent must drop by one.",
    "exp_uses_input": "the derivative of exp(x) is exp(x) itself (the output's .data), not x.",
    "tanh_1_minus_t": "the derivative of tanh is 1 - t**2 with t = tanh(x), not 1 - t.",
    "tanh_uses_input": "the derivative of tanh is 1 - t**2 with t = tanh(x), the output; you squared the input x.",
    "relu_passes_negative": "relu passed the gradient through where its input was negative: its local "
    "derivative is 1 where x > 0 and 0 where x < 0.",
    "relu_passes_at_zero": "relu passed the gradient through at exactly x = 0: its derivative there is taken "
    "as 0, as PyTorch's relu does, so test x > 0 (not x >= 0).",
    "rsub_reversed": "`k - v` (a plain number on the left) computed v - k: in __rsub__(self, other), "
    "`other` is the number on the left.",
    "rdiv_reversed": "`k / v` (a plain number on the left) computed v / k: in __rtruediv__(self, other), "
    "`other` is the numerator.",
}
# The operations of one dunder method: a learner's mistake in __mul__ shows in a * b, 2 * a and a * 2.
FAMILY = {"add": "add", "radd": "add", "addk": "add", "sub": "sub", "rsub": "sub", "subk": "sub",
          "mul": "mul", "rmul": "mul", "mulk": "mul", "div": "div", "rdiv": "div", "divk": "div",
          "pow": "pow", "neg": "neg", "exp": "exp", "tanh": "tanh", "relu": "relu"}
SHOWN = {"add": "+ (__add__)", "sub": "- (__sub__)", "mul": "* (__mul__)", "div": "/ (__truediv__)",
         "pow": "** (__pow__)", "neg": "unary - (__neg__)", "exp": "exp()", "tanh": "tanh()", "relu": "relu()"}
ORDER_DEPENDENT = {"overwrite", "topo_not_reversed", "recursive"}
VALUE_MISTAKES = {"rsub_reversed", "rdiv_reversed"}
# Order matters where two mistakes give the same answer: leaves-first order is wrong on any
# chain, `=` only where a Value is reused, so the first is tried first.
GRAPH_MISTAKES = ("no_seed", "topo_not_reversed", "overwrite", "recursive")


def message_of(mistake: str) -> str:
    """What to tell the learner about a mistake ("no_chain:tanh" and "overwrite:pow" name one operation)."""
    kind, _, family = mistake.partition(":")
    if kind == "no_chain":
        return (f"the backward step of {SHOWN[family]} does not multiply its local derivative by out.grad: by the "
                f"chain rule each input gets (local derivative) * out.grad, which only looks right when out.grad is 1.")
    return MISTAKES[kind]  # overwrite:<op> says the same as overwrite everywhere


def per_operation_mistakes(program: Program) -> list[str]:
    """A missing chain-rule factor or an `=` in the backward step of each operation in the program."""
    families = dict.fromkeys(FAMILY[node[0]] for node in program.nodes if node[0] in FAMILY)
    return [f"{kind}:{family}" for family in families for kind in ("no_chain", "overwrite")]


def diagnoses(program: Program, mistakes, kind: str, learner=None) -> list[Diagnosis]:
    """One Diagnosis per mistake (and per child order, where the order changes the answer); with
    the learner, each is confirmed on a second program of the same shape with other leaf values."""
    names = [m for m in (*mistakes, *GRAPH_MISTAKES) if kind == "grads" or m in VALUE_MISTAKES]
    found = []
    for mistake in dict.fromkeys(names):
        order_dependent = mistake.partition(":")[0] in ORDER_DEPENDENT
        for flip in (False, True) if order_dependent else (False,):
            confirm = None if learner is None else _confirmation(learner, program, mistake, flip, kind)
            found.append(Diagnosis(message_of(mistake), _wrong_answer(program, mistake, flip, kind), confirm))
    return found


def _wrong_answer(program: Program, mistake: str, flip: bool, kind: str):
    def answer():
        index = 0 if kind == "values" else 1
        if not _visible(program.nodes, mistake, flip, kind):
            raise ValueError("this mistake makes no difference here")  # skipped by the kit
        if kind == "grads" and _visible(program.nodes, mistake, flip, "values"):
            # Gradients are compared only once every .data is right: a mistake that changes
            # a value cannot be what went wrong with them.
            raise ValueError("this mistake would have shown in .data first")
        return simulate(program.nodes, mistake, flip)[index]

    return answer


def _visible(nodes, mistake: str, flip: bool, kind: str) -> bool:
    """True when the mistake changes some value (kind 'values') or gradient beyond the tolerances."""
    right, wrong = simulate(nodes), simulate(nodes, mistake, flip)
    if kind == "values":
        return any(not abs(w - r) <= VALUE_RTOL * abs(r) for w, r in zip(wrong[0], right[0]))
    return any(_relative_error(w, r) > GRAD_MAX_RELATIVE_ERROR for w, r in zip(wrong[1], right[1]))


def _confirmation(learner, program: Program, mistake: str, flip: bool, kind: str):
    """confirm() for a Diagnosis: on a second program, the learner's answer is the mistake's
    again, and the mistake is visible there (so a coincidence on a degenerate input proves nothing)."""
    # The order in which a node's children are visited is the learner's (a set's order, for
    # instance, changes from one object to the next): on the second program either order counts.
    flips = (flip, not flip) if mistake.partition(":")[0] in ORDER_DEPENDENT else (flip,)

    def confirm() -> bool:
        second = second_program(program, mistake, flip, kind)
        if second is None:
            return False
        got_values, _, got_grads = run(learner, second)
        got = got_values if kind == "values" else got_grads
        for other in flips:
            wrong = simulate(second.nodes, mistake, other)[0 if kind == "values" else 1]
            if len(got) == len(wrong) and all(abs(g - w) <= MATCH_ATOL + MATCH_RTOL * abs(w) for g, w in zip(got, wrong)):
                return True
        return False

    return confirm


SECOND_FACTORS = (1.25, 0.75, 1.5, 0.625)


def second_program(program: Program, mistake: str, flip: bool, kind: str) -> Program | None:
    """The same program with other leaf values (all leaves, or the first or the last one, scaled),
    fair to grade, with every relu on the same side of 0, where the mistake changes the answer."""
    if mistake == "relu_passes_at_zero":  # only an input of exactly 0 shows it: reach 0 another way (exact)
        return Program([("leaf", 1.25), ("leaf", -1.25), ("add", 0, 1), ("relu", 2)], program.backward)
    leaves = [i for i, node in enumerate(program.nodes) if node[0] == "leaf"]
    if not leaves:
        return None
    for factor in SECOND_FACTORS:
        for scaled in (leaves, leaves[:1], leaves[-1:]):
            nodes = [("leaf", node[1] * factor) if i in scaled else node for i, node in enumerate(program.nodes)]
            if _same_branches(program.nodes, nodes) and well_conditioned(nodes) and _visible(nodes, mistake, flip, kind):
                return Program(nodes, program.backward)
    return None


def _same_branches(before, after) -> bool:
    """Both programs are in the domain (no division by ~0, no fractional power of x <= 0.25) and
    take the same relu branches."""
    try:
        old, new = simulate(before)[0], simulate(after)[0]
    except (ArithmeticError, ValueError, TypeError):
        return False
    if any(isinstance(v, complex) or not math.isfinite(v) or abs(v) > 1e4 for v in new):
        return False
    for node in after:
        op = node[0]
        if op in ("div", "divk", "rdiv"):
            denominator = new[node[2]] if op in ("div", "rdiv") else node[2]
            if abs(denominator) < 0.25:
                return False
        elif op == "pow" and (node[2] < 0 or not float(node[2]).is_integer()) and abs(new[node[1]]) < 0.25:
            return False
        elif op == "pow" and not float(node[2]).is_integer() and new[node[1]] <= 0:
            return False
        elif op == "relu" and ((old[node[1]] > 0) != (new[node[1]] > 0) or abs(new[node[1]]) < 1e-6):
            return False
        elif op == "exp" and new[node[1]] > 8:
            return False
    return True


def simulate(nodes, mistake: str | None = None, flip: bool = False, perturb=None) -> tuple[list[float], list[float]]:
    """A pure-Python micrograd: every node's value and gradient, optionally with a known
    `mistake`, children visited in reverse order (`flip`), and `perturb(x, kind)` applied to
    every rounded result (kind: "value", "tanh", "local", "grad")."""
    p = perturb or (lambda x, kind: x)
    values: list[float] = []
    locals_: list[list[tuple[int, float]]] = []  # (child, d node / d child)
    for node in nodes:
        value, _ = _local(node, values, mistake)
        if node[0] != "leaf":
            value = p(value, "tanh" if node[0] == "tanh" else "value")
        # Local derivatives read the (possibly perturbed) values, as the learner's closures do.
        locals_.append([(c, p(d, "local")) for c, d in _local(node, values, mistake, value)[1]])
        values.append(value)
    grads = [0.0] * len(nodes)
    if mistake == "no_seed" or not nodes:
        return values, grads
    out = len(nodes) - 1
    grads[out] = 1.0

    kind, _, family = (mistake or "").partition(":")
    here = [not family or FAMILY.get(node[0]) == family for node in nodes]  # where a per-operation mistake acts

    def push(i: int) -> None:
        for child, d in locals_[i]:
            contribution = d if kind == "no_chain" and here[i] else d * grads[i]
            assign = kind == "overwrite" and here[i]
            grads[child] = contribution if assign else p(grads[child] + contribution, "grad")

    def children(i: int) -> list[int]:
        unique = list(dict.fromkeys(c for c, _ in locals_[i]))
        return unique[::-1] if flip else unique

    if mistake == "recursive":  # node, then each child, recursively (with an explicit stack)
        stack = [out]
        while stack:
            i = stack.pop()
            push(i)
            stack.extend(reversed(children(i)))
        return values, grads
    order, seen, stack = [], set(), [(out, False)]  # post-order DFS: children before parents
    while stack:
        i, expanded = stack.pop()
        if expanded:
            order.append(i)
        elif i not in seen:
            seen.add(i)
            stack.append((i, True))
            stack.extend((c, False) for c in reversed(children(i)) if c not in seen)
    for i in order if mistake == "topo_not_reversed" else reversed(order):
        push(i)
    return values, grads


def _local(node: tuple, values: list[float], mistake: str | None, result: float | None = None):
    """The node's value and its local derivatives [(child, d node/d child)]; `result` is the
    node's own (possibly perturbed) value, which exp and tanh derivatives are written with."""
    op = node[0]
    if op == "leaf":
        return float(node[1]), []
    if op in ("add", "sub", "mul", "div"):
        i, j = node[1], node[2]
        a, b = values[i], values[j]
        if op == "add":
            return a + b, [(i, 1.0), (j, 1.0)]
        if op == "sub":
            return a - b, [(i, 1.0), (j, 1.0 if mistake == "sub_sign" else -1.0)]
        if op == "mul":
            return a * b, [(i, a), (j, b)] if mistake == "mul_swapped" else [(i, b), (j, a)]
        return a / b, [(i, 1.0 / b), (j, (1.0 if mistake == "div_sign" else -1.0) * a / (b * b))]
    if op in NUMBER_OPS:
        i, k = node[1], float(node[2])
        x = values[i]
        if op == "addk":
            return x + k, [(i, 1.0)]
        if op == "subk":
            return x - k, [(i, 1.0)]
        if op == "mulk":
            return x * k, [(i, x if mistake == "mul_swapped" else k)]
        return x / k, [(i, 1.0 / k)]
    if op in ("radd", "rsub", "rmul", "rdiv"):
        k, i = float(node[1]), node[2]
        x = values[i]
        if op == "radd":
            return k + x, [(i, 1.0)]
        # A learner's reflected ops usually call the plain ones, and inherit their mistakes.
        if op == "rmul":
            return k * x, [(i, x if mistake == "mul_swapped" else k)]
        if op == "rsub":
            if mistake == "rsub_reversed":
                return x - k, [(i, 1.0)]
            return k - x, [(i, 1.0 if mistake == "sub_sign" else -1.0)]
        if mistake == "rdiv_reversed":
            return x / k, [(i, 1.0 / k)]
        return k / x, [(i, (1.0 if mistake == "div_sign" else -1.0) * k / (x * x))]
    i = node[1]
    x = values[i]
    if op == "pow":
        e = node[2]
        y = x**e
        if mistake == "pow_missing_exponent":
            return y, [(i, x ** (e - 1))]
        if mistake == "pow_not_decremented":
            return y, [(i, e * y)]
        return y, [(i, e * x ** (e - 1))]
    if op == "neg":
        return -x, [(i, 1.0 if mistake == "neg_sign" else -1.0)]
    if op == "exp":
        y = math.exp(x)
        return y, [(i, x if mistake == "exp_uses_input" else (y if result is None else result))]
    if op == "tanh":
        t = math.tanh(x) if result is None else result
        if mistake == "tanh_1_minus_t":
            return math.tanh(x), [(i, 1.0 - t)]
        if mistake == "tanh_uses_input":
            return math.tanh(x), [(i, 1.0 - x * x)]
        return math.tanh(x), [(i, 1.0 - t * t)]
    if op == "relu":
        passes = x > 0 or mistake == "relu_passes_negative" or (mistake == "relu_passes_at_zero" and x == 0)
        return (x if x > 0 else 0.0), [(i, 1.0 if passes else 0.0)]
    raise ValueError(f"unknown op {op!r}")


# -- which programs are fair to grade at these tolerances ------------------------------------
def well_conditioned(nodes, trials: int = 6, ulps: float = 1e-15) -> bool:
    """True when moving every rounded result by ~4.5 ulps (relative 1e-15; tanh's output also
    by 1e-15 absolute, as the exp-based tanh formula errs) changes no value by more than a
    tenth of VALUE_RTOL and no gradient by more than a tenth of GRAD_MAX_RELATIVE_ERROR.
    A correct Value errs by an ulp or two per operation, so on these programs it passes
    whichever correct formulas it uses (a / b or a * b**-1, math.tanh or exp-based)."""
    try:
        values, grads = simulate(nodes)
    except (ArithmeticError, ValueError, TypeError):
        return False
    if not all(math.isfinite(v) for v in values + grads):
        return False
    for node in nodes:  # the exp-based tanh formula overflows past |x| ~ 350
        if node[0] == "tanh" and abs(values[node[1]]) > 20:
            return False
    rng = random.Random(zlib.crc32(repr(list(nodes)).encode()))

    def perturb(x: float, kind: str) -> float:
        x = x * (1.0 + rng.choice((-ulps, ulps)))
        return x + rng.choice((-ulps, ulps)) if kind == "tanh" else x

    for _ in range(trials):
        try:
            moved_values, moved_grads = simulate(nodes, perturb=perturb)
        except (ArithmeticError, ValueError):
            return False
        if any(not abs(m - v) <= 0.1 * VALUE_RTOL * abs(v) for m, v in zip(moved_values, values)):
            return False
        if any(_relative_error(m, g) > 0.1 * GRAD_MAX_RELATIVE_ERROR for m, g in zip(moved_grads, grads)):
            return False
    return True


def _relative_error(a: float, b: float) -> float:
    """kit relative_error for two floats, without NumPy's per-call cost."""
    return abs(a - b) / max(abs(a) + abs(b), 1e-8)


# -- strategies ------------------------------------------------------------------------------
NONZERO = grid_floats(-3, 3).filter(lambda x: x != 0)
# Every exponent kind on every grading: int and float, negative, fractional, 0 and 1.
POWER_EXAMPLES = tuple(Program([("leaf", x), ("pow", 0, k)]) for k, x in
                       ((2, -1.5), (3, 1.25), (-1, -1.5), (0.5, 2.25), (-2, 1.5), (1.5, 2.0), (4, -1.25), (2.0, 1.75), (1, -2.5), (0, 1.5)))
POSITIVE = grid_floats(0.25, 3)
EXPONENTS = (2, 3, -1, 0.5, -2, 1.5, 4, 2.0, 1, 0)


def _programs(*leaves, build) -> st.SearchStrategy[Program]:
    """Programs made by `build(*drawn leaf values)`."""
    return st.tuples(*leaves).map(lambda xs: Program(build(*xs)))


def binary(op: str, right=grid_floats(-3, 3)) -> st.SearchStrategy[Program]:
    """c = a <op> b for two leaves."""
    return _programs(grid_floats(-3, 3), right, build=lambda x, y: [("leaf", x), ("leaf", y), (op, 0, 1)])


def unary(op: str, inputs=grid_floats(-3, 3)) -> st.SearchStrategy[Program]:
    """b = a.<op>() (or -a)."""
    return _programs(inputs, build=lambda x: [("leaf", x), (op, 0)])


@st.composite
def powers(draw) -> Program:
    """b = a ** k for a plain number k (a > 0 when k is fractional)."""
    k = draw(st.sampled_from(EXPONENTS))
    x = draw(POSITIVE if isinstance(k, float) and not k.is_integer() else NONZERO)
    return Program([("leaf", x), ("pow", 0, k)])


@st.composite
def with_a_number(draw, side: str) -> Program:
    """b = a <op> k (side 'right') or b = k <op> a (side 'left'), k a plain float."""
    op = draw(st.sampled_from(["add", "sub", "mul", "div"]))
    x = draw(NONZERO if (side == "left" and op == "div") else grid_floats(-3, 3))
    k = draw(NONZERO if (side == "right" and op == "div") else grid_floats(-3, 3, 0.5))
    assume(side == "right" or abs(x) != abs(k))  # so that k - a and a - k, k / a and a / k differ
    node = (op + "k", 0, k) if side == "right" else ("r" + op, k, 0)
    return Program([("leaf", x), node])


@st.composite
def chains(draw) -> Program:
    """A chain without reuse: each operation takes the previous result and a fresh leaf."""
    nodes = [("leaf", draw(grid_floats(-2, 2)))]
    for _ in range(draw(st.integers(2, 6))):
        previous = len(nodes) - 1
        nodes.append(("leaf", draw(grid_floats(-2, 2))))
        op = draw(st.sampled_from(["mul", "add"]))
        nodes.append((op, previous, len(nodes) - 1) if draw(st.booleans()) else (op, len(nodes) - 1, previous))
    return Program(nodes)


REUSE_TEMPLATES = (
    [("add", 0, 0)],  # b = a + a
    [("mul", 0, 0)],  # b = a * a
    [("leaf", None), ("mul", 0, 1), ("add", 2, 0)],  # c = a * b; d = c + a
    [("leaf", None), ("add", 0, 1), ("mul", 2, 2)],  # c = a + b; d = c * c
    [("leaf", None), ("add", 0, 1), ("mul", 2, 0), ("add", 3, 2)],  # c shared by d and e
    [("leaf", None), ("mul", 0, 1), ("add", 2, 0), ("mul", 3, 2)],  # c shared by d and e
)


REUSE_EXAMPLES = tuple(Program([("leaf", 1.5)] + [("leaf", -2.5) if node[0] == "leaf" else node for node in template])
                       for template in REUSE_TEMPLATES)


@st.composite
def reuses(draw) -> Program:
    """Small graphs where a leaf or an intermediate Value is used more than once."""
    template = draw(st.sampled_from(REUSE_TEMPLATES))
    nodes = [("leaf", draw(NONZERO))]
    for node in template:
        nodes.append(("leaf", draw(NONZERO)) if node[0] == "leaf" else node)
    return Program(nodes)


ALL_OPS = ("add", "sub", "mul", "div", "pow", "neg", "exp", "tanh", "relu", *NUMBER_OPS, "radd", "rsub", "rmul", "rdiv")


def through_a_multiplication(op: str, a: float, d: float, k: float, left: bool = True) -> Program:
    """b = <op> on a (with a second leaf d or a plain number k), c = b * a, e = c + a: b.grad is a,
    not 1, so a backward step that skips `* out.grad` shows, and a gets three contributions, so
    one that assigns `=` shows too (the last `+ a` keeps a.grad away from 0 when c does not
    depend on a, as in c = (d / a) * a)."""
    if op in ("add", "sub", "mul", "div"):
        nodes = [("leaf", a), ("leaf", d), (op, 0, 1) if left else (op, 1, 0)]
    elif op == "pow":
        nodes = [("leaf", a), ("pow", 0, k)]
    elif op in NUMBER_OPS:
        nodes = [("leaf", a), (op, 0, k)]
    elif op in expressions.REFLECTED_OPS:
        nodes = [("leaf", a), (op, k, 0)]
    else:
        nodes = [("leaf", a), (op, 0)]
    b = len(nodes) - 1
    return Program(nodes + [("mul", b, 0), ("add", b + 1, 0)])


# One per operation (both operand positions of the binary ones), on every grading.
CHAIN_RULE_EXAMPLES = (
    *(through_a_multiplication(op, 1.25, 0.5, 0.0, left) for op in ("add", "sub", "mul", "div") for left in (True, False)),
    through_a_multiplication("pow", 1.25, 0.0, 3), through_a_multiplication("pow", 1.25, 0.0, 0.5),
    *(through_a_multiplication(op, 1.25, 0.0, -1.5) for op in ("neg", "exp", "tanh", "relu", *NUMBER_OPS, "radd", "rsub", "rmul", "rdiv")),
)


@st.composite
def chain_rule_programs(draw) -> Program:
    """through_a_multiplication for a drawn operation, leaves and number."""
    op = draw(st.sampled_from(ALL_OPS))
    k = draw(st.sampled_from(EXPONENTS)) if op == "pow" else draw(NONZERO)
    a = draw(POSITIVE if op == "pow" and not float(k).is_integer() else NONZERO)
    program = through_a_multiplication(op, a, draw(NONZERO), k, draw(st.booleans()))
    assume(well_conditioned(program.nodes))
    return program


def prune(nodes) -> list[tuple]:
    """The program without the nodes its output does not depend on (renumbered), so that a
    counterexample shows only what matters."""
    needed = {len(nodes) - 1}
    for i in range(len(nodes) - 1, -1, -1):
        if i in needed:
            needed.update(_operands(nodes[i]))
    index = {old: new for new, old in enumerate(sorted(needed))}
    kept = []
    for i in sorted(needed):
        node = nodes[i]
        op = node[0]
        if op in ("add", "sub", "mul", "div"):
            node = (op, index[node[1]], index[node[2]])
        elif op in ("radd", "rsub", "rmul", "rdiv"):
            node = (op, node[1], index[node[2]])
        elif op != "leaf":
            node = (op, index[node[1]], *node[2:])
        kept.append(node)
    return kept


def _operands(node) -> list[int]:
    op = node[0]
    if op == "leaf":
        return []
    if op in ("add", "sub", "mul", "div"):
        return [node[1], node[2]]
    if op in ("radd", "rsub", "rmul", "rdiv"):
        return [node[2]]
    return [node[1]]


dags = expression_dags().map(prune).filter(well_conditioned).map(Program)
fair_chains = chains().filter(lambda program: well_conditioned(program.nodes))


def deep_chain(depth: int = 2000) -> Program:
    """x and m leaves, then y = x; y = y + x; y = y * m; … `depth` operations deep."""
    nodes = [("leaf", 0.5), ("leaf", -1.0)]
    for k in range(depth):
        previous = 0 if k == 0 else len(nodes) - 1
        nodes.append(("add", previous, 0) if k % 2 == 0 else ("mul", previous, 1))
    return Program(nodes)


# -- the checks --------------------------------------------------------------------------------
def examples(programs):
    """@example(program=p) for each p, in order: inputs tried on every grading."""
    def attach(function):
        for program in reversed(programs):
            function = example(program=program)(function)
        return function

    return attach


@check(examples=10)
@example(program=Program([('leaf', 1.5)]))
@given(program=_programs(grid_floats(-3, 3), build=lambda x: [("leaf", x)]))
def a_leaf_value(learner, program):
    """Value(x).data is x, .grad starts at 0, and x.backward() sets x.grad to 1."""
    (x,) = program.leaves
    values, grads_before, grads = run(learner, program)
    compare_values(program, values, [x], source="the number it was made from")
    if grads_before != [0.0]:
        fail(f"a fresh Value's grad should be 0 before any backward(); got a.grad = {show(grads_before[0])}", grads_before)
    if grads != [1.0]:
        fail(f"after a.backward(), a.grad should be 1 (d a / d a); got {show(grads[0])}", grads,
             diagnoses(program, (), "grads", learner), passes=lambda value: list(value) == [1.0])


@check(examples=30)
@example(program=Program([('leaf', 1.5), ('leaf', -2.5), ('add', 0, 1)]))
@given(program=binary("add"))
def adding_two_values(learner, program):
    """c = a + b: c.data = a + b; a.grad = b.grad = 1."""
    x, y = program.leaves
    expect(learner, program, [x, y, x + y], [1.0, 1.0, 1.0])


@check(examples=30)
@example(program=Program([('leaf', 1.5), ('leaf', -2.5), ('mul', 0, 1)]))
@given(program=binary("mul"))
def multiplying_two_values(learner, program):
    """c = a * b: c.data = a * b; a.grad = b, b.grad = a."""
    x, y = program.leaves
    expect(learner, program, [x, y, x * y], [y, x, 1.0], ["mul_swapped"])


@check(examples=40)
@examples(POWER_EXAMPLES)
@given(program=powers())
def raising_to_a_number_power(learner, program):
    """b = a ** k for a plain number k: b.data = a**k; a.grad = k * a**(k-1)."""
    (x,) = program.leaves
    k = program.nodes[1][2]
    expect(learner, program, [x, x**k], [k * x ** (k - 1), 1.0], ["pow_missing_exponent", "pow_not_decremented"])


@check(examples=25)
@example(program=Program([('leaf', 1.5), ('neg', 0)]))
@given(program=unary("neg"))
def negating_a_value(learner, program):
    """b = -a: b.data = -a; a.grad = -1."""
    (x,) = program.leaves
    expect(learner, program, [x, -x], [-1.0, 1.0], ["neg_sign"])


@check(examples=30)
@example(program=Program([('leaf', 1.5), ('leaf', -2.5), ('sub', 0, 1)]))
@given(program=binary("sub"))
def subtracting_two_values(learner, program):
    """c = a - b: c.data = a - b; a.grad = 1, b.grad = -1."""
    x, y = program.leaves
    expect(learner, program, [x, y, x - y], [1.0, -1.0, 1.0], ["sub_sign"])


@check(examples=30)
@example(program=Program([('leaf', 1.5), ('leaf', -2.5), ('div', 0, 1)]))
@given(program=binary("div", right=NONZERO))
def dividing_two_values(learner, program):
    """c = a / b: c.data = a / b; a.grad = 1/b, b.grad = -a/b**2."""
    x, y = program.leaves
    expect(learner, program, [x, y, x / y], [1.0 / y, -x / (y * y), 1.0], ["div_sign", "pow_missing_exponent"])


@check(examples=40)
@example(program=Program([('leaf', 1.5), ('addk', 0, -2.5)]))
@example(program=Program([('leaf', 1.5), ('subk', 0, -2.5)]))
@example(program=Program([('leaf', 1.5), ('mulk', 0, -2.5)]))
@example(program=Program([('leaf', 1.5), ('divk', 0, -2.5)]))
@given(program=with_a_number(side="right"))
def a_plain_number_on_the_right(learner, program):
    """a + k, a - k, a * k, a / k with a plain number k: the right value; a.grad = 1, 1, k, 1/k."""
    (x,) = program.leaves
    op, _, k = program.nodes[1]
    value, grad = {"addk": lambda: (x + k, 1.0), "subk": lambda: (x - k, 1.0),
                   "mulk": lambda: (x * k, k), "divk": lambda: (x / k, 1.0 / k)}[op]()
    expect(learner, program, [x, value], [grad, 1.0], ["mul_swapped"])


@check(examples=40)
@example(program=Program([('leaf', 1.5), ('radd', -2.5, 0)]))
@example(program=Program([('leaf', 1.5), ('rsub', -2.5, 0)]))
@example(program=Program([('leaf', 1.5), ('rmul', -2.5, 0)]))
@example(program=Program([('leaf', 1.5), ('rdiv', -2.5, 0)]))
@given(program=with_a_number(side="left"))
def a_plain_number_on_the_left(learner, program):
    """k + a, k - a, k * a, k / a with a plain number k (reflected ops): the right value; a.grad = 1, -1, k, -k/a**2."""
    (x,) = program.leaves
    op, k, _ = program.nodes[1]
    value, grad = {"radd": lambda: (k + x, 1.0), "rsub": lambda: (k - x, -1.0),
                   "rmul": lambda: (k * x, k), "rdiv": lambda: (k / x, -k / (x * x))}[op]()
    expect(learner, program, [x, value], [grad, 1.0], ["sub_sign", "div_sign", "mul_swapped", "rsub_reversed", "rdiv_reversed"])


@check(examples=25)
@example(program=Program([('leaf', 1.5), ('exp', 0)]))
@given(program=unary("exp"))
def exp_of_a_value(learner, program):
    """b = a.exp(): b.data = math.exp(a); a.grad = math.exp(a)."""
    (x,) = program.leaves
    expect(learner, program, [x, math.exp(x)], [math.exp(x), 1.0], ["exp_uses_input"])


@check(examples=30)
@example(program=Program([('leaf', 0.75), ('tanh', 0)]))
@given(program=unary("tanh"))
def tanh_of_a_value(learner, program):
    """b = a.tanh(): b.data = math.tanh(a); a.grad = 1 - tanh(a)**2."""
    (x,) = program.leaves
    t = math.tanh(x)
    expect(learner, program, [x, t], [1.0 - t * t, 1.0], ["tanh_1_minus_t", "tanh_uses_input"])


@check(examples=30)
@example(program=Program([('leaf', 1.5), ('relu', 0)]))
@example(program=Program([('leaf', -1.25), ('relu', 0)]))
@given(program=unary("relu", NONZERO))
def relu_of_a_value(learner, program):
    """b = a.relu(): b.data = max(a, 0); a.grad = 1 if a > 0 else 0."""
    (x,) = program.leaves
    expect(learner, program, [x, max(x, 0.0)], [1.0 if x > 0 else 0.0, 1.0], ["relu_passes_negative"])


@check()
def relu_passes_no_gradient_at_exactly_zero(learner):
    """b = Value(0.0).relu(): b.data = 0 and a.grad = 0, the derivative at 0 taken as 0 (as PyTorch's relu)."""
    expect(learner, Program([("leaf", 0.0), ("relu", 0)]), [0.0, 0.0], [0.0, 1.0], ["relu_passes_at_zero"])


@check(examples=40)
@example(program=Program([('leaf', 1.5), ('leaf', -2.0), ('mul', 0, 1), ('leaf', 0.75), ('add', 2, 3), ('leaf', -1.25), ('mul', 5, 4)]))
@given(program=fair_chains)
def gradients_flow_back_through_a_chain(learner, program):
    """In a chain of + and * (no Value reused), every .grad equals PyTorch's: the chain rule, output first."""
    compare_with_torch(learner, program, ["mul_swapped"])


@check(examples=40)
@examples(REUSE_EXAMPLES)
@given(program=reuses())
def gradients_accumulate_when_a_value_is_reused(learner, program):
    """A Value used several times (b = a + a, a * a, shared intermediates) gets the sum of all its uses' gradients."""
    compare_with_torch(learner, program, ["mul_swapped"])


@check(examples=30)
@examples(CHAIN_RULE_EXAMPLES)
@given(program=chain_rule_programs())
def every_operation_applies_the_chain_rule_and_adds_into_grad(learner, program):
    """In b = op(a, ...); c = b * a; e = c + a, each operation's backward step adds (local derivative) * out.grad into its inputs' .grad."""
    values, grads = simulate(program.nodes)
    got_values, _, got_grads = run(learner, program)
    singles = [m for m in MISTAKES if m not in GRAPH_MISTAKES]
    compare_values(program, got_values, values, singles, "the derivative formulas", learner=learner)
    compare_grads(program, got_grads, grads, [*per_operation_mistakes(program), *singles], "the derivative formulas", learner=learner)


@check(examples=80)
@given(program=dags)
def random_expression_dags_match_torch(learner, program):
    """Random expressions over every op, with shared sub-expressions: .data to 1e-12 and .grad to 1e-9 of PyTorch."""
    compare_with_torch(learner, program, [m for m in MISTAKES if m not in GRAPH_MISTAKES])


@check(examples=1)
def a_chain_2000_operations_deep(learner):
    """backward() works on a graph 2,000 operations deep (y = x; then y = y + x and y = y * m, alternately)."""
    program = deep_chain(2000)
    got_values, _, got_grads = run(learner, program)
    want_values, want_grads = torch_answers(program)
    note = "\n  the chain: a = Value(0.5); b = Value(-1.0); c = a + a; d = c * b; e = d + a; f = e * b; … n2001.backward()"
    compare_values(program, got_values, want_values, note=note)
    compare_grads(program, got_grads, want_grads, ["mul_swapped", *per_operation_mistakes(program)], note=note, learner=learner)


def torch_answers(program: Program) -> tuple[list[float], list[float]]:
    """torch autograd's .data and .grad of every node in float64, as `simulate` computes them (proven equal in the tests)."""
    return simulate(program.nodes)


def compare_with_torch(learner, program: Program, mistakes) -> None:
    """The learner's .data and .grad of every node equal torch autograd's, in float64."""
    got_values, _, got_grads = run(learner, program)
    want_values, want_grads = torch_answers(program)
    mistakes = [*per_operation_mistakes(program), *mistakes]
    compare_values(program, got_values, want_values, mistakes, learner=learner)
    compare_grads(program, got_grads, want_grads, mistakes, learner=learner)
