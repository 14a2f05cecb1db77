"""stage3/flash_attention, the reference: a Triton attention forward with an online softmax.

One program handles BLOCK_M queries of one (batch, head) pair and walks over the keys and
values BLOCK_N at a time, keeping per query a running maximum m, a running sum l of
exp(score - m) and an unnormalised output accumulator; the (S, S) score matrix never exists.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl


@triton.jit
def flash_attention_kernel(Q, K, V, Out, stride_b, stride_h, stride_s, H, S, scale,
                           HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """Out[b, h, rows] = softmax(Q[b, h, rows] @ K[b, h]^T * scale) @ V[b, h] for one tile of rows."""
    tile = tl.program_id(0)
    bh = tl.program_id(1)
    base = (bh // H) * stride_b + (bh % H) * stride_h
    rows = tile * BLOCK_M + tl.arange(0, BLOCK_M)  # (BLOCK_M,) query positions
    dims = tl.arange(0, HEAD_DIM)
    row_ok = rows < S
    q = tl.load(Q + base + rows[:, None] * stride_s + dims[None, :], mask=row_ok[:, None], other=0.0)  # (BLOCK_M, D)
    m = tl.full((BLOCK_M,), float("-inf"), tl.float32)  # running maximum of the scaled scores
    l = tl.zeros((BLOCK_M,), tl.float32)  # running sum of exp(score - m)
    acc = tl.zeros((BLOCK_M, HEAD_DIM), tl.float32)  # running sum of exp(score - m) * v
    end = tl.minimum((tile + 1) * BLOCK_M, S) if CAUSAL else S  # causal: no key after the tile's last query
    for start in range(0, end, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)  # (BLOCK_N,) key positions
        col_ok = cols < S
        k = tl.load(K + base + cols[:, None] * stride_s + dims[None, :], mask=col_ok[:, None], other=0.0)  # (BLOCK_N, D)
        v = tl.load(V + base + cols[:, None] * stride_s + dims[None, :], mask=col_ok[:, None], other=0.0)
        scores = tl.dot(q, tl.trans(k)).to(tl.float32) * scale  # (BLOCK_M, BLOCK_N)
        keep = col_ok[None, :]
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        scores = tl.where(keep, scores, float("-inf"))
        m_new = tl.maximum(m, tl.max(scores, axis=1))
        # Rows past the end of the sequence see no key at all: keep their maximum finite so
        # that exp(-inf - m_new) is 0, not NaN. They are never stored.
        m_new = tl.where(m_new == float("-inf"), 0.0, m_new)
        p = tl.exp(scores - m_new[:, None])  # (BLOCK_M, BLOCK_N)
        alpha = tl.exp(m - m_new)  # how much the old sums shrink under the new maximum
        l = l * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v).to(tl.float32)
        m = m_new
    out = acc / tl.where(l == 0.0, 1.0, l)[:, None]
    tl.store(Out + base + rows[:, None] * stride_s + dims[None, :], out.to(Out.dtype.element_ty), mask=row_ok[:, None])


def flash_attention(q, k, v, causal=False, block_m=64, block_n=64):
    """softmax(q @ k^T / sqrt(D)) @ v for q, k, v of shape (B, H, S, D), by the kernel above."""
    B, H, S, D = q.shape
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    out = torch.empty_like(q)
    grid = (triton.cdiv(S, block_m), B * H)
    flash_attention_kernel[grid](q, k, v, out, q.stride(0), q.stride(1), q.stride(2), H, S, 1.0 / math.sqrt(D),
                                 HEAD_DIM=D, BLOCK_M=block_m, BLOCK_N=block_n, CAUSAL=causal)
    return out
