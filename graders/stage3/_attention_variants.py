"""Attention as torch computes it, and as the classic mistakes compute it (judge side, float64).

`sdpa(..., mistake=None)` is plain attention; each named mistake changes one step the way
learners get it wrong. The grader names the mistake whose output matches the learner's.
`mha(..., mistake=None)` does the same for nn.MultiheadAttention's forward.
"""

from __future__ import annotations

import math

import numpy as np
import torch

SDPA_MISTAKES = {
    "scale_by_d": "the scores were divided by E instead of sqrt(E): scale by 1 / math.sqrt(q.size(-1)).",
    "no_scale": "the scores were not scaled at all: divide q @ k^T by sqrt(E) before the softmax.",
    "softmax_over_queries": "the softmax ran over the queries (dim=-2): each query's weights over the keys "
    "must sum to 1, so take the softmax over the last axis (dim=-1).",
    "causal_one_ahead": "your causal mask lets each position see one step ahead: query i may attend keys "
    "0..i, which is torch.ones(L, S).tril() (diagonal=0), not tril(1).",
    "causal_inverted": "your causal mask is upside down: query i may attend keys 0..i (the lower triangle, "
    "tril), you kept the upper one.",
    "causal_bottom_right": "your causal mask is aligned to the bottom-right corner; torch's is_causal aligns "
    "it to the top-left: query i sees keys 0..i even when L != S (torch.ones(L, S).tril()).",
    "mask_after_softmax": "the mask was applied after the softmax (masked weights set to 0 without "
    "renormalising), so the rows no longer sum to 1: mask the scores with -inf before the softmax.",
    "bool_mask_inverted": "your boolean mask is inverted: in scaled_dot_product_attention True means "
    "the query MAY attend (fill -inf where the mask is False).",
    "float_mask_multiplied": "the float mask was multiplied into the scores; a float attn_mask is added "
    "to them (scores + attn_mask).",
    "float_mask_before_scaling": "the float mask was added before dividing by sqrt(E); torch adds it "
    "after scaling: q @ k^T / sqrt(E) + attn_mask.",
    "scale_by_value_dim": "the scores were divided by the square root of v's last size; scale by 1 / sqrt(E) with "
    "E = q.size(-1), the size q and k share.",
    "mask_ignored": "attn_mask was not applied: a boolean mask hides the scores where it is False (fill -inf), a float "
    "mask is added to them, before the softmax.",
    "causal_ignored": "is_causal=True was ignored: hide the keys after each query (keep torch.ones(L, S).tril()) "
    "before the softmax.",
}

MHA_MISTAKES = {
    "heads_reshape_without_transpose": "the heads were split with a reshape alone: (N, L, E) -> (N, H, L, D) "
    "mixes positions and heads. Reshape to (N, L, H, D) first, then transpose(1, 2) (and the reverse "
    "when merging the heads).",
    "weights_summed_over_heads": "the returned weights are summed over the heads; with "
    "average_attn_weights=True torch returns their mean (weights.mean(dim=1)).",
    "weights_not_averaged": "with average_attn_weights=True the weights must be averaged over the heads: "
    "shape (N, L, S), not one slice per head.",
    "scale_by_embed_dim": "the scores were scaled by 1/sqrt(embed_dim); each head scales by "
    "1/sqrt(head_dim) with head_dim = embed_dim // num_heads.",
    "masks_keep_true": "your nn.MultiheadAttention masks are inverted: there a boolean True means "
    "'ignore this key / pair' (the opposite of scaled_dot_product_attention's attn_mask).",
    "no_out_proj": "the output projection is missing: pass the merged heads through out_proj.",
    "out_proj_bias_missing": "out_proj's bias was not added: pass the merged heads through out_proj itself "
    "(weight and bias), not only through its weight.",
    "in_proj_bias_missing": "in_proj_bias was not added to the projected query, key and value: "
    "q = query @ W_q.T + b_q, with the biases from in_proj_bias.chunk(3).",
    "value_from_key": "the values were projected from `key`; project `value` (the third input) with the third "
    "chunk of in_proj_weight.",
    "batch_first_ignored": "batch_first was not followed: with batch_first=True the inputs and the output are "
    "(N, L, E), with False (L, N, E); transpose to your layout and back.",
    "attn_mask_head_major": "the 3-D attn_mask (N * num_heads, L, S) is batch-major: its row n * num_heads + h "
    "belongs to batch item n and head h, so reshape it to (N, num_heads, L, S), not (num_heads, N, L, S).",
    "padding_head_major": "key_padding_mask was repeated head-major (repeat(num_heads, 1)), so batch item n got "
    "another item's padding: expand it per item, key_padding_mask.view(N, 1, 1, S) (or repeat_interleave).",
    "key_padding_ignored": "key_padding_mask was not applied: its True entries (or its floats) act on every query's "
    "scores for those keys.",
    "attn_mask_ignored": "attn_mask was not applied: a True entry hides that (query, key) pair, a float is added to "
    "its score.",
}


def t(array, dtype=torch.float64):
    """A NumPy array as a torch tensor (bools stay bool)."""
    if array is None:
        return None
    array = np.asarray(array)
    return torch.from_numpy(array.copy()) if array.dtype == np.bool_ else torch.tensor(array, dtype=dtype)


def sdpa(q, k, v, attn_mask=None, is_causal=False, mistake=None) -> np.ndarray:
    """Attention in float64 as torch defines it, or with one known `mistake`."""
    q, k, v, mask = t(q), t(k), t(v), t(attn_mask)
    L, S, E = q.size(-2), k.size(-2), q.size(-1)
    raw = q @ k.transpose(-2, -1)
    scale = {"scale_by_d": 1.0 / E, "no_scale": 1.0, "scale_by_value_dim": 1.0 / math.sqrt(v.size(-1))}.get(mistake, 1.0 / math.sqrt(E))
    if mistake == "mask_ignored":
        mask = None
    if mistake == "causal_ignored":
        is_causal = False
    scores = raw * scale
    keep = None  # (…, L, S) bool: where attending is allowed
    if is_causal:
        diagonal = {"causal_one_ahead": 1, "causal_bottom_right": S - L}.get(mistake, 0)
        keep = torch.ones(L, S, dtype=torch.bool).tril(diagonal)
        if mistake == "causal_inverted":
            keep = torch.ones(L, S, dtype=torch.bool).triu()
    if mask is not None and mask.dtype == torch.bool:
        keep = ~mask if mistake == "bool_mask_inverted" else mask
    elif mask is not None:
        if mistake == "float_mask_multiplied":
            scores = scores * mask
        elif mistake == "float_mask_before_scaling":
            scores = (raw + mask) * scale
        else:
            scores = scores + mask
    if keep is not None and mistake != "mask_after_softmax":
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scores, dim=-2 if mistake == "softmax_over_queries" else -1)
    if keep is not None and mistake == "mask_after_softmax":
        weights = weights.masked_fill(~keep, 0.0)
    return (weights @ v).numpy()


def mha(problem, mistake=None, dtype=torch.float64) -> tuple[np.ndarray, np.ndarray | None]:
    """nn.MultiheadAttention's (output, weights) for a drawn MHA problem, or with a known `mistake`."""
    p = problem
    query, key, value = (t(x, dtype) for x in (p.query, p.key, p.value))
    batch_first = (not p.batch_first) if mistake == "batch_first_ignored" else p.batch_first
    if not batch_first:  # compute in (N, L, E)
        query, key, value = (x.transpose(0, 1) for x in (query, key, value))
    N, L, E = query.shape
    S = key.size(1)
    H = p.num_heads
    D = E // H
    state = {name: t(array, dtype) for name, array in p.state.items()}
    w_q, w_k, w_v = state["in_proj_weight"].chunk(3)
    b_q, b_k, b_v = state["in_proj_bias"].chunk(3) if "in_proj_bias" in state and mistake != "in_proj_bias_missing" else (None, None, None)
    q = torch.nn.functional.linear(query, w_q, b_q)
    k = torch.nn.functional.linear(key, w_k, b_k)
    v = torch.nn.functional.linear(key if mistake == "value_from_key" else value, w_v, b_v)

    def split(x, n):
        if mistake == "heads_reshape_without_transpose":
            return x.reshape(N, H, n, D)
        return x.reshape(N, n, H, D).transpose(1, 2)

    q, k, v = split(q, L), split(k, S), split(v, S)
    scores = q @ k.transpose(-2, -1) / math.sqrt(E if mistake == "scale_by_embed_dim" else D)  # (N, H, L, S)
    attn_mask = None if mistake == "attn_mask_ignored" else p.attn_mask
    key_padding_mask = None if mistake == "key_padding_ignored" else p.key_padding_mask
    for mask, shape in ((attn_mask, None), (key_padding_mask, (N, 1, 1, S))):
        if mask is None:
            continue
        m = t(mask, dtype)
        if shape is not None and mistake == "padding_head_major":
            rows = torch.tensor([[(n * H + h) % N for h in range(H)] for n in range(N)])
            m = m[rows].reshape(N, H, 1, S)  # row n * H + h of key_padding_mask.repeat(H, 1)
        elif shape is not None:
            m = m.reshape(shape)
        elif m.dim() == 3 and mistake == "attn_mask_head_major":
            m = m.reshape(H, N, L, S).transpose(0, 1)
        elif m.dim() == 3:
            m = m.reshape(N, H, L, S)
        if m.dtype == torch.bool:
            hide = ~m if mistake == "masks_keep_true" else m
            scores = scores.masked_fill(hide, float("-inf"))
        else:
            scores = scores + m
    weights = torch.softmax(scores, dim=-1)
    merged = weights @ v  # (N, H, L, D)
    if mistake == "heads_reshape_without_transpose":
        merged = merged.reshape(N, L, E)
    else:
        merged = merged.transpose(1, 2).reshape(N, L, E)
    out_bias = None if mistake == "out_proj_bias_missing" else state.get("out_proj.bias")
    out = merged if mistake == "no_out_proj" else torch.nn.functional.linear(merged, state["out_proj.weight"], out_bias)
    if not batch_first:
        out = out.transpose(0, 1)
    if not p.need_weights:
        return out.numpy(), None
    if mistake == "weights_summed_over_heads":
        shown = weights.sum(1)
    elif mistake == "weights_not_averaged" or not p.average_attn_weights:
        shown = weights
    else:
        shown = weights.mean(1)
    return out.numpy(), shown.numpy()
