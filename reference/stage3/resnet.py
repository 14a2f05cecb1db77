"""Reference for stage3/resnet: BasicBlock, a small ResNet, and its training loop."""

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, plus a shortcut (identity or 1x1 conv + BN)."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))  # (N, out, H', W')
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A stem convolution, stages of BasicBlocks, a global average pool and a linear classifier."""

    def __init__(self, blocks=(2, 2, 2), channels=(16, 32, 64), num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        previous = channels[0]
        for k, (count, width) in enumerate(zip(blocks, channels)):
            stage = [BasicBlock(previous if i == 0 else width, width, stride=2 if (i == 0 and k > 0) else 1)
                     for i in range(count)]
            setattr(self, f"layer{k + 1}", nn.Sequential(*stage))
            previous = width
        self.stages = len(blocks)
        self.fc = nn.Linear(channels[-1], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        for k in range(self.stages):
            out = getattr(self, f"layer{k + 1}")(out)
        return self.fc(out.mean(dim=(2, 3)))  # (N, C) after the global average pool


def build_model(in_channels=1, num_classes=10):
    """Fashion-MNIST (1 channel): one block per stage, 16-32-64 channels; CIFAR-10 (3 channels): a wider, deeper one."""
    if in_channels == 1:
        return ResNet(blocks=(1, 1, 1), channels=(16, 32, 64), num_classes=num_classes, in_channels=1)
    return ResNet(blocks=(2, 2, 2), channels=(64, 128, 256), num_classes=num_classes, in_channels=in_channels)


def _augment(x):
    """Colour images (CIFAR-10): a random shift by up to 4 pixels and a left-right flip, one draw per batch."""
    x = torch.roll(x, shifts=torch.randint(-4, 5, (2,)).tolist(), dims=(2, 3))
    return x.flip(3) if torch.rand(()) < 0.5 else x


def train(model, images, labels, on_epoch=None, epochs=None, batch_size=128, lr=5e-3):
    """Adam with a one-cycle schedule over shuffled batches (4 epochs on grey images; 30, augmented, on colour ones)."""
    colour = images.shape[1] == 3
    epochs = epochs or (30 if colour else 4)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4 if colour else 0.0)
    steps = epochs * ((len(images) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(images), device=images.device)
        total = torch.zeros((), device=images.device)
        for start in range(0, len(images), batch_size):
            rows = order[start:start + batch_size]
            x = _augment(images[rows]) if colour else images[rows]
            loss = F.cross_entropy(model(x), labels[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.detach() * len(rows)  # no sync with the GPU at every step
        if on_epoch is not None:
            on_epoch(epoch, float(total) / len(images))
    return model


def predict(model, images, batch_size=1000):
    """(N,) predicted labels, in eval mode."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(images[i:i + batch_size]).argmax(dim=1) for i in range(0, len(images), batch_size)])
