"""stage2/micrograd_nn: a small neural-network library on top of your own Value.

Build micrograd's nn module with the Value you wrote in stage2/micrograd.py (imported below):
nothing else is needed, no NumPy and no torch. Then train a network with it.

  - Module: zero_grad() sets every parameter's .grad to 0; parameters() lists them.
  - Neuron(nin, nonlin=True): nin weights drawn with random.uniform(-1, 1) and a bias Value(0);
    calling it on a list of nin inputs (numbers or Values) gives sum(w_i * x_i) + b, passed
    through relu() when nonlin is True. parameters(): the weights in order, then the bias.
  - Layer(nin, nout, **kwargs): nout neurons (each Neuron(nin, **kwargs)); calling it gives the
    list of their outputs, or the single Value when nout == 1. parameters(): neuron by neuron.
  - MLP(nin, nouts): layers of sizes nin -> nouts[0] -> nouts[1] -> ...; every layer has relu
    except the last, which is linear. parameters(): layer by layer.
  - train_moons(X, y, on_step=None) -> MLP: X is a list of 100 points [x1, x2] (two moons),
    y their labels, -1 or +1. Train an MLP of your choice with your own loop (forward, loss,
    zero_grad, backward, update) until sign(model(x).data) equals y for every training point,
    and return the model. Call on_step(step, loss) after each step if it is given (the grader
    shows it as progress).

The grader counts parameters, writes its own weights through parameters() and compares your
outputs and gradients with its own, and gives train_moons 300 s on a 2-core machine (more on a
slower one): micrograd's demo network, 2-16-16-1 for 100 full-batch steps, takes about 140 s.
"""

import random

from stage2.micrograd import Value


class Module:
    """The parts every layer shares."""

    def zero_grad(self):
        """Set .grad of every parameter to 0."""
        raise NotImplementedError("TODO: Module.zero_grad")

    def parameters(self):
        """The list of this module's parameters (Values); each subclass lists its own."""
        raise NotImplementedError("TODO: parameters (in each subclass)")


class Neuron(Module):
    """One unit: a weighted sum of its inputs plus a bias, through relu unless nonlin is False."""

    def __init__(self, nin, nonlin=True):
        raise NotImplementedError("TODO: Neuron.__init__")

    def __call__(self, x):
        raise NotImplementedError("TODO: Neuron.__call__")

    def parameters(self):
        raise NotImplementedError("TODO: Neuron.parameters")


class Layer(Module):
    """nout neurons that all see the same nin inputs."""

    def __init__(self, nin, nout, **kwargs):
        raise NotImplementedError("TODO: Layer.__init__")

    def __call__(self, x):
        raise NotImplementedError("TODO: Layer.__call__")

    def parameters(self):
        raise NotImplementedError("TODO: Layer.parameters")


class MLP(Module):
    """Layers in sequence: relu after each but the last."""

    def __init__(self, nin, nouts):
        raise NotImplementedError("TODO: MLP.__init__")

    def __call__(self, x):
        raise NotImplementedError("TODO: MLP.__call__")

    def parameters(self):
        raise NotImplementedError("TODO: MLP.parameters")


def train_moons(X, y, on_step=None):
    """Train an MLP until it classifies every point of (X, y) right; return it."""
    raise NotImplementedError("TODO: train_moons")
