"""Trusted code that runs inside the learner process for stage2/makemore_mlp.

Generators and tensors are made here from the seeds and arrays the judge sends (they cannot
travel), the learner's functions are called on them, and plain arrays go back. The trained
model stays in this process behind a handle; the judge sends it contexts and gets logits.
Nothing here decides anything: the judge computes every expectation itself.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from mldojo.graders.engine.channel import report_progress
from mldojo.graders.engine.driver_support import fewer_threads_when_busy

CHUNK = 32768  # contexts per call of the learner's logits when scoring (bounds the hidden layer's memory)
PROGRESS_EVERY_S = 2.0


def _array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()  # a copy: training changes parameters in place
    return np.asarray(value)


def _describe(value):
    """A tensor's shape, dtype and requires_grad, or the type of anything else."""
    if isinstance(value, torch.Tensor):
        return {"tensor": True, "shape": list(value.shape), "dtype": str(value.dtype).replace("torch.", ""),
                "floating": bool(value.is_floating_point()), "requires_grad": bool(value.requires_grad)}
    return {"tensor": False, "type": type(value).__name__}


def dataset(module, words, block_size):
    """build_dataset(words, block_size) as arrays, with what each returned value is."""
    got = module.build_dataset(list(words), int(block_size))
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return {"returned": type(got).__name__ if not isinstance(got, (tuple, list)) else f"{len(got)} values"}
    X, Y = got
    return {"returned": "pair", "X": _describe(X), "Y": _describe(Y),
            "X_values": _array(X) if isinstance(X, torch.Tensor) else None,
            "Y_values": _array(Y) if isinstance(Y, torch.Tensor) else None}


def _params(module, block_size, n_embd, n_hidden, seed, global_seed):
    torch.manual_seed(int(global_seed))  # the global generator moves between calls: only `generator` may be used
    generator = torch.Generator().manual_seed(int(seed))
    return module.init_model(int(block_size), int(n_embd), int(n_hidden), generator)


def init(module, block_size, n_embd, n_hidden, seeds):
    """init_model called once per (seed, global seed) pair: what came back, and the values."""
    calls = []
    for seed, global_seed in seeds:
        params = _params(module, block_size, n_embd, n_hidden, seed, global_seed)
        if not isinstance(params, (list, tuple)):
            calls.append({"returned": type(params).__name__})
            continue
        calls.append({"returned": "list", "described": [_describe(p) for p in params],
                      "values": [_array(p) if isinstance(p, torch.Tensor) else None for p in params]})
    return calls


def forward(module, params, X):
    """logits(params, X) for the judge's float64 parameters and contexts, without gradients."""
    tensors = [torch.tensor(np.asarray(p), dtype=torch.float64, requires_grad=True) for p in params]
    with torch.no_grad():
        out = module.logits(tensors, torch.tensor(np.asarray(X), dtype=torch.long))
    return {"out": _describe(out), "values": _array(out) if isinstance(out, torch.Tensor) else None}


def _logits_of(module, params, contexts):
    X = torch.from_numpy(np.asarray(contexts, dtype=np.int64))
    parts = []
    with torch.no_grad():
        for start in range(0, X.shape[0], CHUNK):
            out = module.logits(params, X[start:start + CHUNK])
            if not isinstance(out, torch.Tensor):
                return None, {"tensor": False, "type": type(out).__name__}
            parts.append(out.detach().to(torch.float32).cpu())
    out = torch.cat(parts) if parts else torch.zeros((0, 27))
    return out.numpy(), {"tensor": True, "shape": list(out.shape)}


def fresh_model_logits(module, block_size, n_embd, n_hidden, seed, contexts):
    """A fresh init_model's logits on the judge's contexts, and its parameters (to say why a loss is high)."""
    fewer_threads_when_busy()
    params = _params(module, block_size, n_embd, n_hidden, seed, 0)
    values, described = _logits_of(module, params, contexts)
    return {"logits": values, "described": described,
            "params": [_array(p) if isinstance(p, torch.Tensor) else None for p in params]}


class TrainedModel:
    """The learner's trained params, kept in this process (the judge holds a handle)."""

    def __init__(self, params):
        self.params = params


def progress_callback():
    """An on_step(step, loss) for the learner's loop: reports the step and loss to the judge every few seconds."""
    last = [0.0]

    def on_step(step, loss=None, *more, **extra):
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        try:
            fields = {"epoch": int(step)}
            if loss is not None:
                fields["loss"] = float(loss.item() if isinstance(loss, torch.Tensor) else loss)
        except (TypeError, ValueError, RuntimeError):
            return
        last[0] = now
        report_progress(fields, force=True)

    return on_step


def train(module, words):
    """train(words, on_step) with a progress callback; a handle to the params, and what they are."""
    threads = fewer_threads_when_busy()
    params = module.train(list(words), on_step=progress_callback())
    if not isinstance(params, (list, tuple)):
        return {"returned": type(params).__name__}
    return {"returned": "list", "described": [_describe(p) for p in params], "model": TrainedModel(list(params)),
            "device": trained_on(params, threads)}


def trained_on(params, threads: str) -> str:
    """Where the trained tensors live, in words for the judge's record: 'cpu, 1 thread (...)' or the GPU's name."""
    first = next((p for p in params if isinstance(p, torch.Tensor)), None)
    if first is not None and first.device.type == "cuda":
        return torch.cuda.get_device_name(first.device)
    return f"cpu, {threads}"


def score(module, model, contexts):
    """The trained model's logits (float32) on every context the judge sends."""
    fewer_threads_when_busy()
    values, described = _logits_of(module, model.params, contexts)
    return {"logits": values, "described": described}


class _ProbeDone(BaseException):
    """Ends the probe's training at its first step (a BaseException: `except Exception` does not swallow it)."""


def probe(module):
    """train([]) stopped at its first on_step: NotImplementedError for the stub, quick for written code."""

    def stop(*args, **kwargs):
        raise _ProbeDone

    try:
        module.train([], on_step=stop)
    except _ProbeDone:
        pass
