"""Reference for stage2/makemore_mlp: Bengio et al.'s character MLP on names, in PyTorch."""

import torch
import torch.nn.functional as F

CHARS = ".abcdefghijklmnopqrstuvwxyz"
STOI = {ch: i for i, ch in enumerate(CHARS)}


def build_dataset(words, block_size):
    """X (n, block_size) contexts and Y (n,) next characters, for every character of every word + '.'."""
    X, Y = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            ix = STOI[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X, dtype=torch.long).view(-1, block_size), torch.tensor(Y, dtype=torch.long)


def init_model(block_size, n_embd, n_hidden, generator):
    """[C, W1, b1, W2, b2], every number drawn from `generator`; logits start near zero."""
    fan_in = block_size * n_embd
    C = torch.randn((27, n_embd), generator=generator)
    W1 = torch.randn((fan_in, n_hidden), generator=generator) * (5 / 3) / fan_in**0.5
    b1 = torch.randn(n_hidden, generator=generator) * 0.01
    W2 = torch.randn((n_hidden, 27), generator=generator) * 0.01
    b2 = torch.randn(27, generator=generator) * 0
    params = [C, W1, b1, W2, b2]
    for p in params:
        p.requires_grad_(True)
    return params


def logits(params, X):
    """(n, 27) raw scores: tanh(C[X] flattened @ W1 + b1) @ W2 + b2."""
    C, W1, b1, W2, b2 = params
    emb = C[X]  # (n, block_size, n_embd)
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)  # (n, n_hidden)
    return h @ W2 + b2  # (n, 27)


def train(words, on_step=None, block_size=3, n_embd=10, n_hidden=200, steps=2000, batch_size=256, lr=0.01, seed=2147483647):
    """Adam on mini-batches, the learning rate falling along a cosine; returns the params."""
    X, Y = build_dataset(words, block_size)
    g = torch.Generator().manual_seed(seed)
    params = init_model(block_size, n_embd, n_hidden, g)
    optimizer = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
        loss = F.cross_entropy(logits(params, X[ix]), Y[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if on_step is not None and step % 100 == 0:
            on_step(step, loss.item())
    return params
