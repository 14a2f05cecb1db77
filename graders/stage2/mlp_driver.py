"""Trusted code that runs inside the learner process for the stage2/mlp grader.

- `with_params(module, sizes, params)`: the learner's MLP(sizes, seed=0) with the judge's
  weights written into its `params` dict (returned as a handle), or a problem string.
- `load(module, images, labels, test_images, divisor)`: keeps MNIST here (training.py).
- `train_and_predict(module, data)`: the learner's train_mnist on all the training images,
  with an `on_epoch` callback that sends progress frames, then predict on the test images.
- `probe(module)`: train_mnist and predict on 20 images, to find stubs cheaply.
- `params_of(module, sizes, seed)`, `params_now(module, model)`: the params dict as arrays.
- `train_recording(module, model, X, y, epochs, batch_size, lr)`: the learner's train with an
  on_epoch that records its calls, what train returned, and the params after.

Only plain data goes back, except the model handle of with_params. Exceptions from the
learner's code propagate unchanged so the engine reports them.
"""

from __future__ import annotations

import numpy as np

from mldojo.graders.engine.channel import epoch_reporter
from mldojo.graders.engine.driver_support import fewer_threads_when_busy, restore_images


def with_params(module, sizes, params):
    """MLP(sizes, seed=0) with params written in; a string says what does not fit."""
    model = module.MLP(list(sizes), seed=0)
    own = getattr(model, "params", None)
    if not isinstance(own, dict):
        return f"MLP({list(sizes)}, seed=0) has no `params` dict (got {type(own).__name__})"
    missing = sorted(set(params) - set(own))
    if missing:
        return f"MLP({list(sizes)}, seed=0).params has no {', '.join(missing)} (keys: {', '.join(sorted(map(str, own)))})"
    for name, value in params.items():
        shape = np.shape(own[name])
        if shape != value.shape:
            return f"MLP({list(sizes)}, seed=0).params[{name!r}] has shape {shape}, expected {value.shape}"
        own[name] = value.copy()
    return model


def params_of(module, sizes, seed):
    """A copy of MLP(sizes, seed).params as plain arrays (seed None: MLP(sizes), the default seed), or a problem string."""
    model = module.MLP(list(sizes)) if seed is None else module.MLP(list(sizes), seed=seed)
    own = getattr(model, "params", None)
    if not isinstance(own, dict):
        return f"MLP({list(sizes)}, seed={seed}) has no `params` dict (got {type(own).__name__})"
    return {str(name): _as_array(value) for name, value in own.items()}


def params_now(module, model):
    """The model's params as plain arrays (after train)."""
    return {str(name): _as_array(value) for name, value in model.params.items()}


def train_recording(module, model, X, y, epochs, batch_size, lr, with_callback=True):
    """model.train(X, y, epochs, batch_size, lr, on_epoch) with an on_epoch that records its
    calls (without on_epoch, its default, when not `with_callback`): {"history": the returned
    value (a list of floats when it is a sequence of numbers), "calls": [[epoch, loss], ...],
    "params": the params after}."""
    calls = []

    def on_epoch(epoch, loss=None, *more, **extra):
        calls.append([_plain_number(epoch, int), _plain_number(loss, float)])

    callback = {"on_epoch": on_epoch} if with_callback else {}
    history = model.train(X, y, epochs=epochs, batch_size=batch_size, lr=lr, **callback)
    if isinstance(history, (list, tuple, np.ndarray)):
        history = [_plain_number(h, float) for h in np.asarray(history, dtype=object).reshape(-1)]
    elif history is not None:
        history = f"{type(history).__name__} {history!r:.60}"
    return {"history": history, "calls": calls, "params": params_now(module, model)}


def _plain_number(value, kind):
    """int(value) / float(value), or a short description when it is not a number."""
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return f"{type(value).__name__} {value!r:.40}"


class TrainingData:
    """MNIST as the learner's code receives it: float32 images in [0, 1], int64 labels."""

    def __init__(self, images, labels, test_images, divisor):
        self.images = restore_images(images, divisor)  # (60000, 784) float32
        self.labels = np.asarray(labels, dtype=np.int64)  # (60000,)
        self.test_images = restore_images(test_images, divisor)  # (10000, 784) float32


def load(module, images, labels, test_images, divisor):
    """Keep the data in this process; the judge gets a handle."""
    return TrainingData(images, labels, test_images, divisor)


def train_and_predict(module, data):
    """train_mnist on the training images, then predictions for the test images."""
    seen = {"epochs": None}
    on_epoch = epoch_reporter(seen)
    threads = fewer_threads_when_busy()
    model = module.train_mnist(data.images, data.labels, on_epoch=on_epoch)
    predictions = model.predict(data.test_images)
    return {"predictions": _as_array(predictions), "epochs": seen["epochs"], "device": f"cpu, NumPy, {threads}"}


def probe(module):
    """Touch train_mnist and predict on a few images (NotImplementedError propagates)."""
    rng = np.random.default_rng(0)
    images = rng.random((20, 784), dtype=np.float32)
    labels = np.arange(20) % 10
    model = module.train_mnist(images, labels, on_epoch=None)
    model.predict(images)


def _as_array(value):
    try:
        return np.asarray(value)
    except Exception:  # noqa: BLE001 - the judge reports a value it cannot read
        return value
