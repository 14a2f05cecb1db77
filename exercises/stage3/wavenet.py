"""stage3/wavenet: the hierarchical makemore model (the WaveNet idea), in PyTorch.

stage2/makemore_mlp squashed a whole context into one hidden layer at once. This model reads
block_size characters and fuses them a little at a time: neighbouring pairs of characters,
then neighbouring pairs of those, and so on, like a tree, until one vector is left. Characters
are numbered '.' = 0, 'a' = 1, ..., 'z' = 26, and contexts are built exactly as in
stage2/makemore_mlp (the block_size characters before each character of word + '.', '.'-padded
at the start of every word, oldest first).

You may use torch.nn.Module, nn.Sequential, nn.Embedding, nn.Linear, nn.Tanh and nn.BatchNorm1d
(inside your BatchNorm1d below) and torch.nn.functional; write the rest yourself.

  - FlattenConsecutive(n): a module whose forward takes x of shape (B, T, C) and returns
    (B, T // n, C * n): each run of n consecutive time steps laid side by side, earliest first
    (out[b, t] is x[b, n*t], x[b, n*t + 1], ..., x[b, n*t + n - 1] concatenated). When T // n is
    1 the time axis is dropped and the result is (B, C * n); the batch axis is never dropped,
    even when B is 1. When T is not a multiple of n, forward raises an exception (x.view does
    this for you; a reshape with -1 may silently mix rows of different examples). Keep n as
    the attribute self.n.
  - BatchNorm1d(num_features, eps=1e-5, momentum=0.1): batch normalisation over every
    dimension but the last, for (B, C) and for (B, T, C) input: in training mode each of the C
    features is normalised with the mean and the biased variance over all B (and T) positions,
    then scaled by weight and shifted by bias, and the running statistics move towards the
    batch's: running = (1 - momentum) * running + momentum * batch (the variance unbiased, as
    torch does); in eval mode it uses running_mean and running_var instead. Its state dict
    holds weight, bias, running_mean and running_var, all (C,), as nn.BatchNorm1d's does
    (num_batches_tracked may be there too). Careful: nn.BatchNorm1d itself takes a 3-D input as
    (B, C, T), so on (B, T, C) it does something else.
  - build_model(block_size=8, n_embd=24, n_hidden=128) -> nn.Sequential of, in this order:
        nn.Embedding(27, n_embd)                                     (B, block_size) -> (B, block_size, n_embd)
        then one block per halving of the time axis (log2(block_size) blocks; block_size is a
        power of two from 2 to 16):
        FlattenConsecutive(2)                                        (B, T, C) -> (B, T/2, 2C), or (B, 2C) when T is 2
        nn.Linear(2C, n_hidden, bias=False)                          -> (..., n_hidden)
        BatchNorm1d(n_hidden)
        nn.Tanh()
        and last nn.Linear(n_hidden, 27)                             (B, n_hidden) -> (B, 27) logits
    Make a fresh model unsure: multiply the last layer's weight by 0.1 (under torch.no_grad()),
    so the loss of an untrained model on names is within 0.03 of -ln(1/27) ≈ 3.30 (without it,
    PyTorch's own initialisation starts at about 3.36). Draw the
    initial values from torch's global generator (the nn layers do): the grader seeds it.
  - train(words, on_step=None) -> model: build the contexts of `words` (the training names),
    make a model with build_model (your choice of block_size, n_embd and n_hidden) and train it
    with your own loop (mini-batches, F.cross_entropy, an optimizer). Return the model; the
    grader switches it to eval mode. If on_step is given, call on_step(step, loss) every
    hundred steps or so: the grader shows it while you train.

The grader compares FlattenConsecutive, BatchNorm1d and the model's output with its own for the
same weights (it loads a state dict into your model), checks the shape after every layer, and
the loss of a fresh model. For training it shuffles names.txt with random.Random(42) and splits
it 80 % / 10 % / 10 % as in stage2/makemore_mlp; your process receives only the training names.
It then reads your trained model's state dict and computes the dev loss itself, in eval mode
(running statistics), with the same forward pass it checked yours against: the dev names never
reach your process. Done when the dev loss is at most 2.00 (the lecture reaches about 1.99),
within the training budget (see the catalogue's goals; more on a slower or busier machine).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class FlattenConsecutive(nn.Module):
    """(B, T, C) -> (B, T // n, C * n); (B, C * n) when T // n is 1."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        raise NotImplementedError("TODO: FlattenConsecutive.forward")


class BatchNorm1d(nn.Module):
    """Batch normalisation over every dimension but the last, for (B, C) or (B, T, C) input."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        raise NotImplementedError("TODO: BatchNorm1d")

    def forward(self, x):
        raise NotImplementedError("TODO: BatchNorm1d.forward")


def build_model(block_size=8, n_embd=24, n_hidden=128):
    """nn.Sequential: Embedding, log2(block_size) x [FlattenConsecutive(2), Linear, BatchNorm1d, Tanh], Linear to 27."""
    raise NotImplementedError("TODO: build_model")


def train(words, on_step=None):
    """Train a model made by build_model on `words` with your own loop; return the model."""
    raise NotImplementedError("TODO: train")
