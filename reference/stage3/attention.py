"""stage3/attention, the reference: scaled dot-product attention and multi-head attention.

Both follow PyTorch's semantics exactly, so that the grader can compare them with
`F.scaled_dot_product_attention` and `nn.MultiheadAttention`; neither calls them.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):
    """softmax(q @ k^T / sqrt(E) + mask) @ v over the last two axes.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev); the leading axes broadcast.
    attn_mask: None, a bool tensor (True = may attend) or a float tensor added to the
    scores, broadcastable to (..., L, S). is_causal: query i sees keys 0..i only.
    Returns (..., L, Ev) in q's dtype.
    """
    L, S = q.size(-2), k.size(-2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., L, S)
    if is_causal:
        allowed = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = torch.softmax(scores, dim=-1)  # each row sums to 1 over the keys
    return weights @ v


class MultiHeadAttention(nn.Module):
    """nn.MultiheadAttention without dropout: same parameters, same state-dict names."""

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=False):
        super().__init__()
        assert embed_dim % num_heads == 0, "embed_dim must be divisible by num_heads"
        self.embed_dim, self.num_heads, self.batch_first = embed_dim, num_heads, batch_first
        self.head_dim = embed_dim // num_heads
        # One (3E, E) matrix holds the query, key and value projections, stacked.
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True):
        """query (L, N, E), key and value (S, N, E); (N, L, E) / (N, S, E) when batch_first.

        key_padding_mask (N, S): True (or a float added) marks keys to ignore.
        attn_mask (L, S) or (N * num_heads, L, S): True marks pairs that may NOT attend;
        a float mask is added to the scores.
        Returns (output like query, weights): weights (N, L, S) averaged over heads, or
        (N, num_heads, L, S) with average_attn_weights=False, or None with need_weights=False.
        """
        if self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        L, N, E = query.shape
        S = key.size(0)
        H, D = self.num_heads, self.head_dim
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        q = nn.functional.linear(query, w_q, b_q)  # (L, N, E)
        k = nn.functional.linear(key, w_k, b_k)  # (S, N, E)
        v = nn.functional.linear(value, w_v, b_v)
        # Split E into H heads of D: (L, N, E) -> (N, H, L, D). The transpose matters: a bare
        # reshape would mix positions and heads.
        q = q.reshape(L, N, H, D).permute(1, 2, 0, 3)
        k = k.reshape(S, N, H, D).permute(1, 2, 0, 3)
        v = v.reshape(S, N, H, D).permute(1, 2, 0, 3)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D)  # (N, H, L, S)
        scores = scores + self._additive(attn_mask, scores, (N, H, L, S))
        if key_padding_mask is not None:
            scores = scores + self._additive(key_padding_mask.reshape(N, 1, 1, S), scores, (N, H, L, S))
        weights = torch.softmax(scores, dim=-1)  # (N, H, L, S)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(L, N, E)  # heads side by side again
        out = self.out_proj(out)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(dim=1) if average_attn_weights else weights

    @staticmethod
    def _additive(mask, scores, shape):
        """A mask as numbers to add: bool True (= ignore) becomes -inf, floats stay as given."""
        if mask is None:
            return torch.zeros((), dtype=scores.dtype, device=scores.device)
        if mask.dim() == 3:  # (N * H, L, S) -> (N, H, L, S)
            mask = mask.reshape(shape)
        if mask.dtype == torch.bool:
            return torch.zeros(mask.shape, dtype=scores.dtype, device=scores.device).masked_fill(mask, float("-inf"))
        return mask.to(scores.dtype)
