"""stage2/mlp: a multilayer perceptron in NumPy, trained with Adam until it reads MNIST digits.

Build it from small layer functions, CS231n style: each `*_forward` returns its output and
a cache, each `*_backward` takes the upstream gradient and that cache. Then assemble them
into an `MLP` whose parameters live in one dict, `self.params`, with keys W1, b1, W2, b2, ...
(W_i of shape (sizes[i-1], sizes[i]), b_i of shape (sizes[i],)); the grader writes its own
weights into that dict and reads them back after `train`.

Last, `train_mnist` builds and trains the network you choose on MNIST's 60,000 training
images. The grader runs it in your process once every other check passes, then scores
`predict` on the 10,000 test images itself: done at 98 % test accuracy.

NumPy only: importing torch, jax, tensorflow or scikit-learn is refused.
"""

import numpy as np


def affine_forward(x, w, b):
    """Affine layer: x (N, D), w (D, M), b (M,) -> (out (N, M), cache).

    out = x @ w + b. The cache holds whatever affine_backward needs.
    """
    raise NotImplementedError("TODO: affine_forward")


def affine_backward(dout, cache):
    """Gradients of the affine layer: dout (N, M), cache -> (dx (N, D), dw (D, M), db (M,))."""
    raise NotImplementedError("TODO: affine_backward")


def relu_forward(x):
    """ReLU: x (any shape) -> (out = max(x, 0) of the same shape, cache)."""
    raise NotImplementedError("TODO: relu_forward")


def relu_backward(dout, cache):
    """Gradient of ReLU: dout (same shape as x), cache -> dx (same shape)."""
    raise NotImplementedError("TODO: relu_backward")


def softmax_loss(scores, y):
    """Softmax cross-entropy: scores (N, C) float, y (N,) int in [0, C) -> (loss, dscores).

    loss is the mean over the N rows of -log softmax(scores)[i, y[i]], a float;
    dscores (N, C) is d loss / d scores. Must stay finite and exact for scores as large
    as ±1e4, however far apart the rows or the classes of a row are.
    """
    raise NotImplementedError("TODO: softmax_loss")


def adam(w, dw, config=None):
    """One Adam step: w, dw (same shape, float) and config (dict or None) -> (next_w, config).

    config keys: learning_rate (default 1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8),
    m and v (moment estimates, zeros like w at first) and t (steps taken, 0 at first).
    Use the values config has and fill in only the missing keys, take the step, and return
    the updated config: the caller passes it back in for the next step. The step is
    torch.optim.Adam's: t += 1, update m and v, unbias them by (1 - beta**t), then
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon). w may have any shape.
    """
    raise NotImplementedError("TODO: adam")


class MLP:
    """Affine - ReLU - affine - ReLU - ... - affine, ending in class scores."""

    def __init__(self, sizes, seed=0):
        """sizes: [D, H1, ..., C] (input size, hidden sizes, number of classes); seed: int.

        Fill self.params with W1 .. WL (random, fixed by the seed: the same seed gives the
        same weights, another seed other weights) and b1 .. bL (float64).
        """
        raise NotImplementedError("TODO: MLP.__init__")

    def forward(self, X):
        """X (N, D) float -> scores (N, C) float."""
        raise NotImplementedError("TODO: MLP.forward")

    def loss_and_grads(self, X, y):
        """X (N, D), y (N,) int -> (loss: float, grads: dict with the keys and shapes of self.params)."""
        raise NotImplementedError("TODO: MLP.loss_and_grads")

    def train(self, X, y, epochs, batch_size, lr, on_epoch=None):
        """Minibatch training with adam() (default betas and epsilon) at learning rate lr.

        Each epoch shuffles the rows (a new permutation of all N rows, X and y alike), then
        cuts them into batches of batch_size in that order; the last batch is smaller when
        batch_size does not divide N. Each batch takes one Adam step on every parameter,
        each parameter keeping its own Adam config for the whole of train. After each epoch,
        call on_epoch(epoch, mean_loss) if it is given (epoch counts from 1; mean_loss is
        the mean of the epoch's batch losses).
        Returns the list of each epoch's mean training loss (the numbers on_epoch got).
        """
        raise NotImplementedError("TODO: MLP.train")

    def predict(self, X):
        """X (N, D) -> the most likely class of each row, int array (N,)."""
        raise NotImplementedError("TODO: MLP.predict")


def train_mnist(X, y, on_epoch=None):
    """Build and train an MLP on MNIST; return the trained model.

    X: (60000, 784) float32 in [0, 1]; y: (60000,) int64 labels 0..9. You choose the
    sizes, epochs, batch size and learning rate (float32 parameters train about twice as
    fast as float64). Pass on_epoch to train (or call on_epoch(epoch, loss) yourself) so
    that `grade` can show the progress.
    """
    raise NotImplementedError("TODO: train_mnist")
