"""Reference for stage3/norms: LayerNorm and RMSNorm over the last axis, forward and backward."""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis: x (..., D), gamma (D,), beta (D,) -> (out (..., D), cache)."""
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = x.var(axis=-1, keepdims=True)  # (..., 1) biased
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std  # (..., D)
    return xhat * gamma + beta, (xhat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Gradients of LayerNorm: dout (..., D), cache -> (dx (..., D), dgamma (D,), dbeta (D,))."""
    xhat, inv_std, gamma = cache
    axes = tuple(range(dout.ndim - 1))
    dgamma = (dout * xhat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    dxhat = dout * gamma  # (..., D)
    # d/dx of (x - mean) * inv_std, written with the mean of dxhat and of dxhat * xhat
    dx = inv_std * (dxhat - dxhat.mean(axis=-1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta


def rmsnorm_forward(x, weight, eps=1e-6):
    """RMSNorm over the last axis: x (..., D), weight (D,) -> (out (..., D), cache)."""
    inv_rms = 1.0 / np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    xhat = x * inv_rms
    return xhat * weight, (xhat, inv_rms, weight)


def rmsnorm_backward(dout, cache):
    """Gradients of RMSNorm: dout (..., D), cache -> (dx (..., D), dweight (D,))."""
    xhat, inv_rms, weight = cache
    axes = tuple(range(dout.ndim - 1))
    dweight = (dout * xhat).sum(axis=axes)
    dxhat = dout * weight
    dx = inv_rms * (dxhat - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return dx, dweight
