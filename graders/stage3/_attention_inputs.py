"""Hypothesis strategies for stage3/attention: shapes and flags first, then the values.

Values lie on a grid of quarters in [-1, 1], so q @ k^T is exact even in float32 and a
correct solution agrees with torch to far below the tolerances. They come from a seed the
strategy draws: never degenerate (no all-zero weights that make two mistakes look alike),
and a failure shrinks by its shapes and flags only, in a few steps.

Masks never hide every key of a query: torch's kernels disagree with each other on such
rows (NaN or 0), so the grader does not ask about them.

The structural cases (every mask kind and shape, batch and heads both >= 2 with a mask
that differs along both, L != S either way, key_padding_mask, 3-D attn_mask, need_weights,
average_attn_weights, batch_first, bias) are fixed examples tried on every grading:
SDPA_EXAMPLES and MHA_EXAMPLES below.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit.strategies import grid_arrays

MASK_KINDS = ("none", "bool", "float", "causal")


@dataclass
class AttentionProblem:
    """Inputs of scaled_dot_product_attention(q, k, v, attn_mask, is_causal)."""

    q: np.ndarray  # (..., L, E)
    k: np.ndarray  # (..., S, E)
    v: np.ndarray  # (..., S, Ev)
    attn_mask: np.ndarray | None = None  # bool (True = may attend) or float, broadcastable to (..., L, S)
    is_causal: bool = False
    dtype: str = "float64"

    @property
    def call(self) -> str:
        """The call, as the learner would write it."""
        mask = "None" if self.attn_mask is None else f"attn_mask ({self.attn_mask.dtype}, shape {self.attn_mask.shape})"
        return f"scaled_dot_product_attention(q, k, v, attn_mask={mask}, is_causal={self.is_causal}) in {self.dtype}"


@dataclass
class MHAProblem:
    """A MultiHeadAttention(embed_dim, num_heads, bias, batch_first) with drawn weights, and a forward call."""

    embed_dim: int
    num_heads: int
    bias: bool
    batch_first: bool
    query: np.ndarray  # (L, N, E), or (N, L, E) with batch_first
    key: np.ndarray  # (S, N, E)
    value: np.ndarray
    key_padding_mask: np.ndarray | None = None  # (N, S): bool True = ignore, or floats
    attn_mask: np.ndarray | None = None  # (L, S) or (N*H, L, S): bool True = may NOT attend, or floats
    need_weights: bool = True
    average_attn_weights: bool = True
    dtype: str = "float64"
    state: dict = field(default_factory=dict)  # the state dict loaded into both modules

    def describe_for_learner(self) -> dict:
        """The counterexample: the call, the inputs, the masks, then the loaded weights."""
        shown = {"call": _Text(self.call), "query": self.query, "key": self.key, "value": self.value}
        shown.update({name: getattr(self, name) for name in ("key_padding_mask", "attn_mask") if getattr(self, name) is not None})
        shown.update(self.state)
        return shown

    @property
    def config(self) -> dict:
        """The constructor's arguments."""
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads, "bias": self.bias, "batch_first": self.batch_first}

    @property
    def options(self) -> dict:
        """The forward call's keyword arguments."""
        return {"key_padding_mask": self.key_padding_mask, "attn_mask": self.attn_mask,
                "need_weights": self.need_weights, "average_attn_weights": self.average_attn_weights}

    @property
    def batch(self) -> int:
        """N."""
        return self.query.shape[0 if self.batch_first else 1]

    @property
    def call(self) -> str:
        """The construction and the call, as the learner would write them."""
        masks = "".join(f", {name}=… {getattr(self, name).shape}" for name in ("key_padding_mask", "attn_mask")
                        if getattr(self, name) is not None)
        return (f"MultiHeadAttention({self.embed_dim}, {self.num_heads}, bias={self.bias}, batch_first={self.batch_first})"
                f"(query, key, value{masks}, need_weights={self.need_weights}, "
                f"average_attn_weights={self.average_attn_weights}) in {self.dtype}")


class _Text(str):
    """Text that a counterexample prints as is, without quotes."""

    def __repr__(self) -> str:
        return str(self)


def values(shape) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of `shape` on the grid of quarters in [-1, 1]."""
    return grid_arrays(shape, -1.0, 1.0, 0.25)


# -- values from a seed ---------------------------------------------------------------------------
def quarters(rng, shape) -> np.ndarray:
    """Float64 values on the grid of quarters in [-1, 1]."""
    return rng.integers(-4, 5, size=shape) / 4.0


def float_mask(rng, shape) -> np.ndarray:
    """An additive mask: halves in [-2, 2]."""
    return rng.integers(-4, 5, size=shape) / 2.0


def keep_mask(rng, shape) -> np.ndarray:
    """A bool mask (True = may attend) in which every row (last axis) keeps at least one entry."""
    mask = rng.random(shape) < 0.6
    empty = ~mask.any(axis=-1)
    columns = rng.integers(0, shape[-1], size=empty.shape)
    mask[empty, columns[empty]] = True
    return mask


def seed_of(*arrays) -> int:
    """A seed made from some numbers (for second inputs that depend on the first)."""
    return zlib.crc32(repr([np.asarray(a).tolist() for a in arrays if a is not None]).encode())


# -- scaled_dot_product_attention ---------------------------------------------------------------------
def sdpa_problem(seed: int, batch=(), L=3, S=4, E=5, Ev=2, kind="none", mask_shape=None, q_batch=None, kv_batch=None,
                 dtype="float64") -> AttentionProblem:
    """An AttentionProblem from a seed: q (q_batch or batch, L, E), k and v (kv_batch or batch, S, ·), and a mask
    of `kind` ('none', 'bool', 'float', 'causal') of shape `mask_shape` (default (L, S))."""
    rng = np.random.default_rng(seed)
    qb = tuple(batch if q_batch is None else q_batch)
    kb = tuple(batch if kv_batch is None else kv_batch)
    q, k, v = quarters(rng, qb + (L, E)), quarters(rng, kb + (S, E)), quarters(rng, kb + (S, Ev))
    mask = None
    if kind in ("bool", "float"):
        shape = tuple(mask_shape or (L, S))
        mask = keep_mask(rng, shape) if kind == "bool" else float_mask(rng, shape)
    return AttentionProblem(q, k, v, mask, kind == "causal", dtype)


def mask_shapes(batch: tuple, L: int, S: int) -> list[tuple]:
    """Shapes an attn_mask may have for q (*batch, L, E): (L, S), one row for every query (1, S),
    the full batch, the batch with one axis broadcast, the batch without its leading axis."""
    shapes = [(L, S), (1, S), batch + (L, S)]
    for axis in range(len(batch)):
        shapes.append(batch[:axis] + (1,) + batch[axis + 1:] + (L, S))
    if batch:
        shapes.append(batch[1:] + (L, S))
    if len(batch) == 2:
        shapes.append((batch[0], 1, 1, S))  # one key-padding row per batch item
    return list(dict.fromkeys(shapes))


@st.composite
def attention_problems(draw, mask: str | None = None, dtype: str = "float64", max_side: int = 5) -> AttentionProblem:
    """q, k, v with 0-2 batch axes, L and S drawn separately, and a mask of the given kind
    ('none', 'bool', 'float', 'causal'; None draws one) of any broadcastable shape."""
    kind = mask or draw(st.sampled_from(MASK_KINDS))
    # Small on purpose: every bug here shows on a few positions, and a failure then shrinks fast.
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    L, S = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    E, Ev = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from(mask_shapes(batch, L, S))) if kind in ("bool", "float") else None
    return sdpa_problem(draw(st.integers(0, 2**32 - 1)), batch, L, S, E, Ev, kind, shape, dtype=dtype)


def second_sdpa_problem(p: AttentionProblem) -> AttentionProblem:
    """The same shapes, mask kind and dtype with other values (and another mask pattern)."""
    rng = np.random.default_rng(seed_of(p.q, p.k, p.v, p.attn_mask) + 1)
    q, k, v = quarters(rng, p.q.shape), quarters(rng, p.k.shape), quarters(rng, p.v.shape)
    mask = p.attn_mask
    if mask is not None:
        mask = keep_mask(rng, mask.shape) if mask.dtype == np.bool_ else float_mask(rng, mask.shape)
    return replace(p, q=q, k=k, v=v, attn_mask=mask)


# Every mask kind and shape on every grading, with batch and heads both >= 2 where a mask can
# differ along both, and L != S both ways.
B, H = 2, 3
SDPA_SHAPES = [(3, 4), (1, 4), (B, H, 3, 4), (B, 1, 3, 4), (1, H, 3, 4), (H, 3, 4), (B, 1, 1, 4)]
SDPA_EXAMPLES = {
    "none": (sdpa_problem(1), sdpa_problem(2, (B, H), L=4, S=3, E=3, Ev=4),
             sdpa_problem(3, L=3, S=4, q_batch=(B, 1), kv_batch=(1, H))),  # leading axes broadcast between q and k, v
    "bool": tuple(sdpa_problem(10 + i, (B, H), kind="bool", mask_shape=shape) for i, shape in enumerate(SDPA_SHAPES)),
    "float": tuple(sdpa_problem(20 + i, (B, H), kind="float", mask_shape=shape) for i, shape in enumerate(SDPA_SHAPES)),
    "causal": (sdpa_problem(30, (B, H), L=3, S=5, kind="causal"), sdpa_problem(31, (B, H), L=5, S=3, kind="causal"),
               sdpa_problem(32, L=4, S=4, kind="causal")),
}
SDPA_FLOAT32_EXAMPLES = (sdpa_problem(40, (B, H), kind="bool", mask_shape=(B, H, 3, 4), dtype="float32"),
                         sdpa_problem(41, (B, H), L=3, S=5, kind="causal", dtype="float32"))
SDPA_GRADIENT_EXAMPLES = (sdpa_problem(50, (B, H), kind="bool", mask_shape=(B, H, 3, 4)),
                          sdpa_problem(51, (B, H), L=4, S=3, kind="causal"),
                          sdpa_problem(52, (B, H), kind="float", mask_shape=(H, 3, 4)))


# -- MultiHeadAttention -----------------------------------------------------------------------------
def mha_problem(seed: int, H=2, D=2, N=2, L=3, S=4, bias=True, batch_first=False, kind="none", padding=False,
                attn=False, attn_3d=False, need_weights=True, average=True, dtype="float64") -> MHAProblem:
    """An MHAProblem from a seed: weights, inputs, and masks of `kind` ('none', 'bool', 'float')
    as key_padding_mask (padding) and / or attn_mask (attn, (N*H, L, S) with attn_3d)."""
    rng = np.random.default_rng(seed)
    E = H * D
    layout = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    query, key, value = quarters(rng, layout(L)), quarters(rng, layout(S)), quarters(rng, layout(S))
    state = {"in_proj_weight": quarters(rng, (3 * E, E))}
    if bias:
        state["in_proj_bias"] = quarters(rng, (3 * E,))
    state["out_proj.weight"] = quarters(rng, (E, E))
    if bias:
        state["out_proj.bias"] = quarters(rng, (E,))
    key_padding_mask = attn_mask = None
    if kind != "none":
        open_key = int(rng.integers(0, S))  # never hidden, so no row is fully masked
        attn_shape = (N * H, L, S) if attn_3d else (L, S)
        if kind == "bool":
            if padding:
                key_padding_mask = rng.random((N, S)) < 0.4
                key_padding_mask[:, open_key] = False
            if attn:
                attn_mask = rng.random(attn_shape) < 0.4
                attn_mask[..., open_key] = False
        else:
            if padding:
                key_padding_mask = float_mask(rng, (N, S))
            if attn:
                attn_mask = float_mask(rng, attn_shape)
    return MHAProblem(E, H, bias, batch_first, query, key, value, key_padding_mask, attn_mask, need_weights, average, dtype, state)


@st.composite
def mha_problems(draw, masks: bool = True, dtype: str = "float64") -> MHAProblem:
    """A MultiHeadAttention configuration (heads divide embed_dim), flags and masks; values from a seed."""
    H, D = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    bias, batch_first = draw(st.booleans()), draw(st.booleans())
    N, L, S = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind, padding, attn, attn_3d = "none", False, False, False
    if masks:
        kind = draw(st.sampled_from(["none", "bool", "float"]))
        if kind != "none":
            padding, attn = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
            attn_3d = attn and draw(st.booleans())
    need_weights = draw(st.booleans()) if masks else True
    average = draw(st.booleans()) if masks else True
    return mha_problem(draw(st.integers(0, 2**32 - 1)), H, D, N, L, S, bias, batch_first, kind, padding, attn, attn_3d,
                       need_weights, average, dtype)


def second_mha_problem(p: MHAProblem) -> MHAProblem:
    """The same configuration, shapes and mask kinds with other weights, inputs and mask patterns."""
    mask = p.key_padding_mask if p.key_padding_mask is not None else p.attn_mask
    kind = "none" if mask is None else ("bool" if mask.dtype == np.bool_ else "float")
    L = p.query.shape[1 if p.batch_first else 0]
    S = p.key.shape[1 if p.batch_first else 0]
    return mha_problem(seed_of(p.query, p.key, p.state["in_proj_weight"]) + 1, p.num_heads, p.embed_dim // p.num_heads,
                       p.batch, L, S, p.bias, p.batch_first, kind, p.key_padding_mask is not None, p.attn_mask is not None,
                       p.attn_mask is not None and p.attn_mask.ndim == 3, p.need_weights, p.average_attn_weights, p.dtype)


# N = 2 and H >= 2 in each, with masks that differ across both, L != S.
MHA_EXAMPLES = (
    mha_problem(60, kind="bool", attn=True, attn_3d=True, average=False),
    mha_problem(61, kind="float", padding=True, attn=True, attn_3d=True, batch_first=True),
    mha_problem(62, H=3, kind="bool", padding=True, attn=True, bias=False, average=False),
    mha_problem(63, kind="float", padding=True, batch_first=True, need_weights=False),
    mha_problem(64, N=3, L=2, S=5, batch_first=True),
    mha_problem(65, kind="bool", padding=True, batch_first=True),
    mha_problem(66, kind="bool", padding=True, attn=True, attn_3d=True, bias=True, batch_first=False),
)
MHA_FLOAT32_EXAMPLES = (mha_problem(70, kind="bool", padding=True, attn=True, attn_3d=True, average=False, dtype="float32"),)
