"""Helpers that trusted drivers use inside the learner process (learner-side: see sandbox.py).

Nothing here decides a verdict: these only prepare what the learner's code is called with
(backward_along also serves the judge's own torch oracles, the same numbers on both sides).
It imports only the standard library and NumPy (DeviceImages imports torch when it is used).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

_judge_files: dict[tuple[str, str], str] = {}
_folder: str | None = None


def file_from_judge(sent) -> str:
    """A path to a file the judge sent as {"name": ..., "text": ...}, written once into this
    process's private temporary folder (the sandbox's /tmp); a plain string is already a path.

    The judge sends file contents rather than paths: inside the sandbox the learner's code sees
    none of the judge's folders, and nothing the judge wrote is left behind when it is killed."""
    global _folder
    if isinstance(sent, str):
        return sent
    name, text = os.path.basename(str(sent["name"])), str(sent["text"])
    key = (name, text)
    if key not in _judge_files:
        if _folder is None:
            _folder = tempfile.mkdtemp(prefix="mldojo-from-judge-")
        path = os.path.join(_folder, f"{len(_judge_files):02d}_{name}")
        with open(path, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        _judge_files[key] = path
    return _judge_files[key]


def fewer_threads_when_busy() -> str:
    """In the learner process: one BLAS / OpenMP thread on a small or oversubscribed machine.

    OpenBLAS and OpenMP threads spin while they wait for each other; with more runnable
    threads than cores they mostly wait. On the 2-core development machine a NumPy MLP epoch
    took 8x longer with 2 threads than with 1 while other work ran, and a run that started
    idle with 2 threads slowed to 107 s when the machine filled up (1 thread: 30 s). On two
    cores the second thread gains at most ~1.5x when idle, so one thread is the predictable
    choice there; bigger machines keep their threads unless the load exceeds their cores.
    """
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    if cores > 2 and load <= cores:
        return f"{cores} cores"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except ImportError:
        pass
    torch = __import__("sys").modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    why = f"machine busy: load {load:.1f}" if load > cores else "small machine"
    return f"1 thread ({why}, {cores} cores)"


def restore_images(images: np.ndarray, divisor: float) -> np.ndarray:
    """The inverse of compact_images (runs in the learner process): float32 (N, 784) in [0, 1]."""
    if divisor:
        return images.astype(np.float32) / np.float32(divisor)
    return images.astype(np.float32, copy=False)


def backward_along(out, grad) -> None:
    """out.backward(grad) taken as the gradient of sum(out * grad): the same numbers, bit for bit.

    Given an explicit gradient, torch checks its shape through torch.fx.experimental.symbolic_shapes,
    whose first import (sympy, about 490 modules) costs 0.5 - 1 s in every fresh process; the
    backward of a scalar skips it. Used on both sides: the learner-side drivers and the judge."""
    if tuple(grad.shape) != tuple(out.shape):
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {tuple(grad.shape)} and "
                           f"output[0] has a shape of {tuple(out.shape)}.")
    # d sum(out * grad) / d out = 1 * grad exactly: mul's backward multiplies the ones by grad.
    (out * grad.to(out.dtype)).sum().backward()


class DeviceImages:
    """A training task's data as torch tensors on the device the learner's code trains on (CUDA when
    present): float32 images in [0, 1], int64 labels, float32 test images. Kept in the learner process;
    the judge holds only a handle to it (training.py's load driver returns one)."""

    def __init__(self, images, labels, test_images, divisor, shape: tuple[int, ...] | None = None):
        """shape: each image's own shape, e.g. (1, 28, 28); None keeps the rows as sent, (N, 784)."""
        import torch  # only the torch tasks' drivers use this: the NumPy drivers never import torch

        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        rows = (-1, *shape) if shape else None

        def on_device(pixels: np.ndarray) -> "torch.Tensor":
            tensor = torch.from_numpy(restore_images(pixels, divisor))
            return (tensor.reshape(rows) if rows else tensor).to(self.device)

        self.images = on_device(images)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(self.device)
        self.test_images = on_device(test_images)
        if self.device.type == "cuda":
            torch.cuda.synchronize()  # the copies are done before the judge starts its training clock
