"""Grader for stage3/positional: sinusoidal encodings, RoPE in the rotate-half layout, ALiBi.

Each function is compared with the judge's own computation of the rule the stub states (to
1e-12), with the structural cases on every grading (one position, odd head counts for ALiBi,
a head_dim of 2, several leading axes for apply_rope). RoPE is also checked by its defining
property on the learner's own functions: the dot product of a query rotated to position m and
a key rotated to position n is the same for every (m, n) with the same m - n. Known mistakes
(sin and cos swapped or not interleaved, i / d instead of 2i / d, GPT-J's interleaved pairs,
the rotation's sign, slopes from r**h, the bias's sign) are named when the numbers are theirs.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from mldojo.graders.kit import Diagnosis, assert_close, check, example, fail, given

VERSION = "1"
RTOL, ATOL = 1e-12, 1e-12


# -- the judge's own rules ------------------------------------------------------------------------------
def sinusoidal(seq_len: int, d_model: int, mistake: str | None = None) -> np.ndarray:
    """The encodings, or a known mistake's."""
    p = np.arange(seq_len)[:, None]
    i = np.arange(d_model // 2)[None, :]
    exponent = (i / d_model) if mistake == "exponent_i_over_d" else (2 * i / d_model)
    angles = p / 10000.0**exponent
    first, second = (np.cos(angles), np.sin(angles)) if mistake == "cos_first" else (np.sin(angles), np.cos(angles))
    if mistake == "halves":
        return np.concatenate([first, second], axis=1)
    out = np.empty((seq_len, d_model))
    out[:, 0::2], out[:, 1::2] = first, second
    return out


SINUSOIDAL_MISTAKES = {
    "cos_first": "cos and sin are swapped: even columns hold sin, odd columns cos",
    "exponent_i_over_d": "the exponent is i / d_model; it is 2i / d_model (i counts sin-cos pairs)",
    "halves": "all the sines come first, then all the cosines; they alternate: sin, cos, sin, cos, ...",
}


def cos_sin(seq_len: int, head_dim: int, base: float, mistake: str | None = None):
    """RoPE's (cos, sin) tables, or a known mistake's."""
    exponent = np.arange(head_dim // 2) * (1 if mistake == "exponent_i_over_d" else 2) / head_dim
    angles = (np.arange(seq_len) + (1 if mistake == "positions_from_one" else 0))[:, None] * base**-exponent[None, :]
    both = np.repeat(angles, 2, axis=-1) if mistake == "interleaved" else np.concatenate([angles, angles], axis=-1)
    return np.cos(both), np.sin(both)


COS_SIN_MISTAKES = {
    "interleaved": "the angles are interleaved (each repeated in place: GPT-J's layout); the rotate-half layout "
                   "repeats the whole list of angles: concatenate([angles, angles])",
    "exponent_i_over_d": "inv_freq uses base**(-i / head_dim); it is base**(-2i / head_dim)",
    "positions_from_one": "the positions start at 1; the first token is at position 0",
}


def rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, mistake: str | None = None) -> np.ndarray:
    """apply_rope, or a known mistake's."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    if mistake == "sign":
        turned = np.concatenate([x2, -x1], axis=-1)
    elif mistake == "pairs":
        turned = np.stack([-x[..., 1::2], x[..., 0::2]], axis=-1).reshape(x.shape)
    else:
        turned = np.concatenate([-x2, x1], axis=-1)
    if mistake == "no_cos":
        return x + turned * sin
    return x * cos + turned * sin


ROTATE_MISTAKES = {
    "sign": "rotate_half's sign is on the wrong half: rotate_half(x) = concatenate([-x2, x1])",
    "pairs": "the rotation turns neighbouring pairs (x0, x1), (x2, x3), ... (GPT-J's layout); rotate-half pairs "
             "x[i] with x[i + head_dim/2]",
    "no_cos": "x is added unscaled: the rotation is x * cos + rotate_half(x) * sin",
}


def slopes(n: int, mistake: str | None = None) -> np.ndarray:
    """ALiBi slopes, or a known mistake's."""
    def power_of_two(k):
        r = 2.0 ** (-8.0 / k)
        return [r ** (h if mistake == "from_r_to_the_0" else h + 1) for h in range(k)]

    if mistake == "plain_geometric" or math.log2(n).is_integer():
        return np.array(power_of_two(n))
    m = 2 ** math.floor(math.log2(n))
    return np.array(power_of_two(m) + power_of_two(2 * m)[0::2][: n - m])


SLOPE_MISTAKES = {
    "from_r_to_the_0": "the first slope is r**0 = 1; they start at r: slopes[h] = r**(h + 1)",
    "plain_geometric": "for a number of heads that is not a power of two, r = 2**(-8 / n) gives other slopes than "
                       "the paper's rule: the largest power of two m below n, then every other slope of 2m",
}


def bias(n: int, seq_len: int, mistake: str | None = None) -> np.ndarray:
    """The ALiBi bias, or a known mistake's."""
    distance = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    if mistake == "absolute":
        distance = np.abs(distance)
    sign = 1.0 if mistake == "sign" else -1.0
    return sign * slopes(n)[:, None, None] * distance[None]


BIAS_MISTAKES = {
    "sign": "the bias grows with distance; it must fall: bias[h, i, j] = -slopes[h] * (i - j)",
    "absolute": "the distance is |i - j|; the stated bias is -slopes[h] * (i - j), positive for later keys (which a causal model masks)",
}


def _diagnoses(mistakes: dict, answer) -> list[Diagnosis]:
    return [Diagnosis(message, lambda m=m: answer(m)) for m, message in mistakes.items()]


# -- checks ---------------------------------------------------------------------------------------------
@check(examples=15)
@example(seq_len=1, d_model=2)
@example(seq_len=7, d_model=16)
@example(seq_len=50, d_model=6)
@given(seq_len=st.integers(1, 40), d_model=st.integers(1, 16).map(lambda k: 2 * k))
def sinusoidal_encoding_follows_the_rule(learner, seq_len, d_model):
    """sinusoidal_encoding(seq_len, d_model)[p, 2i], [p, 2i + 1] = sin, cos of p / 10000**(2i / d_model)."""
    got = learner.sinusoidal_encoding(seq_len, d_model)
    assert_close(got, sinusoidal(seq_len, d_model), what=f"sinusoidal_encoding({seq_len}, {d_model})", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(SINUSOIDAL_MISTAKES, lambda m: sinusoidal(seq_len, d_model, m)))


@check(examples=15)
@example(seq_len=1, head_dim=2, base=10000.0)
@example(seq_len=9, head_dim=8, base=10000.0)
@example(seq_len=5, head_dim=6, base=500.0)
@given(seq_len=st.integers(1, 32), head_dim=st.integers(1, 8).map(lambda k: 2 * k), base=st.sampled_from([10000.0, 500.0, 1e6]))
def rope_tables_follow_the_rule(learner, seq_len, head_dim, base):
    """rope_cos_sin(seq_len, head_dim, base) = cos and sin of p * base**(-2i / head_dim), the angles concatenated twice."""
    result = learner.rope_cos_sin(seq_len, head_dim, base)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"rope_cos_sin should return a pair (cos, sin); got {type(result).__name__}")
    want_cos, want_sin = cos_sin(seq_len, head_dim, base)
    for name, got, want, index in (("cos", result[0], want_cos, 0), ("sin", result[1], want_sin, 1)):
        assert_close(got, want, what=f"rope_cos_sin({seq_len}, {head_dim}, base={base:g})[{index}] ({name})", rtol=RTOL, atol=ATOL,
                     diagnoses=_diagnoses(COS_SIN_MISTAKES, lambda m, index=index: cos_sin(seq_len, head_dim, base, m)[index]))


def tables(angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin) in the rotate-half layout for any angles (seq_len, head_dim/2): both halves alike."""
    both = np.concatenate([angles, angles], axis=-1)
    return np.cos(both), np.sin(both)


@st.composite
def rope_inputs(draw):
    """x with 0 to 2 leading axes, and rotate-half tables of arbitrary angles (not only RoPE's own),
    so every term shows while a correct rotation written with complex numbers still applies."""
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    seq_len, half = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return (rng.standard_normal((*lead, seq_len, 2 * half)), *tables(rng.uniform(-3, 3, (seq_len, half))))


@check(examples=20)
@example(inputs=(np.arange(4.0).reshape(1, 4), *tables(np.array([[0.5, 2.0]]))))
@example(inputs=(np.random.default_rng(1).standard_normal((2, 3, 5, 6)), *tables(np.random.default_rng(2).uniform(-3, 3, (5, 3)))))
@given(inputs=rope_inputs())
def apply_rope_rotates_halves(learner, inputs):
    """apply_rope(x, cos, sin) = x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1], any leading axes
    (cos and sin in the rotate-half layout, for arbitrary angles)."""
    x, cos, sin = inputs
    got = learner.apply_rope(x, cos, sin)
    assert_close(got, rotate(x, cos, sin), what=f"apply_rope(x of shape {x.shape}, cos, sin)", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(ROTATE_MISTAKES, lambda m: rotate(x, cos, sin, m)))


@check(examples=10)
@example(head_dim=8, seed=0)
@given(head_dim=st.integers(1, 8).map(lambda k: 2 * k), seed=st.integers(0, 2**31 - 1))
def rope_dot_products_depend_on_the_offset_only(learner, head_dim, seed):
    """With your rope_cos_sin and apply_rope, <RoPE(q, m), RoPE(k, n)> is the same for every (m, n) with the same m - n."""
    rng = np.random.default_rng(seed)
    seq_len = 12
    q, k = rng.standard_normal(head_dim), rng.standard_normal(head_dim)
    result = learner.rope_cos_sin(seq_len, head_dim)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"rope_cos_sin should return a pair (cos, sin); got {type(result).__name__}")
    cos, sin = (np.asarray(t, dtype=float) for t in result)
    rotated_q = np.asarray(learner.apply_rope(np.tile(q, (seq_len, 1)), cos, sin), dtype=float)  # (T, head_dim): q at every position
    rotated_k = np.asarray(learner.apply_rope(np.tile(k, (seq_len, 1)), cos, sin), dtype=float)
    scores = rotated_q @ rotated_k.T  # (T, T): scores[m, n]
    for offset in range(-3, 4):
        along = np.diagonal(scores, offset=-offset)  # m - n = offset
        if np.ptp(along) > 1e-9 * max(1.0, np.abs(along).max()):
            m = int(np.argmax(along)) + max(offset, 0)
            fail(f"the dot product of a rotated query and a rotated key depends on where they are, not only on m - n: for "
                 f"m - n = {offset} it ranges over [{along.min():.6g}, {along.max():.6g}] (e.g. at m = {m}). Each pair "
                 "(x[i], x[i + head_dim/2]) must turn by the same angle p * inv_freq[i] for both vectors")


@check(examples=1)
def alibi_slopes_follow_the_papers_rule(learner):
    """alibi_slopes(n) for n = 1 .. 16: r**(h + 1), r = 2**(-8 / n), for powers of two; the paper's rule in between."""
    for n in range(1, 17):
        got = learner.alibi_slopes(n)
        assert_close(got, slopes(n), what=f"alibi_slopes({n})", rtol=RTOL, atol=ATOL,
                     diagnoses=_diagnoses(SLOPE_MISTAKES, lambda m, n=n: slopes(n, m)))


@check(examples=10)
@example(n_heads=1, seq_len=1)
@example(n_heads=6, seq_len=5)
@given(n_heads=st.integers(1, 12), seq_len=st.integers(1, 10))
def alibi_bias_follows_the_rule(learner, n_heads, seq_len):
    """alibi_bias(n_heads, seq_len)[h, i, j] = -slopes[h] * (i - j)."""
    got = learner.alibi_bias(n_heads, seq_len)
    assert_close(got, bias(n_heads, seq_len), what=f"alibi_bias({n_heads}, {seq_len})", rtol=RTOL, atol=ATOL,
                 diagnoses=_diagnoses(BIAS_MISTAKES, lambda m: bias(n_heads, seq_len, m)))
