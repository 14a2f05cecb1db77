"""Reference solution for stage3/mnist_torch: the MNIST MLP as an nn.Module with a training loop."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """784 -> hidden (ReLU, dropout) -> 10 logits."""

    def __init__(self, hidden=512, dropout=0.1):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)  # (B, 784) even for (B, 28, 28) images
        return self.fc2(self.dropout(F.relu(self.fc1(x))))  # (B, 10) raw logits


def build_model():
    """A fresh, untrained model."""
    return MLP()


def train_step(model, optimizer, X, y):
    """One optimisation step on the batch (X, y); returns the batch loss before the step (0-d tensor)."""
    optimizer.zero_grad()  # gradients accumulate in .grad otherwise
    loss = F.cross_entropy(model(X), y)  # expects logits and int64 labels
    loss.backward()
    optimizer.step()
    return loss.detach()  # no .item(): on a GPU that would wait for every step


def train(model, X, y, epochs=8, batch_size=128, lr=2e-3, on_epoch=None):
    """Adam with a cosine-decayed learning rate over shuffled minibatches; returns the model."""
    model.train()  # dropout on
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(X.shape[0] / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    generator = torch.Generator(device="cpu").manual_seed(0)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(X.shape[0], generator=generator).to(X.device)
        total = torch.zeros((), device=X.device)
        for start in range(0, X.shape[0], batch_size):
            batch = order[start : start + batch_size]
            total += train_step(model, optimizer, X[batch], y[batch]) * len(batch)
            schedule.step()
        if on_epoch is not None:
            on_epoch(epoch, total.item() / X.shape[0])  # one wait per epoch
    return model


@torch.no_grad()
def predict(model, X, batch_size=4096):
    """Class labels (N,) int64 for images X (N, 784), in eval mode (dropout off)."""
    model.eval()
    return torch.cat([model(X[i : i + batch_size]).argmax(dim=1) for i in range(0, X.shape[0], batch_size)])
