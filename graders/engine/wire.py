"""The message format between the judge and the learner process: data only, never code.

Pickle would let the learner's process hand the judge an object whose unpickling runs
code in the judge, breaking the first trust rule. This codec accepts only plain values:
None, bools, ints, floats, strings, lists, tuples, dicts with string keys, NumPy arrays and
scalars of numeric dtypes, torch tensors (sent as arrays), and opaque handles to objects
that stay in the learner process.

A frame is: 4-byte header length, a JSON header, then for each binary buffer an 8-byte
length and its bytes.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from dataclasses import dataclass
from typing import Any

MAX_FRAME_BYTES = 1 << 30  # a learner returning more than 1 GiB is refused, not buffered
JOIN_BELOW_BYTES = 1 << 20  # frames up to this size go out in one write (see framed)
_NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex
TORCH_DTYPES = frozenset(
    "float64 float32 float16 bfloat16 int64 int32 int16 int8 uint8 bool complex64 complex128".split()
)


class WireError(Exception):
    """A message that does not follow the format (or is too large)."""


@dataclass(frozen=True)
class Handle:
    """An object that lives in the learner process, named by a number."""

    id: int
    type_name: str


@dataclass(frozen=True)
class Tensor:
    """A torch tensor in transit: its values as a NumPy array plus torch's dtype name."""

    array: Any
    dtype: str
    requires_grad: bool = False


def encode(value: Any, handle_of=None) -> bytes:
    """Serialise a value into one frame; `handle_of(obj)` is called for objects that are not data."""
    buffers: list[bytes] = []
    header = json.dumps(_to_tree(value, buffers, handle_of), allow_nan=True).encode()
    parts = [struct.pack("<I", len(header)), header]
    for buf in buffers:
        parts.append(struct.pack("<Q", len(buf)))
        parts.append(buf)
    return b"".join(parts)


def decode(frame: bytes) -> Any:
    """Rebuild a value from a frame produced by `encode`."""
    if len(frame) < 4:
        raise WireError("truncated frame")
    (header_len,) = struct.unpack_from("<I", frame, 0)
    end = 4 + header_len
    if end > len(frame):
        raise WireError("truncated header")
    try:
        tree = json.loads(frame[4:end])
    except (ValueError, RecursionError) as exc:
        raise WireError(f"bad header: {exc}") from None
    buffers = []
    pos = end
    while pos < len(frame):
        if pos + 8 > len(frame):
            raise WireError("truncated buffer length")
        (size,) = struct.unpack_from("<Q", frame, pos)
        pos += 8
        if pos + size > len(frame):
            raise WireError("truncated buffer")
        buffers.append(frame[pos : pos + size])
        pos += size
    try:
        return _from_tree(tree, buffers)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OverflowError) as exc:
        # A well-formed JSON header with the wrong contents (the learner can write frames).
        raise WireError(f"malformed value ({type(exc).__name__}: {exc})") from None


def write_frame(fd: int, value: Any, handle_of=None) -> None:
    """Encode `value` and write it to a file descriptor, length first."""
    payload = encode(value, handle_of)
    for part in framed(payload):
        view = memoryview(part)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def framed(payload: bytes) -> tuple[bytes, ...]:
    """The pieces to write for one frame: length and payload in one write when small."""
    head = struct.pack("<Q", len(payload))
    if len(payload) <= JOIN_BELOW_BYTES:
        # One write, one wake-up: written apart, the reader wakes for the 8-byte length, may take
        # the CPU from the writer (2 cores, a busy machine) and sleeps again until the payload.
        return (head + payload,)
    # A large payload (MNIST's training images) is not copied once more just to join it.
    return (head, payload)


def _to_tree(value: Any, buffers: list[bytes], handle_of) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        # hex, not str: CPython refuses str() of ints over 4300 digits.
        return value if abs(value) < 2**53 else {"__bigint__": hex(value)}
    if isinstance(value, float):
        return value
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, (list, tuple)):
        items = [_to_tree(v, buffers, handle_of) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _to_tree(v, buffers, handle_of) for k, v in value.items()}}
    if isinstance(value, Handle):
        return {"__handle__": value.id, "type": value.type_name}
    if isinstance(value, Tensor):
        return {
            "__tensor__": _to_tree(value.array, buffers, handle_of),
            "dtype": value.dtype,
            "requires_grad": value.requires_grad,
        }
    array_tree = _numpy_to_tree(value, buffers)
    if array_tree is not None:
        return array_tree
    tensor_tree = _torch_to_tree(value, buffers, handle_of)
    if tensor_tree is not None:
        return tensor_tree
    if handle_of is not None:
        return _to_tree(handle_of(value), buffers, None)
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _numpy_to_tree(value: Any, buffers: list[bytes]) -> Any:
    np = _loaded("numpy")
    if np is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMERIC_KINDS:
        array = np.asarray(value, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        buffers.append(array.tobytes())
        return {"__ndarray__": len(buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
        buffers.append(value.tobytes())
        return {"__npscalar__": len(buffers) - 1, "dtype": value.dtype.str}
    return None


def _torch_to_tree(value: Any, buffers: list[bytes], handle_of) -> Any:
    torch = _loaded("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    # bfloat16 has no NumPy dtype: it travels as float32 and is cast back on arrival.
    detached = value.detach().to("cpu")
    dtype = str(detached.dtype).removeprefix("torch.")
    if detached.dtype == torch.bfloat16:
        detached = detached.float()
    return {
        "__tensor__": _to_tree(detached.numpy(), buffers, handle_of),
        "dtype": dtype,
        "requires_grad": bool(value.requires_grad),
    }


def _from_tree(tree: Any, buffers: list[bytes]) -> Any:
    if isinstance(tree, str) and len(tree) <= 64 and tree.isidentifier():
        # Interned as CPython interns such string literals: `method="gd"` sent by a grader is then
        # the very object a literal "gd" in the learner's file is, as when they call their own
        # code (so `self.method is "gd"` behaves the same under the grader and at home).
        return sys.intern(tree)
    if isinstance(tree, list):
        return [_from_tree(v, buffers) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tuple__" in tree:
        return tuple(_from_tree(v, buffers) for v in tree["__tuple__"])
    if "__dict__" in tree:
        return {str(k): _from_tree(v, buffers) for k, v in tree["__dict__"].items()}
    if "__bigint__" in tree:
        return int(str(tree["__bigint__"]), 0)
    if "__complex__" in tree:
        real, imag = tree["__complex__"]
        return complex(real, imag)
    if "__handle__" in tree:
        return Handle(int(tree["__handle__"]), str(tree.get("type", "object")))
    if "__ndarray__" in tree:
        return _array_from(tree, buffers)
    if "__npscalar__" in tree:
        np = _numpy()
        dtype = _numeric_dtype(tree["dtype"])
        return np.frombuffer(_buffer(buffers, tree["__npscalar__"]), dtype=dtype)[0]
    if "__tensor__" in tree:
        array = _from_tree(tree["__tensor__"], buffers)
        dtype = str(tree["dtype"])
        if dtype not in TORCH_DTYPES or type(array).__name__ != "ndarray":
            raise WireError(f"bad tensor (dtype {dtype!r})")
        return Tensor(array, dtype, bool(tree.get("requires_grad")))
    raise WireError(f"unknown tag in {sorted(tree)[:3]}")


def _array_from(tree: dict, buffers: list[bytes]):
    np = _numpy()
    dtype = _numeric_dtype(tree["dtype"])
    shape = tuple(int(n) for n in tree["shape"])
    data = _buffer(buffers, tree["__ndarray__"])
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(data):
        raise WireError("array buffer does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _numeric_dtype(spec: Any):
    np = _numpy()
    try:
        dtype = np.dtype(str(spec))
    except TypeError:
        raise WireError(f"bad dtype {spec!r}") from None
    if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject:
        raise WireError(f"dtype {spec!r} is not numeric")
    return dtype


def _buffer(buffers: list[bytes], index: Any) -> bytes:
    if not isinstance(index, int) or not 0 <= index < len(buffers):
        raise WireError("buffer index out of range")
    return buffers[index]


def _loaded(name: str):
    # Only look at libraries already imported: sending plain data must not import numpy/torch.
    import sys

    return sys.modules.get(name)


def _numpy():
    import numpy

    return numpy
