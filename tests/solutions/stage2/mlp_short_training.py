"""A correct stage2/mlp written unlike the reference (log-sum-exp, torch-style Adam, a layer
list instead of caches), whose train_mnist stops after one small epoch: every piece passes,
and the judge's real MNIST score falls short of 98 %."""

import numpy as np


def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return np.dot(flat, w) + b[None, :], (x, w)


def affine_backward(dout, cache):
    x, w = cache
    flat = x.reshape(len(x), -1)
    return np.dot(dout, w.T).reshape(x.shape), np.dot(flat.T, dout), np.sum(dout, axis=0)


def relu_forward(x):
    mask = x > 0
    return np.where(mask, x, 0.0), mask


def relu_backward(dout, mask):
    return np.where(mask, dout, 0.0)


def softmax_loss(scores, y):
    top = np.max(scores, axis=1, keepdims=True)
    logsumexp = top[:, 0] + np.log(np.sum(np.exp(scores - top), axis=1))
    rows = np.arange(len(y))
    loss = np.mean(logsumexp - scores[rows, y])
    probs = np.exp(scores - logsumexp[:, None])
    probs[rows, y] -= 1.0
    return loss, probs / len(y)


def adam(w, dw, config=None):
    c = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 0, **(config or {})}
    c.setdefault("m", np.zeros_like(w))
    c.setdefault("v", np.zeros_like(w))
    c["t"] = t = c["t"] + 1
    c["m"] = c["beta1"] * c["m"] + (1 - c["beta1"]) * dw
    c["v"] = c["beta2"] * c["v"] + (1 - c["beta2"]) * dw * dw
    # torch's arrangement of the same update
    step = c["learning_rate"] / (1 - c["beta1"] ** t)
    denom = np.sqrt(c["v"]) / np.sqrt(1 - c["beta2"] ** t) + c["epsilon"]
    return w - step * c["m"] / denom, c


class MLP:
    def __init__(self, sizes, seed=0):
        rng = np.random.RandomState(seed)
        self.params = {}
        for i in range(1, len(sizes)):
            self.params["W%d" % i] = rng.randn(sizes[i - 1], sizes[i]) / np.sqrt(sizes[i - 1])
            self.params["b%d" % i] = np.zeros(sizes[i])
        self.depth = len(sizes) - 1

    def _layers(self, X):
        trail, h = [], X
        for i in range(1, self.depth + 1):
            h, a = affine_forward(h, self.params["W%d" % i], self.params["b%d" % i])
            r = None
            if i != self.depth:
                h, r = relu_forward(h)
            trail.append((a, r))
        return h, trail

    def forward(self, X):
        return self._layers(X)[0]

    def loss_and_grads(self, X, y):
        scores, trail = self._layers(X)
        loss, d = softmax_loss(scores, y)
        grads = {}
        for i in reversed(range(1, self.depth + 1)):
            a, r = trail[i - 1]
            if r is not None:
                d = relu_backward(d, r)
            d, grads["W%d" % i], grads["b%d" % i] = affine_backward(d, a)
        return loss, grads

    def train(self, X, y, epochs, batch_size, lr, on_epoch=None):
        states = {k: {"learning_rate": lr} for k in self.params}
        rng = np.random.RandomState(1)
        losses = []
        for epoch in range(epochs):
            idx = rng.permutation(len(X))
            batches = [idx[i:i + batch_size] for i in range(0, len(X), batch_size)]
            epoch_losses = []
            for b in batches:
                loss, grads = self.loss_and_grads(X[b], y[b])
                epoch_losses.append(loss)
                for k in self.params:
                    self.params[k], states[k] = adam(self.params[k], grads[k], states[k])
            losses.append(float(np.mean(epoch_losses)))
            if on_epoch:
                on_epoch(epoch + 1, losses[-1])
        return losses

    def predict(self, X):
        return self.forward(X).argmax(axis=1)


def train_mnist(X, y, on_epoch=None):
    model = MLP([784, 32, 10], seed=0)
    model.train(X[:20000], y[:20000], epochs=1, batch_size=256, lr=1e-3, on_epoch=on_epoch)
    return model
