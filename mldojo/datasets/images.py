"""MNIST-shaped image sets as float32 arrays, decoded once and cached as .npy for fast repeats."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mldojo.datasets import paths
from mldojo.datasets.checksums import MISMATCH, VERIFIED, check_found, overall_state
from mldojo.datasets.errors import DatasetCorrupt
from mldojo.datasets.idx import read_idx
from mldojo.datasets.locate import Found, locate
from mldojo.datasets.nielsen import read_nielsen

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
DECODER_VERSION = "3"  # 3: the cache records each array's sha256 (CHECKSUMS)
CHECKSUMS = "sha256.json"  # bump when decoding changes, so old cached arrays are not reused
EXPECTED_ROWS = {"train_images": 60000, "train_labels": 60000, "test_images": 10000, "test_labels": 10000}


@dataclass(frozen=True)
class ImageSet:
    """An MNIST-shaped data set: flattened 28x28 images in [0, 1] and integer labels 0-9."""

    train_images: np.ndarray  # float32 (60000, 784)
    train_labels: np.ndarray  # int64 (60000,)
    test_images: np.ndarray  # float32 (10000, 784)
    test_labels: np.ndarray  # int64 (10000,)
    source: str  # where it was loaded from, for messages


def load_mnist() -> ImageSet:
    """MNIST from the first copy found (registered path, MLDOJO_DATA_DIR, download cache, system data folder); DatasetMissing if none."""
    return load_image_set("mnist")


def load_fashion_mnist() -> ImageSet:
    """Fashion-MNIST, found and returned the way load_mnist does it."""
    return load_image_set("fashion-mnist")


def load_image_set(name: str) -> ImageSet:
    """An MNIST-shaped data set by name, decoded from its files or from the decoded cache."""
    return load_found(locate(name))


def load_found(found: Found) -> ImageSet:
    """Check, decode (or read from the decoded cache) and validate one located copy."""
    name = found.spec.name
    checks = check_found(found)
    bad = [check for check in checks.values() if check.state == MISMATCH]
    if bad:
        lines = "\n".join(f"  {check.path}: {check.detail}" for check in bad)
        raise DatasetCorrupt(
            f"the {name} copy at {found.describe()} fails its checksum:\n{lines}\n"
            f"Fetch a fresh copy (grade data fetch {name}) or register a good one (grade data add {name} PATH)."
        )
    key = _cache_key(found, {role: check.digests["sha256"] for role, check in checks.items()})
    source = found.describe()
    # A copy whose files carry the published checksums must decode to the published labels.
    published = found.spec.label_sha256 if overall_state(checks) == VERIFIED else ()
    arrays = _read_cache(key)
    if arrays is None or not _shapes_ok(arrays) or _label_problem(published, arrays):
        arrays = decode(found)  # a missing, damaged or rewritten cache is rebuilt, never used
        validate(arrays, source)  # the full check runs once, before anything is cached
        problem = _label_problem(published, arrays)
        if problem:
            raise DatasetCorrupt(f"{source}: {problem}. Fetch a fresh copy (grade data fetch {name}) or register a good one.")
        _write_cache(key, arrays)
    return ImageSet(**arrays, source=source)


def _label_problem(published: tuple[tuple[str, str], ...], arrays: dict[str, np.ndarray]) -> str:
    """'' when the labels are the published ones (where the registry knows them)."""
    for role, digest in published:
        if _digest(arrays[role]) != digest:
            return f"{role} are not the published labels (sha256 differs)"
    return ""


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _shapes_ok(arrays: dict[str, np.ndarray]) -> bool:
    """The cheap check for cached arrays (they were fully validated before being written)."""
    for role in ROLES:
        images = role.endswith("images")
        shape = (EXPECTED_ROWS[role], 784) if images else (EXPECTED_ROWS[role],)
        if arrays[role].shape != shape or arrays[role].dtype != (np.float32 if images else np.int64):
            return False
    return True


def decode(found: Found) -> dict[str, np.ndarray]:
    """{role: array} from IDX files or Nielsen's pickle, as float32 images in [0, 1] and int64 labels."""
    if found.layout.kind == "pickle":
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = read_nielsen(found.files["pickle"][0])
        # Nielsen split the original 60k training images into 50k train + 10k validation, in order.
        return {
            "train_images": np.concatenate([train_x, valid_x]).astype(np.float32, copy=False),
            "train_labels": np.concatenate([train_y, valid_y]).astype(np.int64, copy=False),
            "test_images": np.asarray(test_x, dtype=np.float32),
            "test_labels": np.asarray(test_y, dtype=np.int64),
        }
    raw = {role: read_idx(found.files[role][0]) for role in ROLES}
    for role in ("train_images", "test_images"):
        if raw[role].dtype != np.uint8 or raw[role].ndim != 3:
            raise DatasetCorrupt(f"{found.files[role][0]}: expected uint8 images (N, 28, 28), got {raw[role].dtype} {raw[role].shape}")
    return {
        "train_images": (raw["train_images"].reshape(len(raw["train_images"]), -1) / np.float32(255)).astype(np.float32),
        "train_labels": raw["train_labels"].astype(np.int64),
        "test_images": (raw["test_images"].reshape(len(raw["test_images"]), -1) / np.float32(255)).astype(np.float32),
        "test_labels": raw["test_labels"].astype(np.int64),
    }


def validate(arrays: dict[str, np.ndarray], source: str) -> None:
    """Shapes, dtypes and ranges of a decoded set; DatasetCorrupt naming the first problem."""
    for role in ROLES:
        array, rows = arrays[role], EXPECTED_ROWS[role]
        images = role.endswith("images")
        shape = (rows, 784) if images else (rows,)
        dtype = np.float32 if images else np.int64
        if array.shape != shape or array.dtype != dtype:
            raise DatasetCorrupt(f"{source}: {role} should be {np.dtype(dtype)} {shape}, got {array.dtype} {array.shape}")
        low, high = (0.0, 1.0) if images else (0, 9)
        if not (np.isfinite(array).all() if images else True) or array.min() < low or array.max() > high:
            raise DatasetCorrupt(f"{source}: {role} has values outside [{low}, {high}] (min {array.min()}, max {array.max()})")
    for split in ("train", "test"):
        classes = np.unique(arrays[f"{split}_labels"])
        if len(classes) != 10:
            raise DatasetCorrupt(f"{source}: {split}_labels hold only the classes {classes.tolist()}, not all ten")


def _cache_key(found: Found, sha256: dict[str, str]) -> str:
    """A name for the decoded arrays that changes whenever a source file or the decoder changes."""
    parts = [found.spec.name, found.layout.kind, DECODER_VERSION, *(f"{role}={sha256[role]}" for role in sorted(sha256))]
    return f"{found.spec.name}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:32]}"


def _read_cache(key: str) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when absent, unreadable, or not what was written (each stored
    array's sha256 must match the record written beside it; then they are decoded again)."""
    folder = paths.decoded_dir() / key
    try:
        recorded = json.loads((folder / CHECKSUMS).read_text())
        arrays = {}
        for role in ROLES:
            stored = np.load(folder / f"{role}.npy", allow_pickle=False)
            if recorded.get(role) != _digest(stored):
                return None
            scale = _SCALES.get(folder.joinpath(f"{role}.scale").read_text().strip()) if stored.dtype == np.uint8 else None
            if stored.dtype == np.uint8 and scale is None:
                return None
            arrays[role] = _expand(stored, scale) if scale else stored
        return arrays
    except (OSError, ValueError, AttributeError):
        return None


# Pixels stored as uint8 k with the float being k/scale: 255 for IDX-decoded images, 256 for
# Nielsen's pickle. A quarter of the disk space of float32, and expanded exactly.
_SCALES = {"255": np.float32(255), "256": np.float32(256)}


def _expand(stored: np.ndarray, scale: np.float32) -> np.ndarray:
    expanded = stored.astype(np.float32)
    expanded /= scale  # in place: one float32 array, not two
    return expanded


def _compact(images: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(uint8 array, scale name) when the float32 images are exactly k/scale, else (images, None)."""
    for name, scale in _SCALES.items():
        levels = np.rint(images * scale)
        if levels.max() <= 255 and np.array_equal(_expand(levels.astype(np.uint8), scale), images):
            return levels.astype(np.uint8), name
    return images, None


def _write_cache(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Save the arrays in a temporary folder, then rename it into place; best effort (a read-only cache is fine)."""
    final = paths.decoded_dir() / key
    temp = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{key}."))
        digests = {}
        for role in ROLES:
            stored, scale = _compact(arrays[role]) if role.endswith("images") else (arrays[role], None)
            np.save(temp / f"{role}.npy", stored, allow_pickle=False)
            digests[role] = _digest(stored)
            if scale:
                (temp / f"{role}.scale").write_text(scale)
        (temp / CHECKSUMS).write_text(json.dumps(digests))
        if final.exists():  # a damaged or concurrent copy: replace it
            shutil.rmtree(final, ignore_errors=True)
        os.replace(temp, final)
        temp = None
    except OSError:
        pass
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
