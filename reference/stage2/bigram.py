"""Reference for stage2/bigram: the makemore bigram model, counted and learned."""

import torch
import torch.nn.functional as F

CHARS = ".abcdefghijklmnopqrstuvwxyz"
STOI = {ch: i for i, ch in enumerate(CHARS)}


def _pairs(words):
    """(first, second) index tensors of every bigram, the '.' at both ends included."""
    xs, ys = [], []
    for word in words:
        chars = ["."] + list(word) + ["."]
        for a, b in zip(chars, chars[1:]):
            xs.append(STOI[a])
            ys.append(STOI[b])
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


def bigram_counts(words):
    """(27, 27) integer tensor of bigram counts, '.' = 0 marking both ends of every word."""
    xs, ys = _pairs(words)
    counts = torch.zeros((27, 27), dtype=torch.long)
    counts.index_put_((xs, ys), torch.ones_like(xs), accumulate=True)
    return counts


def bigram_probs(counts, smoothing=1):
    """(27, 27) float32 tensor: rows of counts + smoothing, normalised to sum to 1."""
    p = (counts + smoothing).float()
    return p / p.sum(dim=1, keepdim=True)


def nll(words, probs):
    """The average negative log-likelihood of every bigram of `words` under `probs` (a float)."""
    xs, ys = _pairs(words)
    return float(-torch.log(probs[xs, ys]).mean())


def sample(probs, n, generator):
    """n names drawn from the bigram model with torch.multinomial and `generator`."""
    names = []
    for _ in range(n):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(probs[ix], num_samples=1, replacement=True, generator=generator).item()
            if ix == 0:
                break
            out.append(CHARS[ix])
        names.append("".join(out))
    return names


def train_neural_bigram(words, generator, steps=200, lr=50.0):
    """A (27, 27) weight tensor trained by gradient descent so that softmax(W[i]) predicts the character after i."""
    xs, ys = _pairs(words)
    W = torch.randn((27, 27), generator=generator, requires_grad=True)
    for _ in range(steps):
        logits = W[xs]  # (B, 27): one_hot(xs) @ W, without building the one-hot matrix
        loss = F.cross_entropy(logits, ys)
        W.grad = None
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
    return W.detach()
