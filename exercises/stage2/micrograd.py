"""stage2/micrograd: a scalar autograd engine.

Write a `Value` class that wraps one number and remembers how it was computed. Adding,
subtracting, multiplying, dividing, raising to a number power or applying exp, tanh or relu
to Values gives a new Value that keeps a reference to its inputs and to a small function
that knows the local derivative of that one operation. Calling `out.backward()` on the
final Value then fills in `v.grad` = d(out)/d(v) for every Value `v` that `out` depends on,
by the chain rule, visiting the graph from the output back to the leaves.

The interface follows micrograd's:

    a = Value(2.0)
    b = Value(-3.0)
    c = a * b + a.tanh()
    d = (c ** 2).relu() / 4 - 1
    d.backward()
    a.grad, b.grad              # d(d)/d(a), d(d)/d(b)

What the grader looks at: `.data` (a float), `.grad` (0.0 until backward runs), the
operators `+ - * /` between Values and with a plain number on either side (`v + 1`,
`2 * v`, `1 - v`, `3 / v`), `v ** k` for a plain number k (int or float: 2, 3.0, -1, 0.5,
0), unary `-v`, the methods `exp()`, `tanh()`, `relu()` and `backward()`. Every operation's
backward step adds (local derivative) * out.grad into its inputs' .grad. Values are reused
freely (`a * a`, a result feeding several later operations), and graphs can be thousands of
operations deep.
Use the `math` module for exp and tanh; no autograd library may be imported.
"""

from __future__ import annotations

import math  # noqa: F401 - you will want math.exp and math.tanh


class Value:
    """One scalar in a computation graph, with the gradient of the output with respect to it."""

    def __init__(self, data, _children=(), _op=""):
        """Wrap `data` (a Python number).

        data:       the value (float)
        grad:       d(output)/d(self), filled in by output.backward(); 0.0 until then
        _backward:  a function that pushes self.grad to the inputs of the operation that
                    produced self (a leaf has nothing to push)
        _prev:      the Values this one was computed from
        _op:        a short label for the operation, handy when debugging
        """
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        """self + other, where other is a Value or a plain number."""
        raise NotImplementedError("TODO: return a new Value for self + other and set its _backward")

    def __mul__(self, other):
        """self * other, where other is a Value or a plain number."""
        raise NotImplementedError("TODO: return a new Value for self * other and set its _backward")

    def __pow__(self, exponent):
        """self ** exponent, where exponent is a plain int or float (not a Value)."""
        raise NotImplementedError("TODO: return a new Value for self ** exponent and set its _backward")

    def __neg__(self):
        """-self."""
        raise NotImplementedError("TODO: return a Value for -self")

    def __sub__(self, other):
        """self - other."""
        raise NotImplementedError("TODO: return a Value for self - other")

    def __truediv__(self, other):
        """self / other."""
        raise NotImplementedError("TODO: return a Value for self / other")

    def __radd__(self, other):
        """other + self, when other is a plain number (Python calls this for `2 + v`)."""
        raise NotImplementedError("TODO: return a Value for other + self")

    def __rsub__(self, other):
        """other - self, when other is a plain number (`1 - v`)."""
        raise NotImplementedError("TODO: return a Value for other - self")

    def __rmul__(self, other):
        """other * self, when other is a plain number (`2 * v`)."""
        raise NotImplementedError("TODO: return a Value for other * self")

    def __rtruediv__(self, other):
        """other / self, when other is a plain number (`3 / v`)."""
        raise NotImplementedError("TODO: return a Value for other / self")

    def exp(self):
        """e ** self."""
        raise NotImplementedError("TODO: return a new Value for exp(self) and set its _backward")

    def tanh(self):
        """The hyperbolic tangent of self."""
        raise NotImplementedError("TODO: return a new Value for tanh(self) and set its _backward")

    def relu(self):
        """max(0, self). Its derivative is 1 where self > 0 and 0 elsewhere, at exactly 0 too (as PyTorch's)."""
        raise NotImplementedError("TODO: return a new Value for relu(self) and set its _backward")

    def backward(self):
        """Fill in .grad of every Value this one depends on: d(self)/d(v).

        Set self.grad to 1, then run each node's _backward so that a node pushes its
        gradient only after every use of it has pushed into it: from the output back to
        the leaves, in reverse topological order.
        """
        raise NotImplementedError("TODO: order the graph and run every _backward from the output back")

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
