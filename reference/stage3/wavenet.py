"""Reference for stage3/wavenet: the hierarchical (WaveNet-like) makemore model, in PyTorch."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CHARS = ".abcdefghijklmnopqrstuvwxyz"
STOI = {ch: i for i, ch in enumerate(CHARS)}


def build_dataset(words, block_size):
    """X (n, block_size) contexts and Y (n,) next characters, for every character of every word + '.'."""
    X, Y = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            X.append(context)
            Y.append(STOI[ch])
            context = context[1:] + [STOI[ch]]
    return torch.tensor(X, dtype=torch.long).view(-1, block_size), torch.tensor(Y, dtype=torch.long)


class FlattenConsecutive(nn.Module):
    """(B, T, C) -> (B, T // n, C * n): n neighbouring time steps side by side; a time axis of 1 is dropped."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)  # raises when T is not a multiple of n
        if x.shape[1] == 1:
            x = x.squeeze(1)  # (B, C * n)
        return x


class BatchNorm1d(nn.Module):
    """nn.BatchNorm1d's maths over every dimension but the last: (B, C) or (B, T, C)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        dims = tuple(range(x.ndim - 1))  # (0,) or (0, 1)
        if self.training:
            mean = x.mean(dims)  # (C,)
            var = x.var(dims, unbiased=False)  # (C,)
            with torch.no_grad():
                n = x.numel() // x.shape[-1]
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / max(n - 1, 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


def build_model(block_size=8, n_embd=24, n_hidden=128):
    """Embedding, log2(block_size) blocks of FlattenConsecutive(2), Linear, BatchNorm, Tanh, then Linear to 27."""
    layers = [nn.Embedding(27, n_embd)]
    width, T = n_embd, block_size
    while T > 1:
        layers += [FlattenConsecutive(2), nn.Linear(width * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), nn.Tanh()]
        width, T = n_hidden, T // 2
    layers.append(nn.Linear(width, 27))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        model[-1].weight *= 0.1  # a fresh model starts unsure: logits near zero
    return model


def train(words, on_step=None, block_size=8, n_embd=24, n_hidden=128, steps=15000, batch_size=256, lr=3e-3, seed=42):
    """Adam on mini-batches with a cosine schedule; returns the trained model."""
    torch.manual_seed(seed)
    X, Y = build_dataset(words, block_size)
    model = build_model(block_size, n_embd, n_hidden)
    for layer in model.modules():
        if isinstance(layer, BatchNorm1d):
            layer.momentum = 0.01  # running statistics averaged over the last hundred or so batches
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    model.train()
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,))
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if on_step is not None and step % 100 == 0:
            on_step(step, loss.item())
    model.eval()
    return model
