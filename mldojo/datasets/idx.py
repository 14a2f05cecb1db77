"""Reader for IDX files (the MNIST format): big-endian header, then the raw array; gzip'd or plain."""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from mldojo.datasets.errors import IdxFormatError

# The third byte of the magic number names the element type (all big-endian on disk).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
DTYPE_CODES = {dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype: code for code, dtype in IDX_DTYPES.items()}


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file, in native byte order; IdxFormatError says what is wrong."""
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IdxFormatError(f"{path}: only {len(data)} bytes, too short for an IDX header (truncated download?)")
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES:
        raise IdxFormatError(
            f"{path}: not an IDX file (magic number {data[:4].hex()}; an IDX file starts with 0000 then a type code "
            f"{', '.join(f'{c:02x}' for c in IDX_DTYPES)} and the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError(f"{path}: header promises {ndim} dimensions but the file ends after {len(data)} bytes (truncated)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a bogus header cannot overflow
    body = len(data) - header
    if body < expected:
        raise IdxFormatError(f"{path}: shape {shape} needs {expected} bytes of data but only {body} are there (truncated file)")
    if body > expected:
        raise IdxFormatError(f"{path}: {body - expected} unexpected bytes after the {shape} array (not a single IDX array)")
    array = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it starts with gzip's magic number."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        raise IdxFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IdxFormatError(f"{path}: the gzip stream is damaged or cut short ({exc}); fetch or copy the file again") from exc


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write `array` as an IDX file (gzip'd when the name ends in .gz); for tests and tools."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in DTYPE_CODES:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use one of {sorted(str(d) for d in DTYPE_CODES)}")
    code = DTYPE_CODES[native]
    payload = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(IDX_DTYPES[code]).tobytes()
    compress = path.name.endswith(".gz") if compress is None else compress
    path.write_bytes(gzip.compress(payload, mtime=0) if compress else payload)
    return path
