"""Trusted code that runs inside the learner process for stage3/resnet.

It builds the learner's blocks and networks, loads the judge's weights into them and runs
them, and runs the training task (on the device: CUDA when present). Only plain data goes
back; the judge computes every expected number and scores the predictions itself.
"""

from __future__ import annotations

import numpy as np
import torch

from mldojo.graders.engine.channel import epoch_reporter
from mldojo.graders.engine.driver_support import DeviceImages, fewer_threads_when_busy

# pixels per image -> (channels, height, width): Fashion-MNIST and CIFAR-10
IMAGE_SHAPES = {784: (1, 28, 28), 3072: (3, 32, 32)}


def _made(module, kind, args):
    """kind(*args) (BasicBlock or ResNet) as (module, None), or (None, what is wrong)."""
    torch.set_num_threads(1)  # tiny tensors: more threads only wait on each other
    torch.manual_seed(0)
    made = getattr(module, kind)(*args)
    if not isinstance(made, torch.nn.Module):
        return None, f"{kind}({', '.join(map(repr, args))}) made a {type(made).__name__}, not an nn.Module"
    return made, None


def _raised(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:600]


def describe(module, kind, args):
    """The state dict's names and shapes, and the parameter count, of kind(*args)."""
    made, problem = _made(module, kind, args)
    if problem:
        return {"problem": problem}
    return {"shapes": {k: list(v.shape) for k, v in made.state_dict().items()},
            "parameters": int(sum(p.numel() for p in made.parameters()))}


def output_shape(module, kind, args, x_shape):
    """The output shape of a fresh kind(*args) in eval mode on random input of x_shape (float32)."""
    made, problem = _made(module, kind, args)
    if problem:
        return {"problem": problem}
    made.eval()
    try:
        with torch.no_grad():
            out = made(torch.rand(*x_shape))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the judge says what was raised
        return {"raised": _raised(exc)}
    return {"shape": list(out.shape) if isinstance(out, torch.Tensor) else None, "type": type(out).__name__}


def _load(made, state):
    """Load the judge's float64 arrays by name (strict); '' or what went wrong."""
    made.double()
    tensors = {k: torch.tensor(np.asarray(v)) for k, v in state.items()}
    for name, value in tensors.items():
        if name.endswith("num_batches_tracked"):
            tensors[name] = value.to(torch.long)
    try:
        made.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        return f"load_state_dict(the judge's weights) failed: {str(exc).strip()[:800]}"
    return ""


def _run(made, x, training):
    """made(x) in the given mode without gradients: {"out", "running"} or {"raised"}."""
    made.train(bool(training))
    try:
        with torch.no_grad():
            out = made(torch.tensor(np.asarray(x), dtype=torch.float64))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        return {"raised": _raised(exc)}
    if not isinstance(out, torch.Tensor):
        return {"raised": f"it returned a {type(out).__name__}, not a tensor"}
    running = {k: v.detach().numpy().copy() for k, v in made.state_dict().items() if k.endswith(("running_mean", "running_var"))}
    return {"out": out.detach().numpy().copy(), "running": running}


def forward(module, kind, args, state, x, training):
    """kind(*args) in float64 with the judge's state dict, in train or eval mode, on x; then the running statistics."""
    made, problem = _made(module, kind, args)
    if problem:
        return {"problem": problem}
    problem = _load(made, state)
    return {"problem": problem} if problem else _run(made, x, training)


def zero_last_scale(module, args, x, training):
    """A fresh BasicBlock(*args) in float64 with bn2's weight and bias set to zero, on x; and its state dict."""
    made, problem = _made(module, "BasicBlock", args)
    if problem:
        return {"problem": problem}
    made.double()
    bn2 = getattr(made, "bn2", None)
    if not isinstance(bn2, torch.nn.BatchNorm2d):
        return {"problem": f"BasicBlock{tuple(args)} has no bn2 of type nn.BatchNorm2d (it has {type(bn2).__name__})"}
    with torch.no_grad():
        bn2.weight.zero_()
        bn2.bias.zero_()
    state = {k: v.detach().numpy().copy() for k, v in made.state_dict().items()}
    return {**_run(made, x, training), "state": state}


def predictions(module, args, state, x):
    """The learner's predict on ResNet(*args) with the judge's weights, left in training mode: labels, mode after."""
    made, problem = _made(module, "ResNet", args)
    if problem:
        return {"problem": problem}
    problem = _load(made, state)
    if problem:
        return {"problem": problem}
    made.train()
    labels = module.predict(made, torch.tensor(np.asarray(x), dtype=torch.float64))
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    return {"labels": np.asarray(labels)}


# -- the training task ------------------------------------------------------------------------
def load(module, images, labels, test_images, divisor):
    """Put the data on the device once, as (N, C, H, W) images; the judge gets a handle."""
    return DeviceImages(images, labels, test_images, divisor, shape=IMAGE_SHAPES[int(np.prod(images.shape[1:]))])


def train_and_predict(module, data):
    """build_model(channels), train on the training images, predict the test images."""
    seen = {"epochs": None}
    threads = fewer_threads_when_busy() if data.device.type == "cpu" else ""
    torch.manual_seed(0)
    model = module.build_model(int(data.images.shape[1]))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"build_model returned a {type(model).__name__}, not an nn.Module")
    model = model.to(data.device)
    module.train(model, data.images, data.labels, on_epoch=epoch_reporter(seen))
    labels = module.predict(model, data.test_images)
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()  # waits for the GPU: the judge's clock includes it
    name = torch.cuda.get_device_name(data.device) if data.device.type == "cuda" else f"cpu, {threads}"
    return {"predictions": np.asarray(labels), "epochs": seen["epochs"], "device": name}


def probe(module):
    """build_model and predict on 4 images (NotImplementedError propagates): cheap, no training."""
    torch.manual_seed(0)
    model = module.build_model(1)
    module.predict(model, torch.rand(4, 1, 28, 28))
    module.train(model, torch.rand(0, 1, 28, 28), torch.zeros(0, dtype=torch.int64))
