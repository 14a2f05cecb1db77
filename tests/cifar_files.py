"""Small CIFAR-10 folders in the python-pickle format, generated for tests (the real set is never downloaded)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def class_images(labels: np.ndarray, rng) -> np.ndarray:
    """uint8 (N, 3072) rows, 1,024 red then green then blue values, whose colour says the class (learnable)."""
    n = len(labels)
    images = rng.integers(0, 60, size=(n, 3, 32, 32))
    channel, level = labels % 3, 80 + 17 * labels  # class k: a bright channel at its own level
    images[np.arange(n), channel] += level[:, None, None]
    return np.clip(images, 0, 255).astype(np.uint8).reshape(n, 3072)


def write_cifar(folder: Path, per_batch: int = 20, seed: int = 0, protocol: int = 2) -> Path:
    """folder/cifar-10-batches-py with data_batch_1..5, test_batch and batches.meta; returns that sub-folder."""
    rng = np.random.default_rng(seed)
    target = folder / "cifar-10-batches-py"
    target.mkdir(parents=True, exist_ok=True)
    for name in BATCHES:
        labels = rng.permutation(np.arange(per_batch) % 10)
        batch = {b"batch_label": name.encode(), b"labels": labels.tolist(), b"data": class_images(labels, rng),
                 b"filenames": [f"{name}_{i}.png".encode() for i in range(per_batch)]}
        (target / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    meta = {b"num_cases_per_batch": per_batch, b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072}
    (target / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return target
