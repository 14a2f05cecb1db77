"""stage3/mnist_torch: the MNIST MLP again, now as a PyTorch nn.Module with a training loop.

Write the model, one optimisation step, the loop around it and prediction. The grader
checks each piece on small models with known weights, then, once they all pass, runs your
`build_model` and `train` on MNIST's 60,000 training images (already on the GPU when the
machine has one, else on the CPU) and scores `predict` on the 10,000 test images itself:
done at 98 % test accuracy.
"""

import torch
import torch.nn.functional as F
from torch import nn


def build_model():
    """A fresh nn.Module (a new one at every call) mapping images (B, 784) float32 to raw
    class scores (B, 10) float32.

    Raw scores (logits): no softmax (and no ReLU) after the last layer, the loss applies
    log-softmax itself. Dropout is allowed.
    """
    raise NotImplementedError("TODO: build_model")


def train_step(model, optimizer, X, y):
    """One optimisation step on a batch: X (B, D) float32, y (B,) int64 class labels.

    Clears old gradients, computes the cross-entropy of model(X) against y, back-propagates
    and steps the optimizer. Returns the batch loss before the step (a float or a 0-d tensor).
    """
    raise NotImplementedError("TODO: train_step")


def train(model, X, y, epochs=5, batch_size=128, lr=1e-3, on_epoch=None):
    """Train model on X (N, D) float32 and y (N,) int64, both on the model's device.

    Choose your own defaults for epochs, batch_size and lr (the grader calls train with
    only model, X, y and on_epoch for the real run, and with small values of all three on
    tiny data). Make your optimizer with learning rate lr (a schedule may change it from
    there; with lr=0 nothing moves). Run the model in training mode. Each epoch shuffles
    the rows (a new permutation of all N, X and y alike) and visits every row once in
    batches of batch_size, the last one smaller when batch_size does not divide N; use
    train_step for each batch, and call on_epoch(epoch, mean_loss) after each epoch if it
    is given (epoch counts from 1; mean_loss is the mean of the epoch's batch losses).
    Returns the model.
    """
    raise NotImplementedError("TODO: train")


def predict(model, X):
    """Class labels for X (N, D): an int64 tensor (N,), the argmax of the logits, computed in
    eval mode (model.eval()) without gradients (under torch.no_grad())."""
    raise NotImplementedError("TODO: predict")
