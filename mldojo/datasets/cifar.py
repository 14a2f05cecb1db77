"""CIFAR-10 in its python-pickle form (the folder cifar-10-batches-py), read through the restricted unpickler.

Each batch file is a pickled dict: b"data" a uint8 array (N, 3072) whose row holds the 1,024
red, then green, then blue pixels of a 32x32 image row by row, and b"labels" a list of N
class indices 0-9; batches.meta holds b"label_names". Images come back channel-first,
uint8 (N, 3, 32, 32), the order the rows are stored in and the one torch's Conv2d takes.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mldojo.datasets.errors import DatasetCorrupt, RefusedPickle
from mldojo.datasets.locate import Found, locate
from mldojo.datasets.nielsen import ArraysOnlyUnpickler

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
PIXELS = 3 * 32 * 32


@dataclass(frozen=True)
class CifarSet:
    """CIFAR-10: channel-first uint8 images, int64 labels 0-9, the class names."""

    train_images: np.ndarray  # uint8 (50000, 3, 32, 32)
    train_labels: np.ndarray  # int64 (50000,)
    test_images: np.ndarray  # uint8 (10000, 3, 32, 32)
    test_labels: np.ndarray  # int64 (10000,)
    label_names: tuple[str, ...]
    source: str


def _unpickle(path: Path):
    """The pickled object in `path`; only plain values and NumPy arrays are built (a pickle can run code)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetCorrupt(f"{path}: cannot be read ({exc})") from exc
    try:
        # bytes: the batches were pickled by Python 2, whose str keys become b"data", b"labels"
        return ArraysOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except RefusedPickle as exc:
        raise RefusedPickle(f"{path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, AttributeError, KeyError) as exc:
        raise DatasetCorrupt(f"{path}: not a readable pickle ({type(exc).__name__}: {exc}); damaged or truncated, copy it again") from exc


def _field(batch: dict, key: str):
    """batch[b"key"] (or batch["key"], for a batch re-pickled by Python 3)."""
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    return None


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) from one batch file, or DatasetCorrupt saying what is wrong."""
    path = Path(path)
    batch = _unpickle(path)
    if not isinstance(batch, dict):
        raise DatasetCorrupt(f"{path}: expected a pickled dict with data and labels, got a {type(batch).__name__}")
    data, labels = _field(batch, "data"), _field(batch, "labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DatasetCorrupt(f"{path}: b'data' should be a uint8 array (N, {PIXELS}), got {got}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DatasetCorrupt(f"{path}: b'labels' should be a list of class indices ({exc})") from None
    if labels.shape != (len(data),):
        raise DatasetCorrupt(f"{path}: {len(data)} images but labels of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetCorrupt(f"{path}: labels must be 0-9, got values from {labels.min()} to {labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels


def read_label_names(path: str | Path) -> tuple[str, ...]:
    """The ten class names from batches.meta."""
    path = Path(path)
    meta = _unpickle(path)
    names = _field(meta, "label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10:
        raise DatasetCorrupt(f"{path}: expected label_names, a list of the 10 class names")
    return tuple(n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names)


def load_cifar10() -> CifarSet:
    """CIFAR-10 from the first copy found (registered with `grade data add cifar10 PATH`, MLDOJO_DATA_DIR, ...)."""
    return load_found(locate("cifar10"))


def load_found(found: Found) -> CifarSet:
    """Read and check every batch of a located copy."""
    files = {role: path for role, (path, _) in found.files.items()}
    train = [read_batch(files[name]) for name in TRAIN_BATCHES]
    test_images, test_labels = read_batch(files[TEST_BATCH])
    return CifarSet(
        train_images=np.concatenate([images for images, _ in train]),
        train_labels=np.concatenate([labels for _, labels in train]),
        test_images=test_images,
        test_labels=test_labels,
        label_names=read_label_names(files[META]),
        source=found.describe(),
    )


def describe(found: Found) -> list[str]:
    """Lines for `grade data add` / `grade data cifar10`: sizes and classes (every batch is read and checked)."""
    data = load_found(found)
    full = "" if len(data.train_labels) == 50000 and len(data.test_labels) == 10000 else " (the full set has 50,000 and 10,000)"
    return [f"train: {len(data.train_labels)} images 3x32x32, test: {len(data.test_labels)}{full}; uint8, labels 0-9",
            f"classes: {', '.join(data.label_names)}"]
