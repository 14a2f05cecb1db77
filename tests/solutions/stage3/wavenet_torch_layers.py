"""A correct stage3/wavenet written differently: slices and torch.cat, nn.BatchNorm1d on transposed input."""

import torch
import torch.nn as nn
import torch.nn.functional as F

itos = ".abcdefghijklmnopqrstuvwxyz"
stoi = {ch: i for i, ch in enumerate(itos)}


class FlattenConsecutive(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        if T % self.n:
            raise ValueError(f"T = {T} is not a multiple of {self.n}")
        x = torch.cat([x[:, i::self.n, :] for i in range(self.n)], dim=2)  # (B, T // n, C * n)
        return x[:, 0, :] if x.shape[1] == 1 else x


class BatchNorm1d(nn.BatchNorm1d):
    def forward(self, x):
        if x.ndim == 3:
            return super().forward(x.transpose(1, 2)).transpose(1, 2)  # nn.BatchNorm1d wants (B, C, T)
        return super().forward(x)


def build_model(block_size=8, n_embd=24, n_hidden=128):
    layers = [nn.Embedding(len(itos), n_embd)]
    fan_in = n_embd
    for _ in range(block_size.bit_length() - 1):
        layers += [FlattenConsecutive(2), nn.Linear(2 * fan_in, n_hidden, bias=False), BatchNorm1d(n_hidden), nn.Tanh()]
        fan_in = n_hidden
    layers.append(nn.Linear(fan_in, len(itos)))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        layers[-1].weight.mul_(0.1)
    return model


def contexts(words, block_size):
    xs, ys = [], []
    for w in words:
        ctx = [0] * block_size
        for ch in w + ".":
            xs.append(list(ctx))
            ys.append(stoi[ch])
            ctx = ctx[1:] + [stoi[ch]]
    return torch.tensor(xs).reshape(-1, block_size), torch.tensor(ys)


def train(words, on_step=None):
    Xtr, Ytr = contexts(words, 8)
    model = build_model()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0)
    steps = 6000
    for i in range(steps):
        ix = torch.randint(0, len(Ytr), (128,))
        loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
        opt.zero_grad()
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = 2e-3 * (0.1 if i > 0.75 * steps else 1.0)
        opt.step()
        if on_step and i % 100 == 0:
            on_step(i, loss.item())
    return model.eval()
