"""stage3/mnist_torch typed along with a PyTorch course: a Module class with named layers,
nn.CrossEntropyLoss, SGD with momentum and a StepLR schedule, a shuffled index loop on the
data's device, and predict under torch.no_grad(). Its defaults train briefly."""

import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 128)
        self.drop = nn.Dropout(p=0.25)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = x.view(-1, 784)
        x = F.relu(self.hidden(x))
        x = self.drop(x)
        return self.out(x)


criterion = nn.CrossEntropyLoss()


def build_model():
    return Net()


def train_step(model, optimizer, X, y):
    optimizer.zero_grad()
    output = model(X)
    loss = criterion(output, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(model, X, y, epochs=1, batch_size=256, lr=0.05, on_epoch=None):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    n = X.size(0)
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, device=X.device)
        running, batches = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            running += train_step(model, optimizer, X[idx], y[idx])
            batches += 1
        scheduler.step()
        if on_epoch is not None:
            on_epoch(epoch, running / batches)
    return model


def predict(model, X):
    model.eval()
    with torch.no_grad():
        scores = model(X)
        _, labels = torch.max(scores, 1)
    return labels
