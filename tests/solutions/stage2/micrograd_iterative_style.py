"""stage2/micrograd, written differently: numbers coerced by one helper, aliases for the
commutative reflected operators, local derivatives stored with the node, and backward()
ordering the graph with Kahn's algorithm (counting each node's uses) instead of a DFS."""

import math


def _as_value(x):
    return x if isinstance(x, Value) else Value(float(x))


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self._inputs = list(_children)
        self._local = []  # d self / d input, one per entry of _inputs

    def _make(self, data, inputs, local, op):
        out = Value(data, inputs, op)
        out._inputs = list(inputs)
        out._local = list(local)

        def _backward():
            for node, derivative in zip(out._inputs, out._local):
                node.grad += derivative * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = _as_value(other)
        return self._make(self.data + other.data, (self, other), (1.0, 1.0), "+")

    __radd__ = __add__

    def __mul__(self, other):
        other = _as_value(other)
        return self._make(self.data * other.data, (self, other), (other.data, self.data), "*")

    __rmul__ = __mul__

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError("only plain-number exponents")
        return self._make(self.data ** exponent, (self,), (exponent * self.data ** (exponent - 1),), f"**{exponent}")

    def __neg__(self):
        return self._make(-self.data, (self,), (-1.0,), "neg")

    def __sub__(self, other):
        other = _as_value(other)
        return self._make(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other):
        return _as_value(other) - self

    def __truediv__(self, other):
        other = _as_value(other)
        return self._make(self.data / other.data, (self, other), (1.0 / other.data, -self.data / other.data ** 2), "/")

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def exp(self):
        e = math.exp(self.data)
        return self._make(e, (self,), (e,), "exp")

    def tanh(self):
        t = math.tanh(self.data)
        return self._make(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        return self._make(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,), "relu")

    def backward(self):
        # Count, for every node reachable from self, how many uses of it are still to push.
        uses, seen, stack = {}, {id(self)}, [self]
        nodes = [self]
        while stack:
            node = stack.pop()
            for child in node._inputs:
                uses[id(child)] = uses.get(id(child), 0) + 1
                if id(child) not in seen:
                    seen.add(id(child))
                    nodes.append(child)
                    stack.append(child)
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for child in set(node._inputs):
                uses[id(child)] -= node._inputs.count(child)
                if uses[id(child)] == 0:
                    ready.append(child)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
