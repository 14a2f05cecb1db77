"""A correct stage3/flash_attention written unlike the reference: exp2 with log2(e) folded into
the scale, each tensor with its own strides (no .contiguous()), pointers that advance tile by
tile, a finite "minus infinity" for the running maximum, and the causal mask applied on every tile."""

import math

import torch
import triton
import triton.language as tl

LOG2_E = 1.4426950408889634
NEG_BIG = -1.0e30  # finite: exp2(NEG_BIG - NEG_BIG) is 1, never NaN, and such rows are masked anyway


@triton.jit
def _attention_tile(q_ptr, k_ptr, v_ptr, o_ptr,
                    sqb, sqh, sqs, skb, skh, sks, svb, svh, svs, sob, soh, sos,
                    n_heads, seq_len, qk_scale_log2,
                    D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, IS_CAUSAL: tl.constexpr):
    start_m = tl.program_id(0)
    off_b = tl.program_id(1) // n_heads
    off_h = tl.program_id(1) % n_heads
    offs_m = start_m * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs_d = tl.arange(0, D)
    q_tile = tl.load(q_ptr + off_b * sqb + off_h * sqh + offs_m[:, None] * sqs + offs_d[None, :],
                     mask=offs_m[:, None] < seq_len, other=0.0)
    k_ptrs = k_ptr + off_b * skb + off_h * skh + offs_n[:, None] * sks + offs_d[None, :]
    v_ptrs = v_ptr + off_b * svb + off_h * svh + offs_n[:, None] * svs + offs_d[None, :]
    running_max = tl.zeros((BM,), dtype=tl.float32) + NEG_BIG
    running_sum = tl.zeros((BM,), dtype=tl.float32)
    out = tl.zeros((BM, D), dtype=tl.float32)
    for n0 in range(0, seq_len, BN):
        key_pos = n0 + offs_n
        k_tile = tl.load(k_ptrs, mask=key_pos[:, None] < seq_len, other=0.0)
        v_tile = tl.load(v_ptrs, mask=key_pos[:, None] < seq_len, other=0.0)
        s = tl.dot(q_tile, tl.trans(k_tile)) * qk_scale_log2  # scores in log2 units
        allowed = key_pos[None, :] < seq_len
        if IS_CAUSAL:
            allowed = allowed & (offs_m[:, None] >= key_pos[None, :])
        s = tl.where(allowed, s, NEG_BIG)
        new_max = tl.maximum(running_max, tl.max(s, 1))
        correction = tl.exp2(running_max - new_max)
        probs = tl.exp2(s - new_max[:, None])
        probs = tl.where(allowed, probs, 0.0)  # a row with every key masked so far: exp2(0) must not count
        running_sum = running_sum * correction + tl.sum(probs, 1)
        out = out * correction[:, None]
        out += tl.dot(probs.to(v_tile.dtype), v_tile)
        running_max = new_max
        k_ptrs += BN * sks
        v_ptrs += BN * svs
    out = out / tl.maximum(running_sum, 1e-30)[:, None]
    tl.store(o_ptr + off_b * sob + off_h * soh + offs_m[:, None] * sos + offs_d[None, :], out.to(o_ptr.dtype.element_ty),
             mask=offs_m[:, None] < seq_len)


def flash_attention(q, k, v, causal=False, block_m=64, block_n=64):
    batch, heads, seq_len, head_dim = q.shape
    o = torch.empty(q.shape, dtype=q.dtype, device=q.device)
    grid = (triton.cdiv(seq_len, block_m), batch * heads)
    _attention_tile[grid](q, k, v, o,
                          q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2),
                          v.stride(0), v.stride(1), v.stride(2), o.stride(0), o.stride(1), o.stride(2),
                          heads, seq_len, LOG2_E / math.sqrt(head_dim),
                          D=head_dim, BM=block_m, BN=block_n, IS_CAUSAL=causal)
    return o
