"""Reference solution for stage2/mlp: a NumPy multilayer perceptron trained with Adam on MNIST."""

import numpy as np


# -- layers ------------------------------------------------------------------------------
def affine_forward(x, w, b):
    """out = x @ w + b for x (N, D), w (D, M), b (M,); cache keeps the inputs."""
    out = x.reshape(x.shape[0], -1) @ w + b  # (N, M)
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Gradients of the affine layer: dx (N, D), dw (D, M), db (M,)."""
    x, w, b = cache
    x2 = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """max(x, 0) elementwise; cache keeps the input."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """The gradient flows only where the input was positive."""
    x = cache
    return dout * (x > 0)


def softmax_loss(scores, y):
    """Mean softmax cross-entropy of scores (N, C) with labels y (N,), and d loss / d scores."""
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)  # exp never overflows
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n  # the loss is a mean over the batch
    return loss, dscores


def adam(w, dw, config=None):
    """One Adam update with bias correction; config carries m, v and the step count t."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2
    m_hat = config["m"] / (1 - beta1 ** config["t"])  # both moments start at zero: unbias them
    v_hat = config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


# -- the network -------------------------------------------------------------------------
class MLP:
    """Affine - ReLU - ... - affine, with parameters W1, b1, ..., WL, bL in self.params."""

    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.sizes = list(sizes)
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            # He initialisation keeps the activations' scale through ReLU layers.
            self.params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params[f"b{i}"] = np.zeros(fan_out)
        self.num_layers = len(sizes) - 1
        self.rng = rng  # shuffles the minibatches
        self.optim_configs = {}  # Adam's state per parameter, kept across calls to train

    def _forward(self, X):
        """Scores (N, C) and the caches backward needs."""
        caches = []
        h = X
        for i in range(1, self.num_layers + 1):
            h, cache = affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
            if i < self.num_layers:
                h, cache = relu_forward(h)
                caches.append(cache)
        return h, caches

    def forward(self, X):
        """Class scores (N, C) for inputs X (N, D)."""
        return self._forward(X)[0]

    def loss_and_grads(self, X, y):
        """Mean cross-entropy on (X, y) and its gradient for every parameter."""
        scores, caches = self._forward(X)
        loss, dout = softmax_loss(scores, y)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            if i < self.num_layers:
                dout = relu_backward(dout, caches.pop())
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, caches.pop())
        return loss, grads

    def train(self, X, y, epochs, batch_size, lr, on_epoch=None):
        """Adam on shuffled minibatches; returns the mean training loss of each epoch."""
        configs = self.optim_configs
        for name in self.params:
            configs.setdefault(name, {})["learning_rate"] = lr
        history = []
        n = X.shape[0]
        for epoch in range(1, epochs + 1):
            order = self.rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                batch = order[start : start + batch_size]
                loss, grads = self.loss_and_grads(X[batch], y[batch])
                total += loss * len(batch)
                for name in self.params:
                    self.params[name], configs[name] = adam(self.params[name], grads[name], configs[name])
            history.append(total / n)
            if on_epoch is not None:
                on_epoch(epoch, history[-1])
        return history

    def predict(self, X):
        """The most likely class of each row of X: int (N,)."""
        return np.argmax(self.forward(X), axis=1)


def train_mnist(X, y, on_epoch=None):
    """An MLP trained on all of MNIST's training images: 784 - 512 - 10, float32, 8 epochs."""
    model = MLP([784, 512, 10], seed=0)
    # float32 halves the memory traffic of every matrix product: twice as fast as float64.
    model.params = {name: p.astype(np.float32) for name, p in model.params.items()}
    X = X.astype(np.float32)
    epochs = 8
    for epoch in range(epochs):
        # Cosine decay from 2e-3 towards 0: big steps first, fine-tuning at the end.
        lr = 2e-3 * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        (loss,) = model.train(X, y, epochs=1, batch_size=128, lr=lr)
        if on_epoch is not None:
            on_epoch(epoch + 1, loss)
    return model
