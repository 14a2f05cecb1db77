"""The wire format between judge and learner: every supported value survives a round trip, and
anything else — unsafe dtypes, forged or broken frames — is refused with WireError, never run.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from mldojo.graders.engine import wire
from mldojo.graders.engine.proxy import _from_wire


def roundtrip(value, handle_of=None):
    return wire.decode(wire.encode(value, handle_of))


def same(got, want) -> bool:
    """Deep equality that also checks types, dtypes, shapes, NaN and the sign of zero."""
    if isinstance(want, np.ndarray):
        return (
            isinstance(got, np.ndarray)
            and got.dtype == want.dtype
            and got.shape == want.shape
            and np.array_equal(got, want, equal_nan=want.dtype.kind in "fc")
        )
    if isinstance(want, np.generic):
        return np.asarray(got).dtype == want.dtype and same(np.asarray(got), np.asarray(want))
    if isinstance(want, float):
        return type(got) is float and (math.isnan(want) and math.isnan(got) or (got == want and math.copysign(1, got) == math.copysign(1, want)))
    if isinstance(want, complex):
        return type(got) is complex and same(got.real, want.real) and same(got.imag, want.imag)
    if isinstance(want, (list, tuple)):
        return type(got) is type(want) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return type(got) is dict and list(got) == list(want) and all(same(got[k], want[k]) for k in want)
    return type(got) is type(want) and got == want


# -- round trips ------------------------------------------------------------------------------
PLAIN = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "negative": -17,
    "largest_exact_float_int": 2**53 - 1,
    "2**53": 2**53,
    "minus_2**53": -(2**53),
    "big": 2**100 + 1,
    "big_negative": -(3**70),
    "float": 1.5,
    "negative_zero": -0.0,
    "tiny": 5e-324,
    "huge": 1.7976931348623157e308,
    "nan": float("nan"),
    "inf": float("inf"),
    "minus_inf": float("-inf"),
    "complex": complex(1.5, -2.0),
    "complex_nan_inf": complex(float("nan"), float("inf")),
    "empty_str": "",
    "unicode": "héllo ✓ 𝔵 \x00 \n",
    "empty_list": [],
    "nested_list": [1, [2.0, [None, "three"]]],
    "empty_tuple": (),
    "tuple": (1, "a", None, (2,)),
    "empty_dict": {},
    "dict": {"b": 1, "a": [1, 2], "c": {"d": (3, 4.5)}},
    "dict_with_tag_like_keys": {"__tuple__": 1, "__ndarray__": "x", "__handle__": [2], "__dict__": {}},
    "list_of_tag_like_dicts": [{"__bigint__": "5"}, {"__complex__": [1, 2]}],
}


@pytest.mark.parametrize("name", PLAIN, ids=list(PLAIN))
def test_plain_values_round_trip(name):
    value = PLAIN[name]
    assert same(roundtrip(value), value), (roundtrip(value), value)


DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64", ">f8", "<i4", "complex64", "complex128"]
SHAPES = [pytest.param((), id="()"), (0,), (3,), (2, 3), (2, 0, 4), (2, 3, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_numpy_arrays_round_trip(dtype, shape):
    rng = np.random.default_rng(0)
    values = np.asarray(rng.standard_normal(shape) * 100)  # 0-d: an array, not a NumPy scalar
    array = np.asarray((np.abs(values) if np.dtype(dtype).kind == "u" else values).astype(dtype))
    if np.dtype(dtype).kind == "c":
        array = np.asarray(array + 1j * (array[::-1] if array.ndim else array), dtype=dtype)
    assert array.shape == shape and array.dtype == np.dtype(dtype)
    got = roundtrip(array)
    assert same(got, array)
    assert got.flags.writeable and got.flags.owndata, "the judge must get its own, writable copy"


def test_zero_dimensional_array_keeps_its_shape():
    assert roundtrip(np.array(2.5)).shape == ()


def test_non_contiguous_and_special_arrays_round_trip():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    for array in (base.T, base[::2, 1::3], np.asfortranarray(base), base[:, :0], np.array([np.nan, -0.0, np.inf])):
        assert same(roundtrip(array), np.ascontiguousarray(array))


def test_nan_payloads_and_extremes_survive_bit_for_bit():
    array = np.array([0.0, -0.0, np.inf, -np.inf, np.finfo(np.float64).tiny, 5e-324, np.nan])
    assert roundtrip(array).tobytes() == array.tobytes()


@pytest.mark.parametrize(
    "scalar",
    [np.float16(1.5), np.float32(-2.25), np.float64(3.125), np.int8(-7), np.int64(2**62), np.uint64(2**64 - 1),
     np.bool_(True), np.complex64(1 - 2j), np.complex128(3 + 4j)],
    ids=lambda s: type(s).__name__,
)
def test_numpy_scalars_round_trip_with_their_dtype(scalar):
    got = roundtrip(scalar)
    assert same(got, scalar), (got, scalar)
    if not isinstance(scalar, (float, complex)):  # float64/complex128 are float/complex subclasses
        assert type(got) is type(scalar)


def test_arrays_nested_in_containers():
    value = {"coef_": np.arange(3.0), "pair": (np.int32(4), [np.zeros((2, 2), np.float32)]), "n": 3}
    got = roundtrip(value)
    assert same(got["coef_"], value["coef_"]) and same(got["pair"][1][0], value["pair"][1][0])
    assert same(got["pair"][0], value["pair"][0]) and got["n"] == 3


TORCH_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
                torch.int16, torch.int8, torch.uint8, torch.bool, torch.complex64]


@pytest.mark.parametrize("dtype", TORCH_DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3), (2, 0, 5)], ids=str)
def test_torch_tensors_round_trip(dtype, shape):
    values = torch.arange(math.prod(shape), dtype=torch.float64).reshape(shape) * 1.5
    source = (values if dtype == torch.uint8 else values - 2).to(dtype)
    sent = wire.decode(wire.encode(source))
    assert isinstance(sent, wire.Tensor) and sent.dtype == str(dtype).removeprefix("torch.")
    got = _from_wire(sent, None, "t")
    assert got.dtype == dtype and got.shape == source.shape and torch.equal(got, source)


def test_bfloat16_survives_exactly():
    source = torch.tensor([1.0, -3.140625, 65280.0, 1e-3, float("inf")], dtype=torch.bfloat16)
    got = _from_wire(roundtrip(source), None, "t")
    assert got.dtype == torch.bfloat16 and torch.equal(got, source)


def test_torch_requires_grad_non_contiguous_and_nested():
    weight = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    value = {"w": weight, "view": weight.detach().T, "pair": (torch.tensor([1, 2]), 3)}
    got = _from_wire(roundtrip(value), None, "t")
    assert got["w"].requires_grad and torch.equal(got["w"].detach(), weight.detach())
    assert not got["view"].requires_grad and torch.equal(got["view"], weight.detach().T)
    assert torch.equal(got["pair"][0], torch.tensor([1, 2])) and got["pair"][1] == 3


def test_zero_dimensional_tensor_keeps_its_shape():
    got = _from_wire(roundtrip(torch.tensor(2.5, requires_grad=True)), None, "loss")
    assert got.shape == () and got.requires_grad


def test_handles_round_trip_and_stand_for_objects_that_are_not_data():
    assert roundtrip(wire.Handle(7, "class Foo")) == wire.Handle(7, "class Foo")
    kept = []

    def handle_of(obj):
        kept.append(obj)
        return wire.Handle(len(kept), type(obj).__name__)

    class Model:
        pass

    got = roundtrip({"model": Model(), "values": [1.0, {1, 2}], "bad_keys": {1: "x"}}, handle_of)
    assert got["model"] == wire.Handle(1, "Model")
    assert got["values"] == [1.0, wire.Handle(2, "set")]
    assert got["bad_keys"] == wire.Handle(3, "dict")


def test_frames_cross_a_real_pipe_even_when_larger_than_its_buffer():
    value = {"big": np.arange(300_000, dtype=np.float64), "tag": "end"}  # 2.4 MB, far past 64 KB
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=lambda: (wire.write_frame(write_fd, value), os.close(write_fd)))
    writer.start()
    with os.fdopen(read_fd, "rb") as pipe:
        (size,) = struct.unpack("<Q", pipe.read(8))
        got = wire.decode(pipe.read(size))
        assert pipe.read() == b""
    writer.join()
    assert same(got, value)


def test_plain_data_does_not_import_numpy_or_torch():
    code = (
        "import sys\n"
        "from mldojo.graders.engine import wire\n"
        "v = wire.decode(wire.encode({'a': [1, 2.5, None, 2**80, (1j,)]}))\n"
        "assert v == {'a': [1, 2.5, None, 2**80, (1j,)]}, v\n"
        "assert 'numpy' not in sys.modules and 'torch' not in sys.modules, 'imported a heavy library'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# -- refusals when encoding ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        np.array([1, "a"], dtype=object),
        np.array([None, None]),
        np.array(["text"]),
        np.array([b"bytes"]),
        np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        {1: "non-string key"},
        {1, 2},
        b"bytes",
        object(),
        print,
        [1, 2, object()],
    ],
    ids=lambda v: type(v).__name__ + "/" + str(getattr(v, "dtype", "")),
)
def test_values_that_are_not_data_are_refused_without_a_handle_maker(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)


def test_an_object_array_becomes_a_handle_never_data():
    got = roundtrip(np.array([1, "a"], dtype=object), lambda obj: wire.Handle(1, "ndarray"))
    assert got == wire.Handle(1, "ndarray")


def test_a_huge_int_round_trips_or_is_refused():
    value = 10**5000
    try:
        assert roundtrip(value) == value
    except wire.WireError:
        pass


# -- refusals when decoding ---------------------------------------------------------------------
def frame(header, *buffers: bytes) -> bytes:
    """A hand-made frame: header is a JSON-able tree or raw bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    out = struct.pack("<I", len(raw)) + raw
    for buf in buffers:
        out += struct.pack("<Q", len(buf)) + buf
    return out


F8x2 = b"\x00" * 16


def ndarray(index=0, dtype="<f8", shape=(2,), **extra):
    tree = {"__ndarray__": index, "dtype": dtype, "shape": list(shape) if isinstance(shape, tuple) else shape}
    tree.update(extra)
    return tree


GOOD = frame(ndarray(), F8x2)

REFUSED = {
    # truncated or broken framing
    "empty": b"",
    "three_bytes": b"\x01\x00\x00",
    "header_longer_than_frame": struct.pack("<I", 100) + b"{}",
    "truncated_header": GOOD[:10],
    "truncated_buffer_length": GOOD[: len(GOOD) - 16 - 4],
    "truncated_buffer": GOOD[:-1],
    "buffer_length_huge": frame(ndarray())[:] + struct.pack("<Q", 2**63) + b"\x00" * 16,
    # headers that are not JSON
    "not_json": frame(b"print('hello')"),
    "not_utf8": frame(b"\xff\xfe\xfd"),
    "pickle": frame(pickle.dumps({"a": 1})),
    "half_json": frame(b'{"__ndarray__": 0, "dty'),
    # unsafe dtypes
    "object_dtype": frame(ndarray(dtype="|O"), F8x2),
    "object_dtype_alias": frame(ndarray(dtype="object"), F8x2),
    "unicode_dtype": frame(ndarray(dtype="<U2"), F8x2),
    "bytes_dtype": frame(ndarray(dtype="|S8"), F8x2),
    "void_dtype": frame(ndarray(dtype="|V8"), F8x2),
    "structured_dtype": frame(ndarray(dtype="f8,f8", shape=(1,)), F8x2),
    "structured_with_object": frame(ndarray(dtype="f8,O", shape=(1,)), F8x2),
    "datetime_dtype": frame(ndarray(dtype="<M8[s]"), F8x2),
    "nonsense_dtype": frame(ndarray(dtype="no such dtype"), F8x2),
    "dtype_list": frame(ndarray(dtype=["<f8"]), F8x2),
    "scalar_object_dtype": frame({"__npscalar__": 0, "dtype": "|O"}, b"\x00" * 8),
    # buffer indexes
    "index_negative": frame(ndarray(index=-1), F8x2),
    "index_past_end": frame(ndarray(index=1), F8x2),
    "index_no_buffers": frame(ndarray(index=0)),
    "index_string": frame(ndarray(index="0"), F8x2),
    "index_float": frame(ndarray(index=0.0), F8x2),
    "index_null": frame(ndarray(index=None), F8x2),
    # shape and buffer length disagree
    "buffer_too_short": frame(ndarray(shape=(3,)), F8x2),
    "buffer_too_long": frame(ndarray(shape=(1,)), F8x2),
    "shape_zero_buffer_full": frame(ndarray(shape=(0,)), F8x2),
    "shape_negative": frame(ndarray(shape=(-2,)), F8x2),
    # unknown tags
    "unknown_tag": frame({"__reduce__": ["os.system", ["echo pwned"]]}),
    "unknown_nested_tag": frame([1, {"__tuple__": [{"__class__": "x"}]}]),
}

# Well-formed JSON whose contents are malformed: each must still be a WireError, since the
# judge catches only that (a learner can write such frames at import).
MALFORMED_CONTENTS = {
    "shape_string": frame(ndarray(shape="ab"), F8x2),
    "shape_number": frame(ndarray(shape=2), F8x2),
    "shape_two_unknowns": frame(ndarray(shape=(-1, -2)), F8x2),
    "shape_zero_and_negative": frame(ndarray(shape=(0, -5)), b""),
    "shape_missing": frame({"__ndarray__": 0, "dtype": "<f8"}, F8x2),
    "dtype_missing": frame({"__ndarray__": 0, "shape": [2]}, F8x2),
    "scalar_empty_buffer": frame({"__npscalar__": 0, "dtype": "<f8"}, b""),
    "scalar_wrong_size": frame({"__npscalar__": 0, "dtype": "<f8"}, b"\x00" * 3),
    "complex_not_a_pair": frame({"__complex__": [1]}),
    "complex_strings": frame({"__complex__": "ab"}),
    "bigint_not_digits": frame({"__bigint__": "12; import os"}),
    "bigint_too_many_digits": frame({"__bigint__": "9" * 5000}),
    "handle_not_a_number": frame({"__handle__": "x"}),
    "dict_not_a_dict": frame({"__dict__": [1, 2]}),
    "tuple_not_a_list": frame({"__tuple__": 5}),
    "deeply_nested_header": frame(b"[" * 100_000 + b"]" * 100_000),
    "tensor_not_an_array": frame({"__tensor__": "abc", "dtype": "float32"}),
    "tensor_unknown_dtype": frame({"__tensor__": ndarray(shape=(1,), dtype="<f4"), "dtype": "load"}, b"\x00" * 4),
}

CASES = {**REFUSED, **MALFORMED_CONTENTS}


def test_the_good_frame_used_below_is_good():
    assert same(wire.decode(GOOD), np.zeros(2))


@pytest.mark.parametrize("raw", CASES.values(), ids=list(CASES))
def test_broken_or_unsafe_frames_are_refused_with_wire_error(raw):
    with pytest.raises(wire.WireError):
        wire.decode(raw)


def test_a_pickle_payload_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Exploit())
    for raw in (payload, frame(payload), frame({"__ndarray__": 0, "dtype": "<f8", "shape": [1]}, payload)):
        with pytest.raises(wire.WireError):
            wire.decode(raw)
    assert not marker.exists(), "decoding ran code from the frame"


def test_nothing_in_a_header_is_evaluated(tmp_path):
    """Strings that look like code stay strings."""
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    got = wire.decode(frame({"__dict__": {"x": code, "__import__": [code]}}))
    assert got == {"x": code, "__import__": [code]}
    assert not marker.exists()


def test_identifier_strings_arrive_interned_like_the_literals_in_a_learners_file():
    # A grader's method="gd" must be the object a literal "gd" is in the learner's code.
    from mldojo.graders.engine.wire import decode, encode

    sent = "".join(["g", "d"])  # built at run time: not interned here
    assert decode(encode(sent)) is "gd"  # noqa: F632 - identity is the point
    assert decode(encode({"method": sent}))["method"] is "gd"  # noqa: F632
    assert decode(encode("not an identifier")) == "not an identifier"
