"""stage3/flash_attention: attention as one Triton kernel with an online softmax (advanced, optional).

Write a Triton kernel that computes, for every batch item b and head h,

    out[b, h] = softmax(q[b, h] @ k[b, h]^T * scale) @ v[b, h]        scale = 1 / sqrt(D)

without ever holding the (S, S) matrix of scores. One program instance owns BLOCK_M queries of
one (b, h) pair. It loads those queries once, then walks over the keys and values BLOCK_N at a
time, and for each of its queries keeps three running quantities:

    m    the largest scaled score seen so far
    l    the sum of exp(score - m) over the keys seen so far
    acc  the sum of exp(score - m) * v over the keys seen so far        (BLOCK_M, D)

When a new tile raises m, everything summed under the old m is too large by exp(m_new - m_old):
multiply l and acc by exp(m_old - m_new) before adding the new tile. After the last tile,
out = acc / l. Keep m, l and acc in float32 whatever the input dtype.

The grader calls the launcher, `flash_attention(q, k, v, causal=..., block_m=..., block_n=...)`:

    q, k, v   torch tensors of shape (B, H, S, D), same shape, dtype float32 or float16, on the
              CPU while grading (Triton's interpreter runs your kernel) and on a GPU in
              `grade bench`. D is a power of two, at least 16.
    causal    False: every query sees every key. True: query i sees keys 0..i only.
    block_m, block_n   the tile sizes (powers of two, at least 16). The grader passes small ones
              (16, 32), so that a sequence crosses several key tiles and usually ends in a partial
              one; the benchmark uses your defaults, so choose defaults that are fast on a GPU.
    Returns a new tensor shaped like q, in q's dtype.

S is not a multiple of the block sizes in general: the last tile of queries and the last tile of
keys run past the end. Load and store with a mask there, and give the keys past S a score of
-inf, not 0 (a padded key loaded as zeros still has a score of 0, and exp(0 - m) is not 0).

Rules: the attention is computed by your kernel. While the launcher runs, torch's matrix
products, softmax and attention functions are refused; the launcher allocates the output,
reads shapes and strides, and launches the kernel with kernel[grid](...).
Needs the `triton` package (pip install triton; Linux). Grading runs it in Triton's interpreter
(TRITON_INTERPRET=1, set by the grader), so no GPU is needed to pass.
"""

from __future__ import annotations

import math  # noqa: F401 - math.sqrt is handy

import torch  # noqa: F401
import triton
import triton.language as tl


@triton.jit
def flash_attention_kernel(Q, K, V, Out, stride_b, stride_h, stride_s, H, S, scale,
                           HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """One program: the output rows of BLOCK_M queries of one (batch, head) pair.

    Q, K, V, Out: pointers to (B, H, S, D) tensors with the strides given (the last axis has
    stride 1). program_id(0) is the tile of queries, program_id(1) is b * H + h.
    You may change this signature as you like: only flash_attention below is called.
    """
    raise NotImplementedError("TODO: load a tile of queries, walk the key tiles with a running max and sum, store acc / l")


def flash_attention(q, k, v, causal=False, block_m=64, block_n=64):
    """softmax(q @ k^T / sqrt(D)) @ v for q, k, v of shape (B, H, S, D), computed by your kernel.

    Allocate the output (torch.empty_like(q)), launch the kernel on a grid of
    (triton.cdiv(S, block_m), B * H) programs, and return the output.
    """
    raise NotImplementedError("TODO: allocate the output, pick the grid, launch flash_attention_kernel[grid](...)")
