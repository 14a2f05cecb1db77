"""Trusted code that runs inside the learner process for stage2/bigram: seeded generators and
tensors made here (they cannot travel), the learner's results sent back as plain arrays."""

from __future__ import annotations

import numpy as np
import torch


def _array(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def counts(module, words):
    """bigram_counts(words) as an array, with its dtype's kind."""
    got = module.bigram_counts(list(words))
    return {"counts": _array(got).astype(np.float64), "is_tensor": isinstance(got, torch.Tensor),
            "integer": isinstance(got, torch.Tensor) and not got.is_floating_point()}


def probs(module, counts, smoothing):
    """bigram_probs(counts tensor, smoothing) as a float64 array, with the tensor's dtype (smoothing None:
    called without it, so its default applies)."""
    tensor = torch.tensor(np.asarray(counts), dtype=torch.long)
    got = module.bigram_probs(tensor) if smoothing is None else module.bigram_probs(tensor, smoothing)
    return {"probs": _array(got).astype(np.float64), "dtype": str(got.dtype) if isinstance(got, torch.Tensor) else type(got).__name__}


def nll(module, words, probs):
    """nll(words, probs tensor) as a float."""
    return float(module.nll(list(words), torch.tensor(np.asarray(probs), dtype=torch.float32)))


def sample(module, probs, n, seed):
    """sample(probs, n, torch.Generator().manual_seed(seed))."""
    generator = torch.Generator().manual_seed(int(seed))
    return [str(name) for name in module.sample(torch.tensor(np.asarray(probs), dtype=torch.float32), int(n), generator)]


def train(module, words, seed):
    """train_neural_bigram(words, seeded generator) -> W as an array."""
    generator = torch.Generator().manual_seed(int(seed))
    W = module.train_neural_bigram(list(words), generator)
    return _array(W).astype(np.float64)


def probe(module):
    """train_neural_bigram on one word with a tiny budget: instant for written code, NotImplementedError for the stub."""
    module.train_neural_bigram(["ab"], torch.Generator().manual_seed(0))
