"""Reference for stage3/positional: sinusoidal encodings, RoPE (rotate-half), ALiBi."""

import math

import numpy as np


def sinusoidal_encoding(seq_len, d_model):
    """(seq_len, d_model) sinusoidal position encodings, sin and cos interleaved."""
    positions = np.arange(seq_len)[:, None]  # (T, 1)
    angles = positions / 10000.0 ** (np.arange(0, d_model, 2) / d_model)  # (T, d/2)
    pe = np.zeros((seq_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def rope_cos_sin(seq_len, head_dim, base=10000.0):
    """(cos, sin), each (seq_len, head_dim), for RoPE in the rotate-half layout."""
    inv_freq = base ** (-np.arange(0, head_dim, 2) / head_dim)  # (head_dim/2,)
    angles = np.arange(seq_len)[:, None] * inv_freq[None, :]  # (T, head_dim/2)
    both = np.concatenate([angles, angles], axis=-1)  # (T, head_dim)
    return np.cos(both), np.sin(both)


def _rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x, cos, sin):
    """x (..., seq_len, head_dim) rotated: x * cos + rotate_half(x) * sin."""
    return x * cos + _rotate_half(x) * sin


def _power_of_two_slopes(n):
    ratio = 2.0 ** (-8.0 / n)
    return [ratio ** (h + 1) for h in range(n)]


def alibi_slopes(n_heads):
    """(n_heads,) ALiBi slopes (the paper's rule for any number of heads)."""
    if math.log2(n_heads).is_integer():
        return np.array(_power_of_two_slopes(n_heads))
    m = 2 ** math.floor(math.log2(n_heads))
    extra = _power_of_two_slopes(2 * m)[0::2][: n_heads - m]
    return np.array(_power_of_two_slopes(m) + extra)


def alibi_bias(n_heads, seq_len):
    """(n_heads, seq_len, seq_len) ALiBi bias: -slopes[h] * (i - j)."""
    distance = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]  # (T, T): i - j
    return -alibi_slopes(n_heads)[:, None, None] * distance[None, :, :]
