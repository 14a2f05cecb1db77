"""Hypothesis strategies for stage3/attention: shapes first, then data, then masks.

Values lie on a grid of quarters in [-1, 1], so q @ k^T is exact even in float32 and a
correct solution agrees with torch to far below the tolerances. Masks never hide every key
of a query: torch's kernels disagree with each other on such rows (NaN or 0), so the
grader does not ask about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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
        mask = "None" if self.attn_mask is None else f"attn_mask ({self.attn_mask.dtype})"
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
    def call(self) -> str:
        """The construction and the call, as the learner would write them."""
        masks = "".join(f", {name}=…" for name in ("key_padding_mask", "attn_mask") if getattr(self, name) is not None)
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


@st.composite
def keep_masks(draw, shape) -> np.ndarray:
    """Bool masks (True = keep) where every row (last axis) keeps at least one entry."""
    mask = draw(hnp.arrays(np.bool_, shape, elements=st.booleans(), fill=st.nothing()))
    empty = ~mask.any(axis=-1)
    column = draw(st.integers(0, shape[-1] - 1))
    mask[..., column] |= empty  # a row that hid everything keeps one key
    return mask


@st.composite
def attention_problems(draw, mask: str | None = None, dtype: str = "float64", max_side: int = 5) -> AttentionProblem:
    """q, k, v with 0-2 batch axes, L and S drawn separately, and a mask of the given kind
    ('none', 'bool', 'float', 'causal'; None draws one)."""
    kind = mask or draw(st.sampled_from(MASK_KINDS))
    # Small on purpose: every bug here shows on a few positions, and a failure then shrinks fast.
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    L, S = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    E, Ev = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    q, k, v = draw(values(batch + (L, E))), draw(values(batch + (S, E))), draw(values(batch + (S, Ev)))
    attn_mask = None
    if kind in ("bool", "float"):
        shape = draw(st.sampled_from([(L, S), batch + (L, S)]))  # broadcast over the batch, or one per item
        attn_mask = draw(keep_masks(shape)) if kind == "bool" else draw(grid_arrays(shape, -2.0, 2.0, 0.5))
    return AttentionProblem(q, k, v, attn_mask, kind == "causal", dtype)


@st.composite
def mha_problems(draw, masks: bool = True, dtype: str = "float64") -> MHAProblem:
    """A MultiHeadAttention configuration (heads divide embed_dim), weights, inputs and masks."""
    H, D = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    E = H * D
    bias, batch_first = draw(st.booleans()), draw(st.booleans())
    N, L, S = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    layout = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    query, key, value = draw(values(layout(L))), draw(values(layout(S))), draw(values(layout(S)))
    state = {"in_proj_weight": draw(values((3 * E, E)))}
    if bias:
        state["in_proj_bias"] = draw(values((3 * E,)))
    state["out_proj.weight"] = draw(values((E, E)))
    if bias:
        state["out_proj.bias"] = draw(values((E,)))
    key_padding_mask = attn_mask = None
    if masks:
        kind = draw(st.sampled_from(["none", "bool", "float"]))
        if kind != "none":
            open_key = draw(st.integers(0, S - 1))  # never hidden, so no row is fully masked
            mask_shape = draw(st.sampled_from([(L, S), (N * H, L, S)]))
            use_padding, use_attn = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
            if kind == "bool":
                if use_padding:
                    key_padding_mask = draw(hnp.arrays(np.bool_, (N, S), elements=st.booleans(), fill=st.nothing()))
                    key_padding_mask[:, open_key] = False
                if use_attn:
                    attn_mask = draw(hnp.arrays(np.bool_, mask_shape, elements=st.booleans(), fill=st.nothing()))
                    attn_mask[..., open_key] = False
            else:
                if use_padding:
                    key_padding_mask = draw(grid_arrays((N, S), -2.0, 2.0, 0.5))
                if use_attn:
                    attn_mask = draw(grid_arrays(mask_shape, -2.0, 2.0, 0.5))
    need_weights = draw(st.booleans()) if masks else True
    average = draw(st.booleans()) if masks else True
    return MHAProblem(E, H, bias, batch_first, query, key, value, key_padding_mask, attn_mask,
                      need_weights, average, dtype, state)
