"""Scalar expression programs: a DAG written as a list of instructions, evaluated in float64.

A program is a list of nodes; node i is one of
    ("leaf", value)           a leaf Value holding `value`
    (op, i, j)                op in BINARY_OPS, applied to earlier nodes i and j
    (op, i)                   op in UNARY_OPS
    ("pow", i, exponent)      node i ** exponent (a plain number)
    (op, constant, i)         op in REFLECTED_OPS: constant <op> node i (e.g. 2.0 * v)
The last node is the output. Operands may be any earlier node, so sub-expressions are
shared: their gradients must accumulate. The same program runs on the learner's Value (in
the learner process, see the micrograd driver) and on PyTorch here.
"""

from __future__ import annotations

import math
from typing import Sequence

BINARY_OPS = ("add", "sub", "mul", "div")
UNARY_OPS = ("neg", "exp", "tanh", "relu")
REFLECTED_OPS = ("radd", "rsub", "rmul", "rdiv")
Program = Sequence[tuple]


def evaluate(program: Program) -> list[float]:
    """The value of every node, in float64 (plain Python floats)."""
    values: list[float] = []
    for node in program:
        values.append(_apply(node, values))
    return values


def _apply(node: tuple, values: list[float]) -> float:
    op = node[0]
    if op == "leaf":
        return float(node[1])
    if op in BINARY_OPS:
        a, b = values[node[1]], values[node[2]]
        return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
    if op == "pow":
        return values[node[1]] ** node[2]
    if op in REFLECTED_OPS:
        c, x = float(node[1]), values[node[2]]
        return {"radd": c + x, "rsub": c - x, "rmul": c * x, "rdiv": c / x}[op]
    x = values[node[1]]
    if op == "neg":
        return -x
    if op == "exp":
        return math.exp(x)
    if op == "tanh":
        return math.tanh(x)
    if op == "relu":
        return x if x > 0 else 0.0
    raise ValueError(f"unknown op {op!r}")


def is_tame(program: Program, limit: float = 1e4) -> bool:
    """True when every value is finite and moderate, no division or negative power comes
    near zero, and no relu sits at its kink: the places where float64 answers are fragile."""
    try:
        values = evaluate(program)
    except (OverflowError, ZeroDivisionError, ValueError):
        return False
    if any(not math.isfinite(v) or abs(v) > limit for v in values):
        return False
    for node in program:
        op = node[0]
        if op == "div" and abs(values[node[2]]) < 0.25:
            return False
        if op == "rdiv" and abs(values[node[2]]) < 0.25:
            return False
        if op == "pow" and node[2] < 0 and abs(values[node[1]]) < 0.25:
            return False
        if op == "relu" and abs(values[node[1]]) < 1e-6:
            return False
        if op == "exp" and values[node[1]] > 8:
            return False
    return True


def describe(program: Program) -> str:
    """The program as Python a learner can read: `a = Value(1.5); b = a * a; …`."""
    names = [node_name(i) for i in range(len(program))]
    lines = []
    for i, node in enumerate(program):
        op = node[0]
        if op == "leaf":
            expr = f"Value({node[1]!r})"
        elif op in BINARY_OPS:
            symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
            expr = f"{names[node[1]]} {symbol} {names[node[2]]}"
        elif op == "pow":
            expr = f"{names[node[1]]} ** {node[2]!r}"
        elif op in REFLECTED_OPS:
            symbol = {"radd": "+", "rsub": "-", "rmul": "*", "rdiv": "/"}[op]
            expr = f"{node[1]!r} {symbol} {names[node[2]]}"
        elif op == "neg":
            expr = f"-{names[node[1]]}"
        else:
            expr = f"{names[node[1]]}.{op}()"
        lines.append(f"{names[i]} = {expr}")
    lines.append(f"{names[-1]}.backward()")
    return "\n".join(lines)


def node_name(i: int) -> str:
    """The variable a listing gives node i: a, b, …, z, n26, n27, …"""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else f"n{i}"
