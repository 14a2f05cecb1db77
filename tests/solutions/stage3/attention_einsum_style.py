"""stage3/attention typed along with a transformer course: einsum for the scores and the
weighted sum, masks turned into an additive bias with torch.where, F.softmax, and a
MultiHeadAttention that projects with F.linear on slices of in_proj_weight, works in
(N, H, L, D) and expands key_padding_mask per head with repeat_interleave."""

import math

import torch
import torch.nn.functional as F
from torch import nn


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):
    L, S = q.size(-2), k.size(-2)
    scores = torch.einsum("...le,...se->...ls", q, k) / math.sqrt(q.size(-1))
    if is_causal:
        causal = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
        scores = torch.where(causal, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = torch.where(attn_mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
        else:
            scores = scores + attn_mask
    weights = F.softmax(scores, dim=-1)
    return torch.einsum("...ls,...sd->...ld", weights, v)


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True, batch_first=False):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _project(self, x, i):
        E = self.embed_dim
        w = self.in_proj_weight[i * E:(i + 1) * E]
        b = None if self.in_proj_bias is None else self.in_proj_bias[i * E:(i + 1) * E]
        return F.linear(x, w, b)

    def _heads(self, x):  # (N, T, E) -> (N, H, T, D)
        N, T, _ = x.shape
        return x.view(N, T, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True):
        if not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, E = query.shape
        S = key.size(1)
        H = self.num_heads
        q = self._heads(self._project(query, 0))
        k = self._heads(self._project(key, 1))
        v = self._heads(self._project(value, 2))
        scores = torch.einsum("nhld,nhsd->nhls", q, k) / math.sqrt(self.head_dim)
        bias = torch.zeros(N * H, L, S, dtype=scores.dtype)
        if attn_mask is not None:
            mask = attn_mask if attn_mask.dim() == 3 else attn_mask.unsqueeze(0)
            if mask.dtype == torch.bool:
                bias = bias.masked_fill(mask, float("-inf"))
            else:
                bias = bias + mask
        if key_padding_mask is not None:
            pad = key_padding_mask.repeat_interleave(H, dim=0).unsqueeze(1)  # (N * H, 1, S), batch-major
            if pad.dtype == torch.bool:
                bias = bias.masked_fill(pad, float("-inf"))
            else:
                bias = bias + pad
        scores = scores + bias.view(N, H, L, S)
        weights = F.softmax(scores, dim=-1)
        out = torch.einsum("nhls,nhsd->nhld", weights, v)
        out = out.permute(0, 2, 1, 3).reshape(N, L, E)
        out = self.out_proj(out)
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, weights
