"""stage3/positional: telling a transformer where each token is — sinusoidal encodings, RoPE, ALiBi.

Attention by itself does not see order. Three answers, NumPy, float64:

  - sinusoidal_encoding(seq_len, d_model) -> (seq_len, d_model), d_model even ("Attention Is All
    You Need"): for position p and i = 0 .. d_model/2 - 1, with angle = p / 10000**(2i / d_model),
        PE[p, 2i] = sin(angle)   and   PE[p, 2i + 1] = cos(angle)     (interleaved: sin, cos, sin, ...)
  - RoPE, rotary position embedding, in the rotate-half layout (GPT-NeoX and Llama's):
      rope_cos_sin(seq_len, head_dim, base=10000.0) -> (cos, sin), each (seq_len, head_dim):
        inv_freq[i] = base**(-2i / head_dim) for i = 0 .. head_dim/2 - 1,
        angles[p, i] = p * inv_freq[i], and cos = cos(concatenate([angles, angles], axis=-1)), likewise sin
        (positions p = 0, 1, ..., seq_len - 1).
      apply_rope(x, cos, sin) -> x * cos + rotate_half(x) * sin, for x of shape (..., seq_len, head_dim),
        where rotate_half(x) = concatenate([-x2, x1], axis=-1) with x1, x2 the first and second halves
        of the last axis. cos and sin broadcast over the leading axes.
    Its point: the dot product of a query rotated to position m and a key rotated to position n
    depends on m - n only. The grader checks that property on your functions.
  - ALiBi, attention with linear biases:
      alibi_slopes(n_heads) -> (n_heads,): for a power of two n, slopes[h] = r**(h + 1) with
        r = 2**(-8 / n); otherwise, with m the largest power of two below n: the m slopes of
        alibi_slopes(m), followed by the slopes of alibi_slopes(2 * m) at the even positions
        0, 2, 4, ... until there are n slopes (the paper's rule).
      alibi_bias(n_heads, seq_len) -> (n_heads, seq_len, seq_len): bias[h, i, j] = -slopes[h] * (i - j)
        (the further back key j is from query i, the more negative; a causal model masks j > i itself).
"""

import numpy as np


def sinusoidal_encoding(seq_len, d_model):
    """(seq_len, d_model) sinusoidal position encodings, sin and cos interleaved."""
    raise NotImplementedError("TODO: sinusoidal_encoding")


def rope_cos_sin(seq_len, head_dim, base=10000.0):
    """(cos, sin), each (seq_len, head_dim), for RoPE in the rotate-half layout."""
    raise NotImplementedError("TODO: rope_cos_sin")


def apply_rope(x, cos, sin):
    """x (..., seq_len, head_dim) rotated: x * cos + rotate_half(x) * sin."""
    raise NotImplementedError("TODO: apply_rope")


def alibi_slopes(n_heads):
    """(n_heads,) ALiBi slopes (the paper's rule for any number of heads)."""
    raise NotImplementedError("TODO: alibi_slopes")


def alibi_bias(n_heads, seq_len):
    """(n_heads, seq_len, seq_len) ALiBi bias: -slopes[h] * (i - j)."""
    raise NotImplementedError("TODO: alibi_bias")
