"""A correct stage3/resnet written unlike the reference: stages built with add_module, the shortcut decided in forward,
functional pooling, SGD with Nesterov momentum and a cosine schedule, predict under inference_mode."""

import math

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        conv = lambda cin, s: nn.Conv2d(cin, out_channels, kernel_size=3, stride=s, padding=1, bias=False)  # noqa: E731
        self.conv1, self.bn1 = conv(in_channels, stride), nn.BatchNorm2d(out_channels)
        self.conv2, self.bn2 = conv(out_channels, 1), nn.BatchNorm2d(out_channels)
        layers = []
        if (in_channels, stride) != (out_channels, 1):
            layers = [nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)]
        self.shortcut = nn.Sequential(*layers)
        self.act = nn.ReLU()

    def forward(self, x):
        branch = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        return self.act(branch + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks=(2, 2, 2), channels=(16, 32, 64), num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        self.names = []
        width = channels[0]
        for index in range(len(blocks)):
            stage = nn.Sequential()
            for j in range(blocks[index]):
                stride = 2 if index > 0 and j == 0 else 1
                stage.append(BasicBlock(width, channels[index], stride))
                width = channels[index]
            width = channels[index]
            self.add_module("layer" + str(index + 1), stage)
            self.names.append("layer" + str(index + 1))
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        for name in self.names:
            x = self.get_submodule(name)(x)
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def build_model(in_channels=1, num_classes=10):
    return ResNet((1, 1, 1), (16, 32, 64), num_classes, in_channels)


def train(model, images, labels, on_epoch=None):
    epochs, batch = 4, 128
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    total_steps = epochs * math.ceil(len(images) / batch)
    step = 0
    model.train()
    for epoch in range(epochs):
        permutation = torch.randperm(images.shape[0], device=images.device)
        losses = []
        for chunk in permutation.split(batch):
            for group in optimizer.param_groups:
                group["lr"] = 0.05 * (1 + math.cos(math.pi * step / total_steps))
            loss = nn.functional.cross_entropy(model(images[chunk]), labels[chunk])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            step += 1
        if on_epoch:
            on_epoch(epoch + 1, torch.stack(losses).mean().item())
    return model


def predict(model, images):
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(part).argmax(1) for part in images.split(500)])
