"""Trusted code that runs inside the learner process for the stage3/mnist_torch grader.

The small checks run the learner's functions on models the grader builds here from a state
dict the judge sends (`probe_model`: Linear - ReLU - Dropout - Linear), so the judge can
compute the expected result with the same weights in its own process. The training task
keeps MNIST on the device (CUDA when present, else CPU) and times nothing itself: the
judge's clock runs around `train_and_predict`. Only plain data goes back.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mldojo.graders.engine.channel import epoch_reporter
from mldojo.graders.engine.driver_support import fewer_threads_when_busy, restore_images


def device() -> torch.device:
    """CUDA when this machine has a usable GPU, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def probe_model(state: dict, dropout: float = 0.0) -> nn.Module:
    """Linear(D, H) - ReLU - Dropout(p) - Linear(H, C) in float32 with the given weights."""
    hidden, inputs = state["0.weight"].shape
    classes = state["3.weight"].shape[0]
    model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes))
    model.load_state_dict({k: torch.as_tensor(np.asarray(v), dtype=torch.float32) for k, v in state.items()})
    return model


# -- small checks ----------------------------------------------------------------------------
def logits_of_a_fresh_model(module, batch_sizes):
    """build_model() applied to random (B, 784) float32 batches: the outputs and the parameter count."""
    torch.manual_seed(0)
    model = module.build_model()
    if not isinstance(model, nn.Module):
        return {"problem": f"build_model() returned {type(model).__name__}, not an nn.Module"}
    model.eval()
    outputs = []
    with torch.no_grad():
        for b in batch_sizes:
            outputs.append(model(torch.rand(b, 784)).detach().cpu())
    return {"outputs": outputs, "parameters": sum(p.numel() for p in model.parameters())}


def two_train_steps(module, state, X1, y1, X2, y2, lr):
    """train_step twice with SGD(lr) on a probe model: the two losses and the weights after each step."""
    model = probe_model(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    trace = {}
    for step, (X, y) in enumerate(((X1, y1), (X2, y2)), start=1):
        loss = module.train_step(model, optimizer, torch.as_tensor(X), torch.as_tensor(y))
        trace[f"loss{step}"] = float(loss) if not isinstance(loss, torch.Tensor) else loss.detach().cpu().reshape(-1)
        trace[f"state{step}"] = {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
    return trace


def predictions_with_dropout(module, state, X):
    """The learner's predict on a probe model with Dropout(0.5) left in training mode."""
    torch.manual_seed(0)
    model = probe_model(state, dropout=0.5)
    model.train()
    labels = module.predict(model, torch.as_tensor(X))
    return labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels


def modes_during_train(module, state, X, y):
    """Whether the model was in training mode at each forward call of the learner's train."""
    torch.manual_seed(0)
    model = probe_model(state, dropout=0.5)
    model.eval()  # train() must switch it back on
    modes = []
    model.register_forward_hook(lambda mod, args, out: modes.append(bool(mod.training)))
    module.train(model, torch.as_tensor(X), torch.as_tensor(y), epochs=1, batch_size=4, lr=1e-3)
    return modes


# -- the training task ------------------------------------------------------------------------
class TrainingData:
    """MNIST on the device: float32 images (N, 784) in [0, 1], int64 labels (N,)."""

    def __init__(self, images, labels, test_images, divisor):
        self.device = device()
        self.images = torch.from_numpy(restore_images(images, divisor)).to(self.device)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(self.device)
        self.test_images = torch.from_numpy(restore_images(test_images, divisor)).to(self.device)
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def load(module, images, labels, test_images, divisor):
    """Put the data on the device once; the judge gets a handle."""
    return TrainingData(images, labels, test_images, divisor)


def train_and_predict(module, data):
    """build_model, train on all training images, predict the test images."""
    seen = {"epochs": None}
    on_epoch = epoch_reporter(seen)
    threads = fewer_threads_when_busy() if data.device.type == "cpu" else ""
    torch.manual_seed(0)
    model = module.build_model().to(data.device)
    module.train(model, data.images, data.labels, on_epoch=on_epoch)
    labels = module.predict(model, data.test_images)
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()  # waits for the GPU: the judge's clock includes it
    name = torch.cuda.get_device_name(data.device) if data.device.type == "cuda" else f"cpu, {threads}"
    return {"predictions": np.asarray(labels), "epochs": seen["epochs"], "device": name}


def probe(module):
    """build_model, one epoch of train and predict on 20 images (NotImplementedError propagates)."""
    torch.manual_seed(0)
    X = torch.rand(20, 784)
    y = torch.arange(20) % 10
    model = module.build_model()
    module.train(model, X, y, epochs=1, batch_size=10, lr=1e-3)
    module.predict(model, X)
