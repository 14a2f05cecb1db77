"""Attention computed tile by tile in NumPy (float64), the way a Triton kernel walks the keys, with
the classic mistakes of an online softmax as switches: what a wrong kernel would return.

Only the judge runs this (for diagnoses); the right answer comes from torch's SDPA.
"""

from __future__ import annotations

import math

import numpy as np

MISTAKES = {
    "no_rescale": "the accumulator is not rescaled when the running maximum grows: multiply acc by "
                  "exp(m_old - m_new) each tile, as you do for the running sum",
    "no_scale": "the scores are not multiplied by 1/sqrt(D) (the scale argument, 1/sqrt(head_dim))",
    "scale_by_d": "the scores are divided by D instead of sqrt(D)",
    "causal_strict": "causal mask off by one: a query does not see its own key (use key <= query, not key < query)",
    "causal_peeks": "causal mask off by one: a query sees the next key too (use key <= query, not key <= query + 1)",
    "ragged_unmasked": "the ragged last tile is not masked: the padded keys past S (loaded as 0) got a score of 0 "
                       "instead of -inf, so they take a share of the softmax",
    "no_max": "exp() of the raw scores overflows: subtract the running maximum before exponentiating, and keep "
              "every exp() argument <= 0",
    "normalised_early": "the probabilities are divided by the running sum inside the loop: earlier tiles keep a "
                        "partial sum as their denominator; divide acc by the final sum once, after the loop",
}


def tiled_attention(q, k, v, causal: bool, block_n: int, mistake: str | None = None) -> np.ndarray:
    """softmax(q k^T / sqrt(D)) v for q, k, v (B, H, S, D), tile by tile over the keys, with one mistake."""
    # no_max only shows as an overflow: compute it in float32, as the kernel would
    kind = np.float32 if mistake == "no_max" else np.float64
    q, k, v = (np.asarray(x, dtype=kind) for x in (q, k, v))
    D = q.shape[-1]
    scale = {"no_scale": 1.0, "scale_by_d": 1.0 / D}.get(mistake, 1.0 / math.sqrt(D))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # overflow is the point of no_max
        acc, l = _walk(q, k, v, causal, block_n, mistake, kind(scale))
        if mistake == "normalised_early":
            return acc.astype(np.float64)
        return (acc / l[..., None]).astype(np.float64)  # a row that saw no key: 0 / 0 = NaN


def _walk(q, k, v, causal: bool, block_n: int, mistake: str | None, scale):
    """The loop over key tiles: (acc (B, H, S, D), l (B, H, S)) at its end."""
    S, D = q.shape[-2], q.shape[-1]
    rows = np.arange(S)[:, None]  # (S, 1) query positions
    m = np.full(q.shape[:-1], -np.inf, dtype=q.dtype)  # (B, H, S) running maximum
    l = np.zeros(q.shape[:-1], dtype=q.dtype)  # running sum of exp(score - m)
    acc = np.zeros(q.shape, dtype=q.dtype)  # (B, H, S, D)
    for start in range(0, math.ceil(S / block_n) * block_n, block_n):
        cols = np.arange(start, start + block_n)  # (BLOCK_N,) key positions, some past S in the last tile
        inside = cols < S
        kt = np.zeros(q.shape[:-2] + (block_n, D), dtype=q.dtype)  # padding loads as 0
        vt = np.zeros_like(kt)
        kt[..., inside, :], vt[..., inside, :] = k[..., cols[inside], :], v[..., cols[inside], :]
        scores = q @ np.swapaxes(kt, -1, -2) * scale  # (B, H, S, BLOCK_N)
        keep = np.ones((S, block_n), dtype=bool) if mistake == "ragged_unmasked" else np.broadcast_to(inside[None, :], (S, block_n))
        if causal:
            limit = {"causal_strict": rows - 1, "causal_peeks": rows + 1}.get(mistake, rows)
            keep = keep & (cols[None, :] <= limit)
        scores = np.where(keep, scores, -np.inf)
        if mistake == "no_max":
            p, alpha = np.exp(scores), 1.0
        else:
            m_new = np.maximum(m, scores.max(axis=-1))
            m_safe = np.where(np.isinf(m_new), 0.0, m_new)  # rows that saw no key yet
            p = np.exp(scores - m_safe[..., None])
            alpha = np.exp(m - m_safe)
            m = m_new
        l = l * alpha + p.sum(axis=-1)
        if mistake == "normalised_early":
            p = p / np.where(l == 0, 1.0, l)[..., None]
        acc = (acc if mistake in ("no_rescale", "no_max") else acc * np.asarray(alpha)[..., None]) + p @ vt
    return acc, l
