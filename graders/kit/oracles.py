"""Trusted answers from well-known libraries (scikit-learn, PyTorch), always in float64.

Imports are local: a grader that never asks PyTorch does not pay for importing it.
"""

from __future__ import annotations

import numpy as np

from mldojo.graders.kit import expressions
from mldojo.graders.kit.memo import remembered


@remembered
def sklearn_linear_regression(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True) -> tuple[np.ndarray, float]:
    """scikit-learn's least-squares coef_ and intercept_ (minimum norm when X is rank-deficient)."""
    from sklearn.linear_model import LinearRegression

    model = LinearRegression(fit_intercept=fit_intercept).fit(np.asarray(X, float), np.asarray(y, float))
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


@remembered
def torch_program(program: expressions.Program) -> tuple[list[float], list[float]]:
    """Run an expression program with torch autograd in float64: node values and leaf
    gradients of d(output)/d(node) for every node (zero for nodes the output ignores).

    No grader calls it while grading any more: stage2/micrograd takes these answers from its
    own `simulate`, and tests/test_stage2_micrograd.py uses this to prove the two equal."""
    import torch

    nodes: list = []
    for node in program:
        op = node[0]
        if op == "leaf":
            nodes.append(torch.tensor(float(node[1]), dtype=torch.float64, requires_grad=True))
            continue
        if op in expressions.BINARY_OPS:
            a, b = nodes[node[1]], nodes[node[2]]
            out = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b}[op]()
        elif op == "pow":
            out = nodes[node[1]] ** node[2]
        elif op in expressions.REFLECTED_OPS:
            c, x = float(node[1]), nodes[node[2]]
            out = {"radd": lambda: c + x, "rsub": lambda: c - x, "rmul": lambda: c * x, "rdiv": lambda: c / x}[op]()
        else:
            x = nodes[node[1]]
            out = {"neg": lambda: -x, "exp": lambda: torch.exp(x), "tanh": lambda: torch.tanh(x), "relu": lambda: torch.relu(x)}[op]()
        out.retain_grad()
        nodes.append(out)
    nodes[-1].backward()
    values = [float(n.detach()) for n in nodes]
    grads = [float(n.grad) if n.grad is not None else 0.0 for n in nodes]
    return values, grads
