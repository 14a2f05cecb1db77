"""Trusted code that runs inside the learner process for the stage2/micrograd grader.

It builds an expression program (see mldojo.graders.kit.expressions, plus the ops
"addk", "subk", "mulk", "divk": node <op> a plain number) out of the learner's `Value`,
optionally calls `backward()` on the last node, and sends back plain data only:

    {"values": [...], "grads_before": [...], "grads": [...], "problem": None, "node": None}
or  {..., "problem": "`a * 2.0` returned float 3.0, not a Value", "node": 1}

(`grads_before` is read before backward(), `grads` after; the lists hold floats.)

A `problem` is something the judge should report in the learner's terms; any other
exception from the learner's code (NotImplementedError included) propagates unchanged so
the engine reports it. It imports nothing but the standard library.
"""

from __future__ import annotations

import numbers

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "radd": "+", "rsub": "-", "rmul": "*", "rdiv": "/",
           "addk": "+", "subk": "-", "mulk": "*", "divk": "/"}


def run_program(module, program, backward=True):
    """Evaluate `program` with module.Value; read .data and .grad of every node."""
    Value = module.Value
    nodes = []
    for index, node in enumerate(program):
        op = node[0]
        shown = _show(node, index)
        try:
            if op == "leaf":
                value = Value(float(node[1]))
            elif op in ("add", "sub", "mul", "div"):
                value = _binary(op, nodes[node[1]], nodes[node[2]])
            elif op in ("addk", "subk", "mulk", "divk"):
                value = _binary(op[:3], nodes[node[1]], float(node[2]))
            elif op in ("radd", "rsub", "rmul", "rdiv"):
                value = _binary(op[1:], float(node[1]), nodes[node[2]])
            elif op == "pow":
                value = nodes[node[1]] ** node[2]
            elif op == "neg":
                value = -nodes[node[1]]
            elif op in ("exp", "tanh", "relu"):
                method = getattr(nodes[node[1]], op, None)
                if method is None:
                    return _problem(f"`{shown}` failed: your Value has no method {op}()", index)
                value = method()
            else:
                raise ValueError(f"unknown op {op!r}")
        except TypeError as exc:
            text = str(exc)
            if text.startswith("unsupported operand") or text.startswith("bad operand"):
                return _problem(f"`{shown}` raised TypeError: {text}", index)
            raise
        if not (hasattr(value, "data") and hasattr(value, "grad") and hasattr(value, "backward")):
            return _problem(f"`{shown}` returned {type(value).__name__} {value!r:.60}, not a Value", index)
        nodes.append(value)
    values = _read(nodes, "data")
    grads_before = _read(nodes, "grad")
    if isinstance(values, dict) or isinstance(grads_before, dict):
        return values if isinstance(values, dict) else grads_before
    if backward:
        nodes[-1].backward()
    grads = _read(nodes, "grad")
    if isinstance(grads, dict):
        return grads
    return {"values": values, "grads_before": grads_before, "grads": grads, "problem": None, "node": None}


def _read(nodes, attribute):
    """float(node.<attribute>) for every node, or a problem naming the first non-number."""
    out = []
    for index, value in enumerate(nodes):
        number = getattr(value, attribute)
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            shown = f"{type(number).__name__} {number!r:.60}"
            return _problem(f"{_name(index)}.{attribute} is {shown}, not a number", index)
        out.append(float(number))
    return out


def _binary(op, left, right):
    if op == "add":
        return left + right
    if op == "sub":
        return left - right
    if op == "mul":
        return left * right
    return left / right


def _problem(text, index):
    return {"values": None, "grads_before": None, "grads": None, "problem": text, "node": index}


def _name(i):
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"n{i}"


def _show(node, index):
    op = node[0]
    if op == "leaf":
        return f"{_name(index)} = Value({node[1]!r})"
    if op in ("add", "sub", "mul", "div"):
        return f"{_name(node[1])} {SYMBOLS[op]} {_name(node[2])}"
    if op in ("addk", "subk", "mulk", "divk"):
        return f"{_name(node[1])} {SYMBOLS[op]} {float(node[2])!r}"
    if op in ("radd", "rsub", "rmul", "rdiv"):
        return f"{float(node[1])!r} {SYMBOLS[op]} {_name(node[2])}"
    if op == "pow":
        return f"{_name(node[1])} ** {node[2]!r}"
    if op == "neg":
        return f"-{_name(node[1])}"
    return f"{_name(node[1])}.{op}()"
