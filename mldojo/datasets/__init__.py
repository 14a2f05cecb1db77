"""Real data sets: find, download (checksummed, atomic) and load them.

    from mldojo.datasets import load_mnist, find_dataset, DatasetMissing
    mnist = load_mnist()          # float32 (60000, 784) / int64 (60000,) ... ; .source says where from
    find_dataset("titanic")       # Path of Kaggle's train.csv

Places searched, in order: a path registered with `grade data add NAME PATH`, the folder in
MLDOJO_DATA_DIR (and its sub-folder named for the data set), the download cache, then a
system data folder (/usr/share/datasets/NAME, where Debian's data packages go). Loading
functions import NumPy on first use, so importing this package stays light.
"""

from __future__ import annotations

from mldojo.datasets.errors import (
    DatasetCorrupt,
    DatasetError,
    DatasetMissing,
    DownloadFailed,
    IdxFormatError,
    RefusedPickle,
    UnknownDataset,
)
from mldojo.datasets.locate import find_dataset, locate, search

__all__ = [
    "DatasetCorrupt",
    "DatasetError",
    "DatasetMissing",
    "DownloadFailed",
    "IdxFormatError",
    "RefusedPickle",
    "UnknownDataset",
    "find_dataset",
    "load_cifar10",
    "load_fashion_mnist",
    "load_image_set",
    "load_mnist",
    "load_names",
    "load_text",
    "locate",
    "read_idx",
    "search",
]


def __getattr__(name: str):
    """NumPy-using names, imported on first use."""
    if name in {"load_mnist", "load_fashion_mnist", "load_image_set", "ImageSet"}:
        from mldojo.datasets import images

        return getattr(images, name)
    if name in {"load_cifar10", "CifarSet"}:
        from mldojo.datasets import cifar

        return getattr(cifar, name)
    if name in {"load_names", "load_text"}:
        from mldojo.datasets import text

        return getattr(text, name)
    if name == "read_idx":
        from mldojo.datasets.idx import read_idx

        return read_idx
    raise AttributeError(f"module 'mldojo.datasets' has no attribute {name!r}")
