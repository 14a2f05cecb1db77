"""A correct stage3/mnist_torch in another common style (nn.Sequential, nn.CrossEntropyLoss,
a DataLoader, inference_mode), whose train defaults to one short epoch: every piece passes,
and the judge's real MNIST score falls short of 98 %."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

loss_fn = nn.CrossEntropyLoss()


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))


def train_step(model, optimizer, X, y):
    logits = model(X)
    loss = loss_fn(logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(model, X, y, epochs=1, batch_size=512, lr=1e-3, on_epoch=None):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr * 100, momentum=0.9)
    loader = DataLoader(TensorDataset(X[:10000], y[:10000]), batch_size=batch_size, shuffle=True)
    for epoch in range(epochs):
        model.train()
        losses = [train_step(model, optimizer, xb, yb) for xb, yb in loader]
        if on_epoch:
            on_epoch(epoch + 1, sum(losses) / len(losses))
    return model


def predict(model, X):
    model.eval()
    with torch.inference_mode():
        return model(X).argmax(1)
