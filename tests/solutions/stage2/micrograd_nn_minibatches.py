"""stage2/micrograd_nn written with explicit loops, trained on mini-batches (a correct solution in another style)."""

import random

from stage2.micrograd import Value


class Module:
    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad = 0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, nonlin=True):
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.uniform(-1, 1)))
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        total = self.b
        for weight, value in zip(self.w, x):
            total = total + weight * value
        if self.nonlin:
            return total.relu()
        return total

    def parameters(self):
        return list(self.w) + [self.b]


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        outputs = [neuron(x) for neuron in self.neurons]
        if len(outputs) == 1:
            return outputs[0]
        return outputs

    def parameters(self):
        found = []
        for neuron in self.neurons:
            found.extend(neuron.parameters())
        return found


class MLP(Module):
    def __init__(self, nin, nouts):
        sizes = [nin] + nouts
        self.layers = []
        for i in range(len(nouts)):
            self.layers.append(Layer(sizes[i], sizes[i + 1], nonlin=(i < len(nouts) - 1)))

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def train_moons(X, y, on_step=None):
    random.seed(7)
    model = MLP(2, [10, 10, 1])
    data = list(zip(X, y))
    for step in range(400):
        batch = random.sample(data, min(25, len(data)))
        loss = Value(0.0)
        for x, label in batch:
            loss = loss + (1 - label * model(x)).relu()
        loss = loss * (1.0 / len(batch))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
        if on_step:
            on_step(step + 1, loss.data)
        if step % 10 == 9 and all((model(x).data > 0) == (label > 0) for x, label in data):
            break
    return model
