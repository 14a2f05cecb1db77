"""Grader for stage3/flash_attention: a Triton attention forward with an online softmax.

The learner's kernel runs in Triton's interpreter on CPU tensors (flash_attention_driver), with
block sizes the judge chooses, so that every sequence length crosses several key tiles and most
end in a ragged one. The answer is compared with torch's F.scaled_dot_product_attention in
float64 on the same inputs (grid values exact in float16 and float32). Tolerances:
|got - expected| <= tol + tol * |expected|, tol = 2e-5 in float32 and 5e-3 in float16 (the
probabilities go through float16 before the product with v). A known mistake is named only
when its tile-by-tile answer (_flash_attention_variants) is the learner's, differs from the
right one, and is the learner's again on a second input of the same shapes. The interpreter checks
no bounds, so the driver puts NaN guard zones after every tensor the kernel can touch: a store past
the end is seen, and an unmasked load there brings NaN into the output, on every run alike.
The interpreter is slow: shapes stay small (S <= 95, D <= 64, B * H <= 4; one S = 150 example in
the first two checks, and one (B, H) = (2, 3), where a grid of B + H programs per tile falls short of
B * H).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch  # here, not in torch_sdpa: the import overlaps the learner process's start (runner.prepare_grader)
import torch.nn.functional as F
from hypothesis import strategies as st

from mldojo.graders.engine.outcomes import LearnerGone
from mldojo.graders.kit import check, example, fail, given
from mldojo.graders.kit.asserts import name_mistakes
from mldojo.graders.kit.formatting import show, show_pair
from mldojo.graders.kit.memo import remembered
from mldojo.graders.stage3 import _flash_attention_variants as variants

VERSION = "1"
DRIVER = "mldojo.graders.stage3.flash_attention_driver:"
TOLERANCE = {"float32": 2e-5, "float16": 5e-3}
MATCH = {"float32": 1e-4, "float16": 5e-3}  # how close a learner's answer must be to a mistake's to be it
BLOCKS = ((16, 16), (16, 32), (32, 16))  # (block_m, block_n) the judge asks for
HEAD_DIMS = (16, 32, 64)


@dataclass(frozen=True)
class FlashProblem:
    """One call: shapes, options and the seed its values come from."""

    batch: int
    heads: int
    seq_len: int
    head_dim: int
    causal: bool
    block_m: int
    block_n: int
    dtype: str = "float32"
    seed: int = 0
    spread: float = 1.0  # values are multiplied by this (large scores)

    def arrays(self):
        """q, k, v (B, H, S, D) float64, on a grid of eighths in [-3, 3] times `spread` (exact in float16)."""
        rng = np.random.default_rng([self.seed, self.batch, self.heads, self.seq_len, self.head_dim])
        shape = (self.batch, self.heads, self.seq_len, self.head_dim)
        return tuple(np.clip(np.round(rng.normal(size=shape) * 8) / 8, -3, 3) * self.spread for _ in range(3))

    @property
    def call(self) -> str:
        """How the learner's function was called, in their names."""
        causal = ", causal=True" if self.causal else ""
        return (f"flash_attention(q, k, v{causal}, block_m={self.block_m}, block_n={self.block_n}) with q, k, v of shape "
                f"{(self.batch, self.heads, self.seq_len, self.head_dim)} in {self.dtype}")

    def other(self) -> "FlashProblem":
        """The same shapes and options with other values (a second input for diagnoses)."""
        return FlashProblem(**{**self.__dict__, "seed": self.seed + 7919})


def problems(causal: bool, dtype: str = "float32", ragged: bool | None = None, spread: float = 1.0):
    """FlashProblems; ragged=True: S is not a multiple of block_n and crosses at least two key tiles."""

    @st.composite
    def draw(draw_):
        block_m, block_n = draw_(st.sampled_from(BLOCKS))
        if ragged:
            seq_len = draw_(st.integers(1, 64 // block_n)) * block_n + draw_(st.integers(1, block_n - 1))
            seq_len = min(seq_len, 64 + block_n - 1)
        else:
            seq_len = draw_(st.integers(1, 64))
        return FlashProblem(draw_(st.integers(1, 2)), draw_(st.integers(1, 2)), seq_len, draw_(st.sampled_from(HEAD_DIMS)),
                            causal, block_m, block_n, dtype, draw_(st.integers(0, 2**16)), spread)

    return draw()


# -- running the learner's code ---------------------------------------------------------------------------
def run(learner, p: FlashProblem) -> np.ndarray:
    """The learner's output on p (float64), after the checks every call must pass."""
    q, k, v = p.arrays()
    try:
        reply = learner._drive(DRIVER + "attend", q, k, v, p.causal, p.block_m, p.block_n, p.dtype)
    except LearnerGone as exc:
        if exc.kind == "crashed":  # the interpreter does not check bounds: a stray store corrupts the heap
            exc.detail += (f" on {p.call}. In Triton's interpreter a crash is almost always a tl.store (or tl.load) "
                           "outside the tensor: mask the query rows and key columns past S")
        raise
    if not isinstance(reply, dict) or "problem" not in reply:
        fail(f"the grader could not read what your code returned (it got {show(reply)})")
    if reply.get("refused"):
        fail(f"your code called {reply['refused']}.\n  The attention must be computed by your Triton kernel: the launcher "
             "may allocate the output, read shapes and strides, and launch; torch's matrix products, softmax and "
             "attention are refused while it runs.")
    if reply.get("problem"):
        fail(f"{p.call}: {reply['problem']}")
    if reply.get("launches", 0) < 1:
        fail(f"{p.call} launched no Triton kernel: the launcher must call your @triton.jit kernel as kernel[grid](...)")
    shape = (p.batch, p.heads, p.seq_len, p.head_dim)
    if tuple(reply["shape"]) != shape:
        fail(f"{p.call} returned shape {tuple(reply['shape'])}, expected {shape} (the shape of q)")
    if reply["dtype"] != p.dtype:
        fail(f"{p.call} returned torch.{reply['dtype']}, expected torch.{p.dtype} (the dtype of q): store the "
             "output in Out's element type")
    return np.asarray(reply["out"], dtype=np.float64)


@remembered  # a re-grade asks again about the same problems (kit/memo.py)
def torch_sdpa(p: FlashProblem) -> np.ndarray:
    """F.scaled_dot_product_attention on p's values, in float64."""
    torch.set_num_threads(1)  # tiny tensors: threads only spin
    q, k, v = (torch.from_numpy(x) for x in p.arrays())
    return F.scaled_dot_product_attention(q, k, v, is_causal=p.causal).numpy()


def _same(got: np.ndarray, wrong: np.ndarray, tol: float) -> bool:
    """The learner's answer is the mistake's: close where the mistake is finite; where it is not (a
    row that sees no key, an overflow), not finite either, or 0."""
    if got.shape != wrong.shape:
        return False
    bad = ~np.isfinite(wrong)
    if not np.all(~np.isfinite(got[bad]) | (got[bad] == 0.0)):
        return False
    a, b = got[~bad], wrong[~bad]
    return bool(np.all(np.isfinite(a)) and np.all(np.abs(a - b) <= tol + tol * np.abs(b)))


def diagnose(learner, p: FlashProblem, got: np.ndarray, mistakes, tol: float) -> str | None:
    """The mistakes whose answer is the learner's on p and again on a second input (all named, or none)."""
    match = MATCH[p.dtype]
    found = []
    for mistake in mistakes:
        wrong = variants.tiled_attention(*p.arrays(), p.causal, p.block_n, mistake)
        if _close(np.nan_to_num(wrong, nan=1e30), torch_sdpa(p), tol) or not _same(got, wrong, match):
            continue  # invisible here, or not what the learner returned
        second = p.other()
        try:
            again = run(learner, second)
        except AssertionError:
            continue
        if _same(again, variants.tiled_attention(*second.arrays(), second.causal, second.block_n, mistake), match):
            found.append(variants.MISTAKES[mistake])
    return name_mistakes(found)


def _close(got, want, tol: float) -> bool:
    return bool(np.all(np.abs(got - want) <= tol + tol * np.abs(want)))


def expect_sdpa(learner, p: FlashProblem, mistakes=(), tol: float | None = None) -> None:
    """The learner's output equals SDPA's on p within tol (the dtype's by default), else a failure naming what fits."""
    got = run(learner, p)
    want = torch_sdpa(p)
    tol = TOLERANCE[p.dtype] if tol is None else tol
    if not np.all(np.isfinite(got)):  # where a mistake's answer has NaN, _same lets NaN match it
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        fail(f"{p.call}: the output holds {show(float(got[index]))} at index {index} (torch's answer is finite "
             f"everywhere): an exp that overflowed, a 0/0 for a query that saw no key, or a tl.load past the end of a "
             "tensor without a mask (the grader fills the memory after each tensor with NaN)",
             diagnosis=diagnose(learner, p, got, mistakes, tol))
    if _close(got, want, tol):
        return
    diff = np.abs(got - want)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff - tol * np.abs(want))), diff.shape))
    shown_got, shown_want = show_pair(got[worst[:-1]], want[worst[:-1]])
    fail(f"{p.call}:\n  output row {worst[:-1]} (batch, head, query): got {shown_got}\n"
         f"                                     expected {shown_want}\n"
         f"  (largest difference {show(float(diff[worst]))}; tolerance rtol=atol={tol:g})",
         diagnosis=diagnose(learner, p, got, mistakes, tol))


# Longer than 128: several key tiles even for a kernel that ignores the block sizes it is given and
# uses its own defaults (up to 128), so the online softmax across tiles is always exercised.
LONG = 150
COMMON = ("no_scale", "scale_by_d", "no_rescale", "normalised_early", "ragged_unmasked")
CAUSAL = ("causal_strict", "causal_peeks", *COMMON)


# -- the checks -------------------------------------------------------------------------------------------
@check(examples=5)
@example(p=FlashProblem(1, 1, 48, 16, False, 16, 16, seed=1))
@example(p=FlashProblem(2, 2, 37, 32, False, 16, 32, seed=2))
@example(p=FlashProblem(1, 1, 1, 16, False, 16, 16, seed=3))
@example(p=FlashProblem(1, 1, LONG, 16, False, 32, 32, seed=13))
@example(p=FlashProblem(2, 3, 20, 16, False, 16, 16, seed=15))
@given(p=problems(causal=False))
def matches_sdpa_without_a_mask(learner, p):
    """flash_attention(q, k, v) equals F.scaled_dot_product_attention (float32, 2e-5) over several key tiles."""
    expect_sdpa(learner, p, COMMON)


@check(examples=5)
@example(p=FlashProblem(1, 1, 40, 16, True, 16, 16, seed=4))
@example(p=FlashProblem(2, 1, 33, 32, True, 32, 16, seed=5))
@example(p=FlashProblem(1, 2, 24, 16, True, 16, 32, seed=6))
@example(p=FlashProblem(1, 1, LONG, 16, True, 32, 32, seed=14))
@given(p=problems(causal=True))
def matches_sdpa_when_causal(learner, p):
    """With causal=True query i sees keys 0..i only, and the output equals SDPA's with is_causal=True."""
    expect_sdpa(learner, p, CAUSAL)


@check(examples=4)
@example(p=FlashProblem(1, 1, 20, 16, False, 16, 16, seed=7))
@example(p=FlashProblem(2, 1, 45, 64, False, 32, 16, seed=8))
@given(p=problems(causal=False, ragged=True))
def masks_the_ragged_last_tile(learner, p):
    """When S is not a multiple of block_n, the keys past S in the last tile take no part in the softmax."""
    expect_sdpa(learner, p, COMMON)


@check(examples=3)
@example(p=FlashProblem(1, 2, 33, 64, False, 16, 16, "float16", seed=9))
@example(p=FlashProblem(1, 1, 40, 32, True, 16, 32, "float16", seed=10))
@given(p=st.one_of(problems(causal=False, dtype="float16"), problems(causal=True, dtype="float16")))
def matches_sdpa_in_float16(learner, p):
    """In float16 it returns float16 equal to SDPA's to 5e-3 (the scores and sums kept in float32)."""
    expect_sdpa(learner, p, CAUSAL if p.causal else COMMON)


LARGE = 16.0  # values up to +-48: scores in the hundreds and thousands, far past exp()'s float32 range (88)
LARGE_TOLERANCE = 1e-3  # float32 scores of ~1e3 carry rounding of ~1e-4 into exp()


@check(examples=3)
@example(p=FlashProblem(1, 1, 40, 32, False, 16, 16, spread=LARGE, seed=11))
@example(p=FlashProblem(1, 2, 35, 16, True, 16, 16, spread=LARGE, seed=12))
@given(p=st.one_of(problems(causal=False, spread=LARGE), problems(causal=True, spread=LARGE)))
def stays_finite_when_scores_are_large(learner, p):
    """With scores in the thousands the output is still SDPA's (1e-3): the running maximum keeps every exp() <= 1."""
    expect_sdpa(learner, p, ("no_max", *(CAUSAL if p.causal else COMMON)), tol=LARGE_TOLERANCE)
