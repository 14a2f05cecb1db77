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
from mldojo.graders.engine.driver_support import DeviceImages, fewer_threads_when_busy


def probe_model(state: dict, dropout: float = 0.0) -> nn.Module:
    """Linear(D, H) - ReLU - Dropout(p) - Linear(H, C) in float32 with the given weights."""
    hidden, inputs = state["0.weight"].shape
    classes = state["3.weight"].shape[0]
    model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes))
    model.load_state_dict({k: torch.as_tensor(np.asarray(v), dtype=torch.float32) for k, v in state.items()})
    return model


# -- small checks ----------------------------------------------------------------------------
def logits_of_a_fresh_model(module, batch_sizes):
    """build_model() applied to random (B, 784) float32 batches: the outputs, the parameter
    count, and whether a second build_model() gives a model of its own."""
    torch.manual_seed(0)
    model = module.build_model()
    if not isinstance(model, nn.Module):
        return {"problem": f"build_model() returned {type(model).__name__}, not an nn.Module"}
    second = module.build_model()
    shared = {id(p) for p in model.parameters()} & {id(p) for p in getattr(second, "parameters", lambda: [])()}
    model.eval()
    outputs = []
    with torch.no_grad():
        for b in batch_sizes:
            outputs.append(model(torch.rand(b, 784)).detach().cpu())
    return {"outputs": outputs, "parameters": sum(p.numel() for p in model.parameters()),
            "fresh": second is not model and not shared}


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


def _forward_recorder(model, events, rows=None):
    """A forward hook appending ["forward", training, grad enabled, row indices of the input in X]."""
    def hook(mod, args, out):
        batch = args[0] if args else None
        ids = []
        if rows is not None and isinstance(batch, torch.Tensor) and batch.dim() == 2:
            ids = [rows.get(r.numpy().tobytes(), -1) for r in batch.detach().to("cpu", torch.float32)]
        events.append(["forward", bool(mod.training), torch.is_grad_enabled(), ids])

    return model.register_forward_hook(hook)


def predictions_with_dropout(module, state, X):
    """The learner's predict on a probe model with Dropout(0.5) left in training mode, and how
    the model was called: {"labels", "forwards": [[training, grad enabled, rows], ...]}."""
    torch.manual_seed(0)
    model = probe_model(state, dropout=0.5)
    model.train()
    events = []
    _forward_recorder(model, events)
    labels = module.predict(model, torch.as_tensor(X))
    labels = labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels
    return {"labels": labels, "forwards": [event[1:3] for event in events]}


def train_trace(module, state, X, y, epochs, batch_size, lr, with_callback=True):
    """The learner's train(model, X, y, epochs, batch_size, lr, on_epoch) on a probe model with
    Dropout(0.5), left in eval mode: what happened, in order, as plain data.

    events: ["forward", training, grad enabled, [row of X for each input row, -1 if none]],
            ["step", the loss train_step returned] (when train calls this module's train_step),
            ["epoch", epoch, loss] (each on_epoch call)
    returned_model: train returned the model it was given; changed: some parameter moved.
    Without `with_callback`, on_epoch is left at its default (None)."""
    torch.manual_seed(0)
    model = probe_model(state, dropout=0.5)
    model.eval()  # train() must switch it back on
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    rows = {X[i].numpy().tobytes(): i for i in range(X.shape[0])}
    events = []
    _forward_recorder(model, events, rows)
    original = getattr(module, "train_step", None)

    def recording_step(*args, **kwargs):
        loss = original(*args, **kwargs)
        events.append(["step", _plain_number(loss, float)])
        return loss

    def on_epoch(epoch, loss=None, *more, **extra):
        events.append(["epoch", _plain_number(epoch, int), _plain_number(loss, float)])

    before = [p.detach().clone() for p in model.parameters()]
    if callable(original):
        module.train_step = recording_step
    try:
        callback = {"on_epoch": on_epoch} if with_callback else {}
        result = module.train(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, **callback)
    finally:
        if callable(original):
            module.train_step = original
    changed = any(not torch.equal(b, p.detach()) for b, p in zip(before, model.parameters()))
    return {"events": events, "returned_model": result is model, "returned": type(result).__name__, "changed": changed}


def _plain_number(value, kind):
    """int(value) / float(value) (a 0-d tensor too), or a short description when it is not a number."""
    try:
        return kind(value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        return f"{type(value).__name__} {value!r:.40}"


# -- the training task ------------------------------------------------------------------------
def load(module, images, labels, test_images, divisor):
    """Put the data on the device once, as (N, 784) rows; the judge gets a handle."""
    return DeviceImages(images, labels, test_images, divisor)


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
