"""stage3/attention: scaled dot-product attention and multi-head attention in PyTorch.

Part 1. `scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False)` computes

    weights = softmax(q @ k^T / sqrt(E) + mask)      # one row of weights per query
    output  = weights @ v

with the same meaning of every argument as `torch.nn.functional.scaled_dot_product_attention`:
a boolean mask says where a query MAY attend (True = keep), a float mask is added to the
scores, and `is_causal=True` lets query i see keys 0..i only (the lower triangle of an
(L, S) grid, counted from the top-left corner even when L != S).

Part 2. `MultiHeadAttention(embed_dim, num_heads, bias=True, batch_first=False)` is an
`nn.Module` that does what `torch.nn.MultiheadAttention` does (without dropout): project
query, key and value, split the embedding into `num_heads` heads, attend in each head,
put the heads side by side again and project the result. Its parameters have the same
names and shapes as torch's, so `mine.load_state_dict(torch_mha.state_dict())` works:

    in_proj_weight (3E, E)   the query, key and value projections stacked in that order
    in_proj_bias   (3E,)     (only with bias=True)
    out_proj                 an nn.Linear(E, E) (out_proj.weight, out_proj.bias)

Beware: in nn.MultiheadAttention a boolean mask means the opposite of part 1's: True marks
what may NOT be attended to (a padded key, a forbidden pair).

The grader never hides every key of a query (torch's own kernels disagree on what such a
row should give), so you need not decide what a fully masked row returns.

Rules: write the attention yourself with tensor operations (matmul, softmax, masked_fill,
reshape, transpose, ...). Calling torch's own attention (F.scaled_dot_product_attention,
nn.MultiheadAttention, F.multi_head_attention_forward and their relatives) is refused:
the grader reads your file and also watches every torch call your code makes.
Gradients must flow through your code (no .detach(), no .numpy() round trips).
"""

from __future__ import annotations

import math  # noqa: F401 - math.sqrt is handy

import torch  # noqa: F401
from torch import nn


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):
    """Attention of every query over every key, torch's semantics.

    q:  (..., L, E)   queries; the leading axes (batch, heads, ...) broadcast between
                      q and k, v as in any tensor operation: q (2, 1, L, E) with k and v
                      (1, 3, S, ·) attends in a (2, 3) batch
    k:  (..., S, E)   keys
    v:  (..., S, Ev)  values
    attn_mask: None, or a tensor broadcastable to (..., L, S), aligned from the right:
               (L, S), (1, S), (H, L, S) or (B, H, L, S) against q (B, H, L, E) all work,
               and a 3-D mask (H, L, S) is one mask per head, not per batch item
               dtype torch.bool  -> True where the query may attend, False where not
               a float dtype     -> added to the scores (after scaling), before the softmax
    is_causal: True -> query i may attend keys 0..i only (torch.ones(L, S).tril())
    Returns (..., L, Ev), same dtype as q (float32 and float64 are both graded).
    """
    raise NotImplementedError("TODO: scores, scaling, masks, softmax over the keys, weighted sum of v")


class MultiHeadAttention(nn.Module):
    """Multi-head attention that loads nn.MultiheadAttention's state dict."""

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=False):
        """embed_dim E (divisible by num_heads), num_heads H; head size D = E // H.

        Create in_proj_weight (3E, E), in_proj_bias (3E,) when bias, and
        out_proj = nn.Linear(E, E, bias=bias), with those exact names (start with
        super().__init__(), as every nn.Module does).
        batch_first=False: inputs are (L, N, E); True: (N, L, E).
        """
        raise NotImplementedError("TODO: super().__init__(), then the parameters, named like nn.MultiheadAttention's")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True):
        """Attend from query to key/value through H heads.

        query (L, N, E), key (S, N, E), value (S, N, E)   [or (N, L, E) ... with batch_first]
        key_padding_mask: None or (N, S); bool True = ignore this key, or floats to add;
                   row n is batch item n's, for every head
        attn_mask: None, (L, S) or (N * H, L, S); bool True = this pair may NOT attend,
                   or floats to add to the scores; a 3-D mask is batch-major: its row
                   n * H + h belongs to batch item n, head h
        Returns (output, weights):
            output  shaped like query (float dtype of the inputs)
            weights (N, L, S) averaged over the heads when average_attn_weights,
                    (N, H, L, S) otherwise, and None when need_weights is False
        """
        raise NotImplementedError("TODO: project, split heads, attend, merge heads, project")
