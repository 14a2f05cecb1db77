"""stage2/mlp typed along with the CS231n assignments: np.dot, caches of (x, w, b), softmax
through probabilities with the row maximum subtracted, Adam with config.get, and a training
loop with an explicit batch counter. train_mnist trains a small net briefly."""

import numpy as np


def affine_forward(x, w, b):
    out = np.dot(x.reshape(x.shape[0], -1), w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out, x


def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


def softmax_loss(scores, y):
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    probs = np.exp(log_probs)
    N = scores.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def adam(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-3)
    beta1 = config.get("beta1", 0.9)
    beta2 = config.get("beta2", 0.999)
    eps = config.get("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0) + 1
    m = beta1 * m + (1 - beta1) * dw
    mt = m / (1 - beta1 ** t)
    v = beta2 * v + (1 - beta2) * (dw ** 2)
    vt = v / (1 - beta2 ** t)
    next_w = w - lr * mt / (np.sqrt(vt) + eps)
    config.update(learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps, m=m, v=v, t=t)
    return next_w, config


class MLP:
    def __init__(self, sizes, seed=0):
        np.random.seed(seed)
        self.num_layers = len(sizes) - 1
        self.params = {}
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = 0.1 * np.random.randn(sizes[i], sizes[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(sizes[i + 1])

    def loss_and_grads(self, X, y):
        caches = []
        out = X
        for i in range(1, self.num_layers + 1):
            out, cache = affine_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            caches.append(cache)
            if i < self.num_layers:
                out, cache = relu_forward(out)
                caches.append(cache)
        loss, dout = softmax_loss(out, y)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            if i < self.num_layers:
                dout = relu_backward(dout, caches.pop())
            dout, grads["W%d" % i], grads["b%d" % i] = affine_backward(dout, caches.pop())
        return loss, grads

    def forward(self, X):
        out = X
        for i in range(1, self.num_layers + 1):
            out, _ = affine_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            if i < self.num_layers:
                out, _ = relu_forward(out)
        return out

    def train(self, X, y, epochs, batch_size, lr, on_epoch=None):
        configs = {}
        for p in self.params:
            configs[p] = {"learning_rate": lr}
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)
        if num_train % batch_size != 0 and num_train > batch_size:
            iterations_per_epoch += 1
        loss_history = []
        for epoch in range(epochs):
            perm = np.random.permutation(num_train)
            epoch_loss, seen = 0.0, 0
            for it in range(iterations_per_epoch):
                idx = perm[it * batch_size:(it + 1) * batch_size]
                loss, grads = self.loss_and_grads(X[idx], y[idx])
                epoch_loss += loss * len(idx)
                seen += len(idx)
                for p, w in self.params.items():
                    next_w, next_config = adam(w, grads[p], configs[p])
                    self.params[p] = next_w
                    configs[p] = next_config
            loss_history.append(epoch_loss / seen)
            if on_epoch is not None:
                on_epoch(epoch + 1, loss_history[-1])
        return loss_history

    def predict(self, X):
        scores = self.forward(X)
        return np.argmax(scores, axis=1)


def train_mnist(X, y, on_epoch=None):
    model = MLP([784, 64, 10], seed=0)
    model.train(X[:10000], y[:10000], epochs=1, batch_size=200, lr=1e-3, on_epoch=on_epoch)
    return model
