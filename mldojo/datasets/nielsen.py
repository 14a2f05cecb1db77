"""Nielsen's mnist.pkl.gz through a restricted unpickler: NumPy arrays and tuples, nothing else.

A pickle can name any importable callable and make the loader call it (os.system, ...), so
`find_class` allows only the few NumPy names an array needs and refuses everything else
before anything runs. Tuples, lists, strings and numbers are pickle opcodes, not classes.
"""

from __future__ import annotations

import gzip
import io
import pickle
import zlib
from pathlib import Path

import numpy as np

from mldojo.datasets.errors import DatasetCorrupt, RefusedPickle


def _allowed() -> dict[tuple[str, str], object]:
    """(module, name) -> the object; both spellings of NumPy's core module map to the real one."""
    try:
        from numpy._core import multiarray, numeric  # NumPy >= 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core import multiarray, numeric
    allowed: dict[tuple[str, str], object] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct  # protocols 0-4
        allowed[(f"{package}.multiarray", "scalar")] = multiarray.scalar  # 0-d values such as a stored float
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer  # protocol 5
    allowed[("_codecs", "encode")] = _latin1_bytes
    for module in ("builtins", "__builtin__"):  # protocol 0 spells empty bytes as bytes()
        allowed[(module, "bytes")] = bytes
    return allowed


def _latin1_bytes(text: str, encoding: str = "utf-8") -> bytes:
    """How Python 3 pickles bytes under protocols 0-2 (`_codecs.encode(text, 'latin1')`), and nothing more."""
    if encoding != "latin1" or not isinstance(text, str):
        raise RefusedPickle(f"the pickle calls _codecs.encode with {encoding!r}; only the latin1 form of stored bytes is allowed")
    return text.encode("latin1")


class ArraysOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds NumPy arrays and refuses every other class or function."""

    _ALLOWED = _allowed()

    def find_class(self, module: str, name: str):
        """Only NumPy's array-building names; anything else raises RefusedPickle."""
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise RefusedPickle(
                f"the pickle asks for {module}.{name}, which is not part of a NumPy array; "
                "mldojo refuses to load it (a pickle can run code). Use the published mnist.pkl.gz "
                "or the IDX files instead."
            ) from None


def load_arrays_pickle(data: bytes):
    """Unpickle bytes with ArraysOnlyUnpickler (latin1 so Python 2 pickles of arrays load too)."""
    return ArraysOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def read_nielsen(path: str | Path) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) from mnist.pkl.gz, checked."""
    path = Path(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetCorrupt(f"{path}: cannot be read or decompressed ({exc}); copy or download it again") from exc
    try:
        parts = load_arrays_pickle(data)
    except RefusedPickle as exc:
        raise RefusedPickle(f"{path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise DatasetCorrupt(f"{path}: not a readable pickle ({type(exc).__name__}: {exc}); it is damaged or not Nielsen's mnist.pkl.gz") from exc
    return _check_structure(path, parts)


def _check_structure(path: Path, parts) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Three (images, labels) pairs of arrays, else DatasetCorrupt naming what differs."""
    shape_ok = isinstance(parts, tuple) and len(parts) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in parts)
    if not shape_ok or not all(isinstance(a, np.ndarray) for pair in parts for a in pair):
        raise DatasetCorrupt(f"{path}: expected ((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) of arrays, got {_summary(parts)}")
    return parts


def _summary(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_summary(v) for v in value[:4])
        return f"({inner}{', ...' if len(value) > 4 else ''})"
    return type(value).__name__
