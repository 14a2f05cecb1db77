"""stage3/norms by the chain rule, one intermediate at a time (a correct solution in another style)."""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    d = x.shape[-1]
    mu = np.sum(x, axis=-1, keepdims=True) / d
    xc = x - mu
    var = np.sum(xc * xc, axis=-1, keepdims=True) / d
    std = np.sqrt(var + eps)
    xhat = xc / std
    out = gamma * xhat + beta
    return out, {"xc": xc, "std": std, "xhat": xhat, "gamma": gamma, "d": d}


def layernorm_backward(dout, cache):
    xc, std, xhat, gamma, d = cache["xc"], cache["std"], cache["xhat"], cache["gamma"], cache["d"]
    flat = dout.reshape(-1, d)
    dgamma = np.sum(flat * xhat.reshape(-1, d), axis=0)
    dbeta = np.sum(flat, axis=0)
    dxhat = dout * gamma
    dxc = dxhat / std
    dstd = -np.sum(dxhat * xc, axis=-1, keepdims=True) / std**2
    dvar = dstd / (2 * std)
    dxc = dxc + dvar * 2 * xc / d
    dmu = -np.sum(dxc, axis=-1, keepdims=True)
    dx = dxc + dmu / d
    return dx, dgamma, dbeta


def rmsnorm_forward(x, weight, eps=1e-6):
    d = x.shape[-1]
    ms = np.sum(x * x, axis=-1, keepdims=True) / d
    rms = np.sqrt(ms + eps)
    return x / rms * weight, {"x": x, "rms": rms, "weight": weight, "d": d}


def rmsnorm_backward(dout, cache):
    x, rms, weight, d = cache["x"], cache["rms"], cache["weight"], cache["d"]
    dweight = np.sum((dout * x / rms).reshape(-1, d), axis=0)
    dxn = dout * weight
    drms = -np.sum(dxn * x, axis=-1, keepdims=True) / rms**2
    dms = drms / (2 * rms)
    dx = dxn / rms + dms * 2 * x / d
    return dx, dweight
