"""Reference for stage2/layers: CS231n-style layers (forward/backward pairs) and a fully connected net."""

import numpy as np


# -- affine and ReLU ---------------------------------------------------------------------------------
def affine_forward(x, w, b):
    """out = rows(x) @ w + b; x (N, d1, ..., dk) is read as N rows of D numbers."""
    out = x.reshape(x.shape[0], -1) @ w + b  # (N, M)
    return out, (x, w)


def affine_backward(dout, cache):
    """dx in x's own shape, dw (D, M), db (M,)."""
    x, w = cache
    rows = x.reshape(x.shape[0], -1)  # (N, D)
    dx = (dout @ w.T).reshape(x.shape)
    dw = rows.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """max(x, 0); the cache is the input."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """The gradient passes where the input was positive (not at 0)."""
    return dout * (cache > 0)


# -- losses ---------------------------------------------------------------------------------------------
def softmax_loss(x, y):
    """Mean cross-entropy of the softmax of each row; stable for any finite scores."""
    n = x.shape[0]
    rows = np.arange(n)
    shifted = x - x.max(axis=1, keepdims=True)  # exp(shifted) <= 1: never overflows
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    return float(loss), dx / n


def svm_loss(x, y):
    """Multiclass hinge loss with margin 1, averaged over the rows."""
    n = x.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, x - x[rows, y][:, None] + 1.0)  # (N, C)
    margins[rows, y] = 0.0  # the correct class is no term of its own row
    loss = margins.sum() / n
    active = (margins > 0).astype(x.dtype)
    active[rows, y] = -active.sum(axis=1)  # x[i, y[i]] enters every active margin with a minus
    return float(loss), active / n


# -- normalisation -------------------------------------------------------------------------------------
def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch statistics in train mode (updating the running averages in bn_param), running ones in test mode."""
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)  # biased: divide by N
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return out, (x_hat, gamma, inv_std)
    if mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, None
    raise ValueError(f"bn_param['mode'] must be 'train' or 'test', not {mode!r}")


def batchnorm_backward(dout, cache):
    """dx of the normalisation in one expression (the three paths through mean and var summed)."""
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Each row normalised over its own features."""
    eps = ln_param.get("eps", 1e-5)
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def layernorm_backward(dout, cache):
    """Batchnorm's backward with the roles of the axes exchanged for dx."""
    x_hat, gamma, inv_std = cache
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / d * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    return dx, dgamma, dbeta


# -- dropout ----------------------------------------------------------------------------------------
def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p and scale it by 1 / p; identity in test mode."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, (dropout_param["mode"], mask)
    if mode == "test":
        return x, ("test", None)
    raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', not {mode!r}")


def dropout_backward(dout, cache):
    """dout through the same mask (train), or unchanged (test)."""
    mode, mask = cache
    return dout * mask if mode == "train" else dout


# -- the network ------------------------------------------------------------------------------------
class FullyConnectedNet:
    """{affine - [batchnorm | layernorm] - relu - [dropout]} x (L - 1) - affine - softmax."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        sizes = [input_dim, *hidden_dims, num_classes]
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = (weight_scale * np.random.randn(sizes[i - 1], sizes[i])).astype(dtype)
            self.params[f"b{i}"] = np.zeros(sizes[i], dtype=dtype)
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(sizes[i], dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(sizes[i], dtype=dtype)
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)] if normalization else []

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        caches = []
        h = X
        for i in range(1, self.num_layers):
            h, affine_cache = affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            norm_cache = None
            if self.normalization == "batchnorm":
                h, norm_cache = batchnorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                h, norm_cache = layernorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1])
            h, relu_cache = relu_forward(h)
            drop_cache = None
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, self.dropout_param)
            caches.append((affine_cache, norm_cache, relu_cache, drop_cache))
        last = self.num_layers
        scores, last_cache = affine_forward(h, self.params[f"W{last}"], self.params[f"b{last}"])
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, last_cache)
        for i in range(self.num_layers - 1, 0, -1):
            affine_cache, norm_cache, relu_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dh = dropout_backward(dh, drop_cache)
            dh = relu_backward(dh, relu_cache)
            if self.normalization == "batchnorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward(dh, norm_cache)
            elif self.normalization == "layernorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dh, norm_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, affine_cache)
        for i in range(1, self.num_layers + 1):
            w = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(w * w)  # L2 on the weights only
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * w
        return loss, grads
