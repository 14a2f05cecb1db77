"""A correct stage3/attention written unlike the reference: explicit q/k/v Linear-free
projections with matmul, heads split in batch-first layout with view + transpose, masks
turned into one additive bias, softmax written out by hand."""

import math

import torch
import torch.nn as nn


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False):
    L, S = q.shape[-2], k.shape[-2]
    bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        causal = torch.tril(torch.ones(L, S, dtype=torch.bool))
        bias = bias.masked_fill(causal.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            bias = bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            bias = attn_mask + bias
    att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
    att = att + bias
    att = att - att.amax(dim=-1, keepdim=True)
    e = torch.exp(att)
    att = e / e.sum(dim=-1, keepdim=True)
    return torch.matmul(att, v)


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True, batch_first=False):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.batch_first = batch_first
        self.in_proj_weight = nn.Parameter(torch.randn(3 * embed_dim, embed_dim) * 0.02)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True):
        if not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, E = query.shape
        S = key.shape[1]
        H = self.num_heads
        hs = E // H
        w = self.in_proj_weight
        b = self.in_proj_bias
        q = query @ w[:E].T
        k = key @ w[E:2 * E].T
        v = value @ w[2 * E:].T
        if b is not None:
            q, k, v = q + b[:E], k + b[E:2 * E], v + b[2 * E:]
        q = q.view(N, L, H, hs).transpose(1, 2)  # (N, H, L, hs)
        k = k.view(N, S, H, hs).transpose(1, 2)  # (N, H, S, hs)
        v = v.view(N, S, H, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (N, H, L, S)
        if attn_mask is not None:
            m = attn_mask.view(N, H, L, S) if attn_mask.dim() == 3 else attn_mask
            att = att.masked_fill(m, float("-inf")) if m.dtype == torch.bool else att + m
        if key_padding_mask is not None:
            m = key_padding_mask[:, None, None, :]
            att = att.masked_fill(m, float("-inf")) if m.dtype == torch.bool else att + m
        att = torch.softmax(att, dim=-1)
        y = att @ v  # (N, H, L, hs)
        y = y.transpose(1, 2).contiguous().view(N, L, E)
        y = self.out_proj(y)
        if not self.batch_first:
            y = y.transpose(0, 1)
        if not need_weights:
            return y, None
        return y, (att.mean(dim=1) if average_attn_weights else att)
