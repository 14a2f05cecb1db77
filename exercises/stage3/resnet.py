"""stage3/resnet: residual blocks and a small ResNet, trained until the judge measures 91 % on Fashion-MNIST.

A residual block learns a correction F(x) that is added to its input: out = relu(F(x) + x).
If F learns nothing (its last batch norm scaled to zero) the block passes x straight on, which
is why very deep stacks of such blocks still train. Build the pieces from nn.Conv2d,
nn.BatchNorm2d, nn.Linear and torch.nn.functional (torchvision's models are off limits), with
exactly these attribute names, because the grader loads its own weights into your modules
with load_state_dict(strict=True):

  BasicBlock(in_channels, out_channels, stride=1)
      conv1     3x3 convolution, in_channels -> out_channels, stride `stride`, padding 1, bias=False
      bn1       BatchNorm2d(out_channels)
      conv2     3x3 convolution, out_channels -> out_channels, stride 1, padding 1, bias=False
      bn2       BatchNorm2d(out_channels)
      shortcut  nn.Sequential() -- empty, so it returns x -- when stride == 1 and
                in_channels == out_channels; otherwise
                nn.Sequential(1x1 convolution with stride `stride` and bias=False, BatchNorm2d(out_channels)),
                so its weights are named shortcut.0.weight, shortcut.1.weight, shortcut.1.bias, ...
      forward(x) = relu( bn2(conv2( relu(bn1(conv1(x))) )) + shortcut(x) )
                   one ReLU inside the branch, one after the addition, none on the shortcut.
      x (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride))
      So with bn2's weight and bias at zero a block returns exactly relu(shortcut(x)).

  ResNet(blocks=(2, 2, 2), channels=(16, 32, 64), num_classes=10, in_channels=1)
      conv1     3x3 convolution, in_channels -> channels[0], stride 1, padding 1, bias=False
      bn1       BatchNorm2d(channels[0])
      layer1, layer2, ...   one nn.Sequential of BasicBlocks per stage: stage k has blocks[k]
                blocks with channels[k] output channels; the first block of every stage except
                the first has stride 2 (it halves height and width), every other block stride 1.
      fc        Linear(channels[-1], num_classes)
      forward(x) = fc( mean over height and width of layerK(...layer1(relu(bn1(conv1(x))))) )
      x (N, in_channels, H, W) float -> logits (N, num_classes), no softmax.

  build_model(in_channels=1, num_classes=10) -> a fresh ResNet of your choice (any blocks and
      channels) that the judge trains: in_channels is 1 for Fashion-MNIST, 3 for CIFAR-10.
  train(model, images, labels, on_epoch=None) -> model: train it with your own loop.
      images (N, C, H, W) float32 in [0, 1] and labels (N,) int64, already on the device the
      model is on (CUDA when there is one). Call on_epoch(epoch, mean_loss) after each epoch
      (epochs counted from 1) when it is given.
  predict(model, images) -> (N,) int64 predicted labels, computed in eval mode.

The grader checks output shapes, names, shapes and parameter counts, loads its weights into
blocks and networks and compares outputs and running statistics in train and eval mode
(float64), checks the zero-scale property, and finally (once everything else passes) trains
build_model() with your train() on the 60,000 Fashion-MNIST training images in your process.
It scores predict on the 10,000 test images itself (their labels never reach your code): done
at 91 % test accuracy, within the catalogue's training time (scaled for slow or busy machines).
If you registered CIFAR-10 (grade data add cifar10 PATH) and a GPU is present, it trains on
CIFAR-10 instead, done at 90 %. `grade data` shows where the data sets are.
"""

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, plus a shortcut (identity, or 1x1 convolution + batch norm)."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        raise NotImplementedError("TODO: BasicBlock.__init__ (conv1, bn1, conv2, bn2, shortcut)")

    def forward(self, x):
        """(N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride))."""
        raise NotImplementedError("TODO: BasicBlock.forward")


class ResNet(nn.Module):
    """A stem convolution, stages of BasicBlocks, a global average pool and a linear classifier."""

    def __init__(self, blocks=(2, 2, 2), channels=(16, 32, 64), num_classes=10, in_channels=1):
        super().__init__()
        raise NotImplementedError("TODO: ResNet.__init__ (conv1, bn1, layer1..., fc)")

    def forward(self, x):
        """(N, in_channels, H, W) -> logits (N, num_classes)."""
        raise NotImplementedError("TODO: ResNet.forward")


def build_model(in_channels=1, num_classes=10):
    """A fresh ResNet to train (1 input channel for Fashion-MNIST, 3 for CIFAR-10)."""
    raise NotImplementedError("TODO: build_model")


def train(model, images, labels, on_epoch=None):
    """Train on images (N, C, H, W) float32 and labels (N,) int64; call on_epoch(epoch, mean_loss) after each epoch; return the model."""
    raise NotImplementedError("TODO: train")


def predict(model, images):
    """(N,) int64 labels for images (N, C, H, W), in eval mode."""
    raise NotImplementedError("TODO: predict")
