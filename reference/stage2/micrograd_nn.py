"""Reference for stage2/micrograd_nn: micrograd's nn on the learner's Value, and a training loop."""

import random

from stage2.micrograd import Value


class Module:
    """The parts every layer shares."""

    def zero_grad(self):
        """Set .grad of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        """The list of this module's parameters (Values)."""
        return []


class Neuron(Module):
    """One unit: a weighted sum of its inputs plus a bias, through relu unless nonlin is False."""

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer(Module):
    """nout neurons that all see the same nin inputs."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    """Layers in sequence: relu after each but the last."""

    def __init__(self, nin, nouts):
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def train_moons(X, y, on_step=None, max_steps=200):
    """Full-batch SGD on a max-margin (hinge) loss with a little L2, until every point is right."""
    random.seed(1337)
    model = MLP(2, [8, 8, 1])
    points = [[float(a), float(b)] for a, b in X]
    labels = [float(t) for t in y]
    for step in range(max_steps):
        scores = [model(p) for p in points]
        losses = [(1 + -t * s).relu() for t, s in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        if all((s.data > 0) == (t > 0) for s, t in zip(scores, labels)):
            break
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / max_steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if on_step is not None:
            on_step(step + 1, loss.data)
    return model
