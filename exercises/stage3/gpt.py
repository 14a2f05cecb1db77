"""stage3/gpt: a GPT in the style of nanoGPT, then trained on tiny Shakespeare, one character at a time.

A decoder-only transformer in PyTorch with nanoGPT's names, so that its state dict has
nanoGPT's keys (transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...):

  - GPTConfig (given below): block_size (the longest context), vocab_size, n_layer, n_head,
    n_embd, dropout, bias (True: every Linear and LayerNorm has a bias; False: none has).
  - CausalSelfAttention(config): c_attn = Linear(n_embd, 3 * n_embd) giving q, k, v in that
    order (split along the last axis), n_head heads of n_embd // n_head each, scores scaled by
    1 / sqrt(head size), a causal mask (position t attends to 0..t), softmax, dropout on the
    attention weights, the heads put back side by side, c_proj = Linear(n_embd, n_embd), dropout.
    (F.scaled_dot_product_attention with is_causal=True is allowed.)
  - MLP(config): c_fc = Linear(n_embd, 4 * n_embd), exact GELU (nn.GELU(), not the tanh
    approximation), c_proj = Linear(4 * n_embd, n_embd), dropout.
  - Block(config): pre-norm residuals, x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), with ln_1 and
    ln_2 layer norms over n_embd (eps 1e-5; nn.LayerNorm(n_embd, bias=config.bias)).
  - GPT(config):
      transformer = nn.ModuleDict(wte = Embedding(vocab_size, n_embd), wpe = Embedding(block_size,
        n_embd), drop = Dropout, h = ModuleList of n_layer Blocks, ln_f = final layer norm),
      lm_head = Linear(n_embd, vocab_size, bias=False), TIED to the token embedding: after
        building, transformer.wte.weight is lm_head.weight (one Parameter, counted once).
      Initialisation (nanoGPT's): every Linear and Embedding weight ~ N(0, 0.02**2), biases 0, the
      layer norms' weights 1 and biases 0, and each residual projection (attn.c_proj.weight and
      mlp.c_proj.weight) ~ N(0, (0.02 / sqrt(2 * n_layer))**2). A fresh model then gives every token
      about 1 / vocab_size: its loss is within 0.1 of ln(vocab_size).
      forward(idx, targets=None) -> (logits, loss): idx (B, T) int64 with T <= block_size; token
        plus position embeddings (positions 0..T-1), dropout, the blocks, ln_f, lm_head.
        With targets (B, T): logits (B, T, vocab_size) (a (B * T, vocab_size) view is accepted
        too) and loss = the mean cross-entropy over all B * T positions. Without targets: loss is
        None and logits may be every position's (B, T, vocab_size) or, as nanoGPT does, only the
        last position's (B, 1, vocab_size).
      generate(idx, max_new_tokens, temperature=1.0, top_k=None, generator=None) -> (B, T +
        max_new_tokens): max_new_tokens times: crop idx to its last block_size tokens, take the
        logits of the last position divided by temperature, with top_k keep the top_k largest
        logits of each row (set the rest to -inf), softmax, then ONE call
        torch.multinomial(probs, num_samples=1, generator=generator) for the whole (B, vocab_size)
        batch, appended to idx. Keep the logits' dtype (no casting): with the same seeded generator
        and the same weights, the grader's own sampling loop draws the same tokens.
  - train_char_gpt(data, vocab_size, on_step=None) -> a trained GPT: data is a 1-D int64 tensor of
    character ids (the first 90 % of tiny Shakespeare, characters numbered by their sorted order,
    65 of them), on the device to train on (CUDA when there is one, else the CPU). You choose the
    config and the training (nanoGPT's train.py: random blocks of block_size + 1 characters,
    AdamW). Call on_step(step, loss) now and then if it is given (the grader shows it).

The grader loads its own random weights into your GPT (in float64, eval mode) and compares the
logits, the loss and generate's tokens with its own computation to 1e-8, checks the parameter
count against the formula for the config, the state dict's names and shapes, the tying, that
changing token t changes no logits before t, the initialisation and the loss at init, and that
dropout acts in train mode only. The training check runs last, once the others pass. The judge
keeps the last 10 % of the text: it streams that validation text through your trained model in
order, one call per scored character with the min(block_size, 256) characters before it, so the
character is never sent before its prediction comes back (and nothing after it), for 2,000
characters spread evenly, and computes the mean cross-entropy itself. Done when that validation
loss is at most 1.90, with training done within 10 minutes on 2 CPU cores (more on a slower or
busier machine). `grade bench stage3/gpt` times the same on a GPU: 1.50 within 5 minutes.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    """Causal multi-head self-attention: (B, T, n_embd) -> (B, T, n_embd)."""

    def __init__(self, config):
        """c_attn (n_embd -> 3 * n_embd), c_proj (n_embd -> n_embd), dropouts; config.n_embd % config.n_head == 0."""
        raise NotImplementedError("TODO: CausalSelfAttention.__init__")

    def forward(self, x):
        """x (B, T, C) -> (B, T, C); heads (B, n_head, T, C // n_head), position t attends to 0..t."""
        raise NotImplementedError("TODO: CausalSelfAttention.forward")


class MLP(nn.Module):
    """c_fc (n_embd -> 4 * n_embd), exact GELU, c_proj (4 * n_embd -> n_embd), dropout: (B, T, C) -> (B, T, C)."""

    def __init__(self, config):
        """Build c_fc, the GELU, c_proj and the dropout."""
        raise NotImplementedError("TODO: MLP.__init__")

    def forward(self, x):
        """x (B, T, C) -> (B, T, C)."""
        raise NotImplementedError("TODO: MLP.forward")


class Block(nn.Module):
    """A pre-norm transformer block: (B, T, C) -> (B, T, C)."""

    def __init__(self, config):
        """ln_1, attn (CausalSelfAttention), ln_2, mlp (MLP)."""
        raise NotImplementedError("TODO: Block.__init__")

    def forward(self, x):
        """x + attn(ln_1(x)), then + mlp(ln_2(.))."""
        raise NotImplementedError("TODO: Block.forward")


class GPT(nn.Module):
    """The language model: idx (B, T) int64 -> logits over the vocabulary."""

    def __init__(self, config):
        """transformer (wte, wpe, drop, h, ln_f), lm_head tied to wte, nanoGPT's initialisation."""
        raise NotImplementedError("TODO: GPT.__init__")

    def forward(self, idx, targets=None):
        """idx (B, T) -> (logits (B, T, vocab_size), mean cross-entropy or None)."""
        raise NotImplementedError("TODO: GPT.forward")

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        """idx (B, T) -> (B, T + max_new_tokens): sample one token at a time with torch.multinomial and generator."""
        raise NotImplementedError("TODO: GPT.generate")


def train_char_gpt(data, vocab_size, on_step=None):
    """data (N,) int64 character ids on the training device -> a trained GPT; on_step(step, loss) reports progress."""
    raise NotImplementedError("TODO: train_char_gpt")
