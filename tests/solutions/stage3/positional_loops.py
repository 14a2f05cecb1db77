"""stage3/positional with explicit loops and complex numbers for RoPE (a correct solution in another style)."""

import math

import numpy as np


def sinusoidal_encoding(seq_len, d_model):
    pe = np.zeros((seq_len, d_model))
    for pos in range(seq_len):
        for i in range(0, d_model, 2):
            angle = pos / math.pow(10000, i / d_model)
            pe[pos, i] = math.sin(angle)
            pe[pos, i + 1] = math.cos(angle)
    return pe


def rope_cos_sin(seq_len, head_dim, base=10000.0):
    half = head_dim // 2
    cos = np.zeros((seq_len, head_dim))
    sin = np.zeros((seq_len, head_dim))
    for p in range(seq_len):
        for i in range(half):
            theta = p * base ** (-2 * i / head_dim)
            cos[p, i] = cos[p, i + half] = math.cos(theta)
            sin[p, i] = sin[p, i + half] = math.sin(theta)
    return cos, sin


def apply_rope(x, cos, sin):
    half = x.shape[-1] // 2
    z = x[..., :half] + 1j * x[..., half:]  # each pair (x[i], x[i + half]) as one complex number
    rotation = cos[..., :half] + 1j * sin[..., :half]
    turned = z * rotation
    return np.concatenate([turned.real, turned.imag], axis=-1)


def alibi_slopes(n_heads):
    def geometric(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if (n_heads & (n_heads - 1)) == 0:
        return np.array(geometric(n_heads))
    closest = 2 ** int(math.floor(math.log2(n_heads)))
    return np.array(geometric(closest) + geometric(2 * closest)[0::2][: n_heads - closest])


def alibi_bias(n_heads, seq_len):
    slopes = alibi_slopes(n_heads)
    out = np.zeros((n_heads, seq_len, seq_len))
    for h in range(n_heads):
        for i in range(seq_len):
            for j in range(seq_len):
                out[h, i, j] = -slopes[h] * (i - j)
    return out
