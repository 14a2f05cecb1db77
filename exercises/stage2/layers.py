"""stage2/layers: the layers of a fully connected network as forward/backward pairs, CS231n style.

Every layer is two functions. `*_forward` takes the inputs and returns `(out, cache)`; the
cache holds whatever the backward pass will need. `*_backward` takes `dout` (the gradient of
the loss with respect to `out`, same shape as `out`) and that cache, and returns the gradient
with respect to each input, each with the shape of that input. The two losses return the loss
and its gradient at once. Then `FullyConnectedNet` stacks the layers into a network.

What the grader checks, all in float64:
  - every forward against its own NumPy and PyTorch computation of the formulas below, to 1e-9;
  - every backward against PyTorch autograd of the same forward (relative error at most 1e-7
    at every entry, relative error = |a - b| / max(|a| + |b|, 1e-8)) and against central
    differences at sampled entries (the same 1e-7);
  - the network's scores, loss and gradients the same way, with and without batchnorm,
    layernorm, dropout and L2 regularisation;
  - the cases every grading tries: x with more than two axes (N, 2, 3), a batch of one row,
    scores of size 1e4, labels that all name one class, a single class, batchnorm's running
    averages after several training batches and then test mode, dropout in both modes.

The rules:
  - affine: x of shape (N, d1, ..., dk) is used as N rows of D = d1 * ... * dk numbers
    (x.reshape(N, -1)); out = rows @ w + b with w (D, M), b (M,). dx has x's own shape.
  - relu: out = max(x, 0). The gradient passes where x > 0 and is 0 where x <= 0 (also at
    x == 0 exactly, as in PyTorch).
  - softmax_loss(x, y): the mean over the N rows of -log softmax(x[i])[y[i]]. It must stay
    finite and exact for scores as large as 1e4 (subtract each row's maximum first).
  - svm_loss(x, y): the multiclass hinge loss with margin 1,
        loss = (1 / N) * sum over i, and over j != y[i], of max(0, x[i, j] - x[i, y[i]] + 1).
    The correct class is not a term of its own row. A margin of exactly 0 counts as inactive
    (gradient 0, as max(0, .) in PyTorch).
  - batchnorm_forward(x, gamma, beta, bn_param), x (N, D): bn_param is a dict with
        "mode": "train" or "test" (required), "eps" (default 1e-5), "momentum" (default 0.9),
        "running_mean", "running_var" (arrays (D,); zeros when missing).
    Train mode normalises with the batch's mean and its biased variance (divide by N):
        out = gamma * (x - mean) / sqrt(var + eps) + beta,
    and updates the running averages (this is CS231n's convention, not PyTorch's):
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var  = momentum * running_var  + (1 - momentum) * var   (the same biased var)
    storing both back into bn_param, the same dict: the caller passes it to every later call.
    Test mode uses running_mean and running_var in place of the batch's statistics and
    changes nothing in bn_param.
  - layernorm_forward(x, gamma, beta, ln_param), x (N, D): each row is normalised by its own
    mean and biased variance over its D features, then scaled by gamma and shifted by beta
    (both (D,)); ln_param holds "eps" (default 1e-5). It behaves the same in train and test.
  - dropout_forward(x, dropout_param): inverted dropout. dropout_param holds "mode" ("train" or
    "test"), "p" and, optionally, "seed". p is the probability of KEEPING a unit (not of
    dropping it). In train mode, draw the mask exactly like this, so that the grader's mask
    is yours:
        if "seed" in dropout_param: np.random.seed(dropout_param["seed"])
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    The kept units are scaled by 1 / p during training so that test mode can be the identity:
    out = x in test mode, with no scaling there.

FullyConnectedNet builds `{affine - [batchnorm or layernorm] - relu - [dropout]} x (L - 1) -
affine - softmax` from these functions, with L = len(hidden_dims) + 1 affine layers (see
its docstrings for the parameter names and the rules).

NumPy only: importing torch, jax, tensorflow, keras or scikit-learn is refused.
"""

import numpy as np


def affine_forward(x, w, b):
    """Affine layer: x (N, d1, ..., dk), w (D, M) with D = d1 * ... * dk, b (M,) -> (out (N, M), cache)."""
    raise NotImplementedError("TODO: affine_forward")


def affine_backward(dout, cache):
    """Gradients of the affine layer: dout (N, M), cache -> (dx like x (N, d1, ..., dk), dw (D, M), db (M,))."""
    raise NotImplementedError("TODO: affine_backward")


def relu_forward(x):
    """ReLU: x (any shape) -> (out = max(x, 0), same shape, cache)."""
    raise NotImplementedError("TODO: relu_forward")


def relu_backward(dout, cache):
    """Gradient of ReLU: dout (shape of x), cache -> dx (shape of x): dout where x > 0, else 0."""
    raise NotImplementedError("TODO: relu_backward")


def softmax_loss(x, y):
    """Softmax cross-entropy: x (N, C) scores, y (N,) ints in [0, C) -> (loss (float), dx (N, C)).

    loss is the mean over the rows of -log softmax(x[i])[y[i]]; dx = d loss / d x.
    """
    raise NotImplementedError("TODO: softmax_loss")


def svm_loss(x, y):
    """Multiclass hinge loss, margin 1: x (N, C) scores, y (N,) ints in [0, C) -> (loss (float), dx (N, C)).

    loss = mean over i of the sum over j != y[i] of max(0, x[i, j] - x[i, y[i]] + 1).
    """
    raise NotImplementedError("TODO: svm_loss")


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation: x (N, D), gamma (D,), beta (D,), bn_param (dict) -> (out (N, D), cache).

    Train mode: batch statistics, and running_mean / running_var updated in bn_param with
    running = momentum * running + (1 - momentum) * batch statistic. Test mode: the running
    statistics. See the module docstring for the keys and their defaults.
    """
    raise NotImplementedError("TODO: batchnorm_forward")


def batchnorm_backward(dout, cache):
    """Gradients of batchnorm (train mode): dout (N, D), cache -> (dx (N, D), dgamma (D,), dbeta (D,))."""
    raise NotImplementedError("TODO: batchnorm_backward")


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalisation: x (N, D), gamma (D,), beta (D,), ln_param (dict with "eps", default 1e-5) -> (out (N, D), cache).

    Each row is normalised over its own D features.
    """
    raise NotImplementedError("TODO: layernorm_forward")


def layernorm_backward(dout, cache):
    """Gradients of layernorm: dout (N, D), cache -> (dx (N, D), dgamma (D,), dbeta (D,))."""
    raise NotImplementedError("TODO: layernorm_backward")


def dropout_forward(x, dropout_param):
    """Inverted dropout: x (any shape), dropout_param {"mode", "p" (keep probability), "seed" (optional)} -> (out, cache).

    Train mode: mask = (np.random.rand(*x.shape) < p) / p after np.random.seed(seed) when a
    seed is given; out = x * mask. Test mode: out = x.
    """
    raise NotImplementedError("TODO: dropout_forward")


def dropout_backward(dout, cache):
    """Gradient of dropout: dout (shape of x), cache -> dx (shape of x): dout * mask in train mode, dout in test mode."""
    raise NotImplementedError("TODO: dropout_backward")


class FullyConnectedNet:
    """{affine - [batchnorm | layernorm] - relu - [dropout]} x (L - 1) - affine - softmax loss."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64, seed=None):
        """hidden_dims: list of hidden sizes [H1, ..., H(L-1)] (may be empty); input_dim: D; num_classes: C.

        dropout_keep_ratio: p, the probability of keeping a unit (1 means no dropout).
        normalization: None, "batchnorm" or "layernorm". reg: L2 strength. dtype: of every parameter.
        seed: when not None, dropout is made deterministic by giving this seed to the dropout layers.

        Fill self.params (every array of dtype `dtype`):
          W1 (D, H1), b1 (H1,), ..., WL (H(L-1), C), bL (C,): W drawn from a normal with
            standard deviation weight_scale (mean 0), b zeros;
          with normalization: gamma1, beta1, ..., gamma(L-1), beta(L-1), each (Hi,): ones and zeros.
        Also keep:
          self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}, plus "seed": seed when
            seed is not None: ONE dict that every dropout layer of the net uses (with a seed, each
            dropout layer reseeds np.random with it, so every layer's mask starts the same stream);
          self.bn_params = a list of L - 1 dicts ({"mode": "train"} each) when normalization is used,
            one per normalisation layer: batchnorm keeps its running averages in them between calls.
        """
        raise NotImplementedError("TODO: FullyConnectedNet.__init__")

    def loss(self, X, y=None):
        """X (N, d1, ..., dk) with d1 * ... * dk = input_dim; y (N,) ints or None.

        y None: test mode (dropout is the identity, batchnorm uses its running averages);
        return the scores (N, C) of the last affine layer.
        Otherwise train mode: return (loss, grads), where
          loss = softmax_loss of the scores + 0.5 * reg * (sum of W**2 over every weight W1..WL),
          (the biases, gammas and betas are not regularised), and grads is a dict with the
          keys and shapes of self.params: the gradient of that loss.
        Set the mode ("train" / "test") in self.dropout_param and in every bn_param before the
        forward pass.
        """
        raise NotImplementedError("TODO: FullyConnectedNet.loss")
