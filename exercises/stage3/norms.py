"""stage3/norms: the two normalisations inside every transformer block, forward and backward.

Both normalise each vector along the LAST axis of x, shape (..., D), with any number of
leading axes (a batch, a sequence, heads...), then scale it per feature. NumPy only, float64.

  - layernorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache):
        mean and the *biased* variance over the last axis (divide by D),
        out = (x - mean) / sqrt(var + eps) * gamma + beta          (gamma, beta: shape (D,))
    layernorm_backward(dout, cache) -> (dx, dgamma, dbeta): the gradients of sum(out * dout),
    dgamma and dbeta summed over every leading axis.
  - rmsnorm_forward(x, weight, eps=1e-6) -> (out, cache):
        rms = sqrt(mean(x**2 over the last axis) + eps)   (no mean is subtracted, no bias)
        out = x / rms * weight                                     (weight: shape (D,))
    rmsnorm_backward(dout, cache) -> (dx, dweight).

These are torch.nn.LayerNorm(D, eps) and torch.nn.RMSNorm(D, eps); the grader compares your
outputs and gradients with theirs (float64, 1e-10) and with central differences.
"""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis: x (..., D), gamma (D,), beta (D,) -> (out (..., D), cache)."""
    raise NotImplementedError("TODO: layernorm_forward")


def layernorm_backward(dout, cache):
    """Gradients of LayerNorm: dout (..., D), cache -> (dx (..., D), dgamma (D,), dbeta (D,))."""
    raise NotImplementedError("TODO: layernorm_backward")


def rmsnorm_forward(x, weight, eps=1e-6):
    """RMSNorm over the last axis: x (..., D), weight (D,) -> (out (..., D), cache)."""
    raise NotImplementedError("TODO: rmsnorm_forward")


def rmsnorm_backward(dout, cache):
    """Gradients of RMSNorm: dout (..., D), cache -> (dx (..., D), dweight (D,))."""
    raise NotImplementedError("TODO: rmsnorm_backward")
