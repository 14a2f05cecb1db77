"""stage2/bigram: the simplest language model, a character bigram, counted and then learned.

On a list of lowercase names (makemore's names.txt: `grade data` finds or fetches it), a
bigram model predicts each character from the one before. Every name is read with a '.'
before it and after it, so "emma" gives the bigrams .e em mm ma a. — and the 27 characters
are indexed '.' = 0, 'a' = 1, ..., 'z' = 26. Write it in PyTorch, as the lecture does:

  - bigram_counts(words) -> (27, 27) integer tensor: N[i, j] counts j following i.
  - bigram_probs(counts, smoothing=1) -> (27, 27) float32 tensor: each row of counts + smoothing,
    divided by that row's sum (so every row sums to 1).
  - nll(words, probs) -> float: the average negative log-likelihood -log probs[i, j] over every
    bigram of every word (the model's loss; about 2.454 on names.txt with smoothing 1).
  - sample(probs, n, generator) -> list of n names: start at '.', and again and again draw the
    next index with torch.multinomial(probs[ix], num_samples=1, replacement=True,
    generator=generator).item(), stopping at '.' (which is not part of the name). With the same
    seeded torch.Generator, the same calls in the same order give the same names as the grader.
  - train_neural_bigram(words, generator) -> W: the same model as a one-layer network, a (27, 27)
    weight matrix W from torch.randn(27, 27, generator=generator): logits = one_hot(i) @ W,
    softmax over each row, trained by gradient descent on the average negative log-likelihood
    until its loss is within 0.01 of the counting model's (smoothing 1). Return W (a tensor).

The grader counts, normalises, scores and samples on its own and compares, and scores your
trained W itself on every bigram of names.txt. Done when the model's NLL is at most 2.46.
"""

import torch


def bigram_counts(words):
    """(27, 27) integer tensor of bigram counts, '.' = 0 marking both ends of every word."""
    raise NotImplementedError("TODO: bigram_counts")


def bigram_probs(counts, smoothing=1):
    """(27, 27) float32 tensor: rows of counts + smoothing, normalised to sum to 1."""
    raise NotImplementedError("TODO: bigram_probs")


def nll(words, probs):
    """The average negative log-likelihood of every bigram of `words` under `probs` (a float)."""
    raise NotImplementedError("TODO: nll")


def sample(probs, n, generator):
    """n names drawn from the bigram model with torch.multinomial and `generator`."""
    raise NotImplementedError("TODO: sample")


def train_neural_bigram(words, generator):
    """A (27, 27) weight tensor trained by gradient descent so that softmax(W[i]) predicts the character after i."""
    raise NotImplementedError("TODO: train_neural_bigram")
