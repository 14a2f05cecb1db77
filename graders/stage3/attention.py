"""Grader for stage3/attention: scaled dot-product attention and multi-head attention.

The learner's functions run in the learner process through attention_driver, under a torch
function mode that refuses torch's own attention kernels; the judge compares what comes
back with torch (F.scaled_dot_product_attention, nn.MultiheadAttention) computed here, and
names the classic mistake the learner's output matches (_attention_variants).

Tolerances: |got - expected| <= tol + tol * |expected|, tol = 1e-12 in float64 and 1e-6 in
float32; gradients 1e-10 (float64). Inputs lie on a grid of quarters in [-1, 1], drawn from
a seed (never degenerate; a failure shrinks by shapes and flags only); masks never hide
every key of a query (torch's own kernels disagree on such rows). Every mask kind and shape
meets batch and heads both >= 2 in fixed examples tried on every grading (_attention_inputs).
A known mistake is named only when its answer is the learner's, differs from torch's, and
is the learner's again on a second problem of the same shapes with other values.
"""

from __future__ import annotations

import ast

import numpy as np
# nn.MultiheadAttention's mask checks (torch._check) import this, and sympy with it (about 490 modules,
# 0.4 - 0.7 s), on their first call; imported here, that overlaps the learner process's start
# (runner.prepare_grader) instead of holding up the first MHA check.
import torch.fx.experimental.symbolic_shapes  # noqa: F401
from hypothesis import strategies as st

from mldojo.graders.engine.driver_support import backward_along
from mldojo.graders.kit import Diagnosis, as_array, assert_close, check, example, fail, given
from mldojo.graders.kit.asserts import MATCH_ATOL, MATCH_RTOL, name_mistakes
from mldojo.graders.kit.formatting import show
from mldojo.graders.kit.memo import remembered
from mldojo.graders.stage3 import _attention_inputs as inputs
from mldojo.graders.stage3 import _attention_variants as variants
from mldojo.graders.stage3._attention_inputs import AttentionProblem, MHAProblem, attention_problems, mha_problems

VERSION = "2"
DRIVER = "mldojo.graders.stage3.attention_driver:"
TOLERANCE = {"float64": 1e-12, "float32": 1e-6}
GRAD_TOLERANCE = 1e-10
REFUSED_NAMES = ("scaled_dot_product_attention", "MultiheadAttention", "multi_head_attention_forward",
                 "_native_multi_head_attention", "scaled_dot_product", "flash_attention", "efficient_attention")


# -- running the learner's code ----------------------------------------------------------------
def refused(name: str) -> None:
    """Fail: the learner's code called one of torch's attention functions."""
    fail(f"your code called {name}.\n"
         "  This exercise is about writing attention yourself, so torch's own attention functions are refused "
         "while your code runs (the grader watches every torch function your code calls).\n"
         "  Build it from q @ k.transpose(-2, -1), masked_fill and torch.softmax instead.")


def _checked(reply: dict, want_dtype: str | None = None) -> dict:
    if not isinstance(reply, dict) or "problem" not in reply:
        fail(f"the grader could not read what your code returned (it got {show(reply)})")
    if reply.get("refused"):
        refused(reply["refused"])
    if reply.get("problem"):
        fail(reply["problem"])
    if want_dtype and reply.get("dtype") != want_dtype:
        fail(f"the output's dtype is torch.{reply.get('dtype')}, expected torch.{want_dtype} (the inputs' dtype): "
             "keep the computation in the dtype you were given")
    return reply


def run_sdpa(learner, p, q=None, k=None, v=None, grad_out=None) -> dict:
    """The learner's scaled_dot_product_attention on problem p (q, k, v overridable)."""
    q, k, v = (p.q if q is None else q), (p.k if k is None else k), (p.v if v is None else v)
    reply = learner._drive(DRIVER + "attend", q, k, v, p.attn_mask, p.is_causal, p.dtype, grad_out)
    return _checked(reply, p.dtype)


def run_mha(learner, p) -> dict:
    """The learner's MultiHeadAttention, loaded with p.state, called on p's inputs."""
    reply = learner._drive(DRIVER + "mha_forward", p.config, p.state, p.query, p.key, p.value, p.options, p.dtype)
    return _checked(reply, p.dtype)


# -- torch, here in the judge ----------------------------------------------------------------------
@remembered  # a re-grade asks again about the same problems (kit/memo.py)
def torch_sdpa(p, grad_out=None):
    """F.scaled_dot_product_attention on p (float64); with grad_out also (dq, dk, dv)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)  # tiny tensors: threads only spin
    q, k, v = (variants.t(x).requires_grad_(grad_out is not None) for x in (p.q, p.k, p.v))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=variants.t(p.attn_mask), is_causal=p.is_causal)
    if grad_out is None:
        return out.detach().numpy()
    backward_along(out, torch.tensor(grad_out, dtype=torch.float64))
    return out.detach().numpy(), [x.grad.numpy() for x in (q, k, v)]


@remembered
def torch_mha(p):
    """nn.MultiheadAttention's (output, weights) for p, computed in p.dtype."""
    import torch

    torch.set_num_threads(1)
    dtype = getattr(torch, p.dtype)
    module = torch.nn.MultiheadAttention(p.embed_dim, p.num_heads, bias=p.bias, batch_first=p.batch_first, dtype=dtype)
    module.load_state_dict({name: variants.t(array, dtype) for name, array in p.state.items()})
    module.eval()
    masks = {name: variants.t(value, dtype) for name, value in p.options.items() if name.endswith("mask")}
    with torch.no_grad():
        out, weights = module(*(variants.t(x, dtype) for x in (p.query, p.key, p.value)), **masks,
                              need_weights=p.need_weights, average_attn_weights=p.average_attn_weights)
    return out.double().numpy(), None if weights is None else weights.double().numpy()


def same_numbers(got, wrong, rtol: float = MATCH_RTOL, atol: float = MATCH_ATOL) -> bool:
    """Equal where finite, NaN in the same places."""
    got, wrong = np.asarray(got, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    if got.shape != wrong.shape or not np.array_equal(np.isnan(got), np.isnan(wrong)):
        return False
    seen = ~np.isnan(got)
    return bool(np.all(np.abs(got[seen] - wrong[seen]) <= atol + rtol * np.abs(wrong[seen])))


def _match_tolerance(dtype: str) -> tuple[float, float]:
    """How close a learner's answer must be to a mistake's (float64 math) to be that mistake."""
    return (MATCH_RTOL, MATCH_ATOL) if dtype == "float64" else (1e-4, 1e-5)


def _confirmed(got_second, wrong_second, right_second, dtype: str) -> bool:
    """The mistake shows on the second input (its answer is not the right one) and the learner's answer is it."""
    if wrong_second is None or right_second is None or got_second is None:
        return False
    tol = TOLERANCE[dtype]
    if same_numbers(wrong_second, right_second, rtol=tol, atol=tol):
        return False
    return same_numbers(got_second, wrong_second, *_match_tolerance(dtype))


def sdpa_diagnoses(p, mistakes, learner=None) -> list[Diagnosis]:
    """The known mistakes that change the answer on p, as Diagnoses; with the learner, each is
    confirmed on a second problem of the same shapes and mask kind."""
    def confirm(m) -> bool:
        second = inputs.second_sdpa_problem(p)
        got = run_sdpa(learner, second)["out"]
        return _confirmed(got, variants.sdpa(second.q, second.k, second.v, second.attn_mask, second.is_causal, m),
                          torch_sdpa(second), p.dtype)

    return [Diagnosis(variants.SDPA_MISTAKES[m], lambda m=m: variants.sdpa(p.q, p.k, p.v, p.attn_mask, p.is_causal, m),
                      None if learner is None else (lambda m=m: confirm(m)))
            for m in mistakes]


def mha_diagnoses(p, mistakes, part: int, learner=None) -> list[Diagnosis]:
    """Known MHA mistakes; part 0 compares outputs, part 1 weights; with the learner, each is
    confirmed on a second problem of the same configuration."""
    def confirm(m) -> bool:
        second = inputs.second_mha_problem(p)
        got = run_mha(learner, second)["out" if part == 0 else "weights"]
        return _confirmed(got, variants.mha(second, m)[part], torch_mha(second)[part], p.dtype)

    return [Diagnosis(variants.MHA_MISTAKES[m], lambda m=m: variants.mha(p, m)[part], None if learner is None else (lambda m=m: confirm(m)))
            for m in mistakes]


def nan_diagnosed(got, what: str, diagnoses, dtype: str = "float64") -> None:
    """Fail with the diagnoses whose wrong answer has NaN exactly where the learner's has (a
    mistaken mask that hides every key of a query gives softmax(all -inf) = NaN), confirmed
    on a second input where they can be."""
    array = np.asarray(got)
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return
    found = []
    for diagnosis in diagnoses:
        try:
            wrong = np.asarray(diagnosis.wrong_answer(), dtype=np.float64)
            fits = same_numbers(array, wrong, *_match_tolerance(dtype)) and (diagnosis.confirm is None or diagnosis.confirm() is True)
        except Exception:  # noqa: BLE001 - a diagnosis that cannot be computed or confirmed is skipped
            continue
        if fits and diagnosis.message not in found:
            found.append(diagnosis.message)
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    fail(f"{what}: contains NaN at index {index}: every key of that query was masked out, and the "
         "softmax of a row of -inf is NaN (torch's answer has no such row here)", got, diagnosis=name_mistakes(found))


def expect_sdpa(learner, p, mistakes=()) -> None:
    """The learner's output equals torch's on p, within the dtype's tolerance."""
    got = run_sdpa(learner, p)["out"]
    tol = TOLERANCE[p.dtype]
    diagnoses = sdpa_diagnoses(p, mistakes, learner)
    nan_diagnosed(got, p.call, diagnoses, p.dtype)
    assert_close(got, torch_sdpa(p), what=p.call, rtol=tol, atol=tol, diagnoses=diagnoses)


def examples(name: str, cases):
    """@example(name=case) for each case, in order: inputs tried on every grading."""
    def attach(function):
        for case in reversed(cases):
            function = example(**{name: case})(function)
        return function

    return attach


SCALE_MISTAKES = ("scale_by_d", "no_scale", "scale_by_value_dim", "softmax_over_queries")


# -- scaled_dot_product_attention ----------------------------------------------------------------------
@check(examples=30)
@examples("p", inputs.SDPA_EXAMPLES["none"])
@given(p=attention_problems(mask="none"))
def sdpa_matches_torch_without_a_mask(learner, p):
    """scaled_dot_product_attention(q, k, v) equals F.scaled_dot_product_attention (float64, 1e-12)."""
    expect_sdpa(learner, p, SCALE_MISTAKES)


@check(examples=30)
@examples("p", inputs.SDPA_EXAMPLES["bool"])
@given(p=attention_problems(mask="bool"))
def sdpa_matches_torch_with_a_boolean_mask(learner, p):
    """With a boolean attn_mask (True = may attend) of any shape that broadcasts to (..., L, S), it equals torch's."""
    expect_sdpa(learner, p, ("bool_mask_inverted", "mask_after_softmax", "mask_ignored", *SCALE_MISTAKES))


@check(examples=30)
@examples("p", inputs.SDPA_EXAMPLES["float"])
@given(p=attention_problems(mask="float"))
def sdpa_matches_torch_with_a_float_mask(learner, p):
    """With a float attn_mask (added to the scaled scores) of any shape that broadcasts to (..., L, S), it equals torch's."""
    expect_sdpa(learner, p, ("float_mask_multiplied", "float_mask_before_scaling", "mask_ignored", *SCALE_MISTAKES))


@check(examples=30)
@examples("p", inputs.SDPA_EXAMPLES["causal"])
@given(p=attention_problems(mask="causal"))
def sdpa_matches_torch_when_causal(learner, p):
    """With is_causal=True (query i sees keys 0..i, also when L != S) it equals torch's."""
    expect_sdpa(learner, p, ("causal_one_ahead", "causal_inverted", "causal_bottom_right", "mask_after_softmax", "causal_ignored",
                             *SCALE_MISTAKES))


@check(examples=20)
@examples("p", inputs.SDPA_FLOAT32_EXAMPLES)
@given(p=attention_problems(dtype="float32"))
def sdpa_matches_torch_in_float32(learner, p):
    """In float32 (any mask) it returns float32 equal to torch's to 1e-6."""
    expect_sdpa(learner, p, tuple(variants.SDPA_MISTAKES))


def with_identity_values(p: AttentionProblem) -> AttentionProblem:
    """p with v the identity (S, S) for every batch item: the output is then the attention weights."""
    batch, S = p.k.shape[:-2], p.k.shape[-2]
    return AttentionProblem(p.q, p.k, np.broadcast_to(np.eye(S), batch + (S, S)).copy(), p.attn_mask, p.is_causal, p.dtype)


@check(examples=20)
@example(p=with_identity_values(inputs.SDPA_EXAMPLES["bool"][2]))
@given(p=attention_problems().map(with_identity_values))
def sdpa_weights_are_a_distribution_over_the_keys(learner, p):
    """With v = identity the output is the weights: each query's row is >= 0 and sums to 1."""
    weights = as_array(run_sdpa(learner, p)["out"], p.call, p.q.shape[:-1] + (p.k.shape[-2],))
    tol = TOLERANCE[p.dtype] * 10
    sums = weights.sum(axis=-1)
    mistakes = ("softmax_over_queries", "mask_after_softmax", "bool_mask_inverted")
    if (weights < -tol).any():
        fail(f"with v = identity your output holds the weights, and some are negative: {show(weights)}", weights)
    if not np.allclose(sums, 1.0, rtol=0, atol=tol):
        fail(f"with v = identity your output holds the attention weights; each row must sum to 1 over the keys.\n"
             f"  row sums: {show(sums)}", weights, sdpa_diagnoses(p, mistakes, learner),
             passes=lambda value: bool(np.allclose(value.sum(axis=-1), 1.0, rtol=0, atol=tol)))


def perturbed_after(p: AttentionProblem, cut: int):
    """(p, cut, [q, k, v] with every position after `cut` moved by 2 plus a grid value)."""
    L, S = p.q.shape[-2], p.k.shape[-2]
    if max(L, S) < 2:
        p = AttentionProblem(*(np.concatenate([x, x], axis=-2) for x in (p.q, p.k, p.v)), None, True, p.dtype)
    rng = np.random.default_rng(inputs.seed_of(p.q, p.k, p.v) + cut)
    later = []
    for x in (p.q, p.k, p.v):
        changed = x.copy()
        changed[..., cut + 1:, :] = inputs.quarters(rng, changed[..., cut + 1:, :].shape) + 2.0  # always different from before
        later.append(changed)
    return p, cut, later


@st.composite
def causal_perturbations(draw):
    """A causal problem, a cut t, and new values for every position after t in q, k and v."""
    p = draw(attention_problems(mask="causal"))
    L, S = p.q.shape[-2], p.k.shape[-2]
    return perturbed_after(p, draw(st.integers(0, max(max(L, S), 2) - 2)))


@check(examples=20)
@example(case=perturbed_after(inputs.SDPA_EXAMPLES["causal"][0], 1))
@example(case=perturbed_after(inputs.SDPA_EXAMPLES["causal"][1], 1))
@given(case=causal_perturbations())
def causal_outputs_never_depend_on_later_positions(learner, case):
    """With is_causal, changing q, k, v after position t leaves outputs 0..t unchanged."""
    p, cut, (q2, k2, v2) = case
    before = as_array(run_sdpa(learner, p)["out"], p.call)
    after = as_array(run_sdpa(learner, p, q2, k2, v2)["out"], p.call)
    right = torch_sdpa(p)
    rows = slice(0, cut + 1)
    diff = np.abs(before[..., rows, :] - after[..., rows, :])
    if diff.max(initial=0.0) > 1e-12:
        fail(f"with is_causal=True, output rows 0..{cut} changed (by up to {show(float(diff.max()))}) when only "
             f"positions after {cut} of q, k and v changed: a query must not see later keys.\n"
             f"  outputs 0..{cut} before: {show(before[..., rows, :])}\n"
             f"  outputs 0..{cut} after:  {show(after[..., rows, :])}",
             before, sdpa_diagnoses(p, ("causal_one_ahead", "causal_inverted", "causal_bottom_right", "causal_ignored"), learner),
             passes=lambda value: same_numbers(value, right, rtol=1e-12, atol=1e-12))  # a mistake invisible here proves nothing


@st.composite
def permuted(draw):
    """An unmasked problem and permutations of the query and of the key/value positions."""
    p = draw(attention_problems(mask="none"))
    L, S = p.q.shape[-2], p.k.shape[-2]
    return p, draw(st.permutations(range(L))), draw(st.permutations(range(S)))


@check(examples=20)
@example(case=(inputs.SDPA_EXAMPLES["none"][1], [3, 1, 0, 2], [2, 0, 1]))
@given(case=permuted())
def permuting_positions_permutes_the_output(learner, case):
    """Without a mask, permuting the queries permutes the output rows; permuting keys and values together changes nothing."""
    p, query_order, key_order = case
    qo, ko = np.array(query_order, dtype=int), np.array(key_order, dtype=int)
    plain = as_array(run_sdpa(learner, p)["out"], p.call)
    shuffled = run_sdpa(learner, p, p.q[..., qo, :], p.k[..., ko, :], p.v[..., ko, :])["out"]
    assert_close(shuffled, plain[..., qo, :], what=f"{p.call} with queries in order {list(qo)} and keys/values in order {list(ko)}",
                 rtol=1e-12, atol=1e-12)


def upstream_gradient(p: AttentionProblem):
    """(p, a gradient for its output) on the quarter grid."""
    out_shape = np.broadcast_shapes(p.q.shape[:-2], p.k.shape[:-2]) + p.q.shape[-2:-1] + p.v.shape[-1:]
    return p, inputs.quarters(np.random.default_rng(inputs.seed_of(p.q, p.v)), out_shape)


@check(examples=25)
@examples("case", [upstream_gradient(p) for p in inputs.SDPA_GRADIENT_EXAMPLES])
@given(case=attention_problems().map(upstream_gradient))
def gradients_match_torch(learner, case):
    """out.backward(g) through your attention gives torch's dq, dk, dv (float64, 1e-10)."""
    p, grad_out = case
    reply = run_sdpa(learner, p, grad_out=grad_out)
    _, want = torch_sdpa(p, grad_out)
    for name, got, expected in zip(("q.grad", "k.grad", "v.grad"), reply["grads"], want):
        assert_close(got, expected, what=f"{name} after out.backward(g), out = {p.call}", rtol=GRAD_TOLERANCE, atol=GRAD_TOLERANCE)


# -- MultiHeadAttention ------------------------------------------------------------------------------
@check(examples=10)
@given(p=mha_problems(masks=False))
def mha_parameters_are_named_like_torch(learner, p):
    """MultiHeadAttention(E, H, bias, batch_first) has nn.MultiheadAttention's state-dict names and shapes."""
    import torch

    want = {name: list(t.shape) for name, t in torch.nn.MultiheadAttention(p.embed_dim, p.num_heads, bias=p.bias).state_dict().items()}
    reply = _checked(learner._drive(DRIVER + "parameter_shapes", p.embed_dim, p.num_heads, p.bias, p.batch_first))
    got = reply["shapes"]
    if got != want:
        missing = [f"{n} {tuple(s)}" for n, s in want.items() if n not in got]
        extra = [f"{n} {tuple(s)}" for n, s in got.items() if n not in want]
        wrong = [f"{n}: {tuple(got[n])}, expected {tuple(s)}" for n, s in want.items() if n in got and got[n] != s]
        lines = ([f"  missing: {', '.join(missing)}"] if missing else []) + ([f"  not in torch's: {', '.join(extra)}"] if extra else []) \
            + [f"  shape of {w}" for w in wrong]
        fail(f"MultiHeadAttention({p.embed_dim}, {p.num_heads}, bias={p.bias})'s state dict differs from nn.MultiheadAttention's:\n"
             + "\n".join(lines))


OUT_MISTAKES = ("heads_reshape_without_transpose", "scale_by_embed_dim", "masks_keep_true", "no_out_proj", "out_proj_bias_missing",
                "in_proj_bias_missing", "value_from_key", "batch_first_ignored", "attn_mask_head_major", "padding_head_major",
                "key_padding_ignored", "attn_mask_ignored")


def expect_mha(learner, p) -> None:
    """Output and weights of the learner's MultiHeadAttention equal torch's on p."""
    reply = run_mha(learner, p)
    want_out, want_weights = torch_mha(p)
    tol = TOLERANCE[p.dtype]
    diagnoses = mha_diagnoses(p, OUT_MISTAKES, 0, learner)
    nan_diagnosed(reply["out"], f"the output of {p.call}", diagnoses, p.dtype)
    assert_close(reply["out"], want_out, what=f"the output of {p.call}", rtol=tol, atol=tol, diagnoses=diagnoses)
    got = reply["weights"]
    if want_weights is None:
        if got is not None:
            fail(f"{p.call} returned weights; with need_weights=False torch returns (output, None)",
                 diagnosis="with need_weights=False return (output, None)")
        return
    if got is None:
        fail(f"{p.call} returned None for the weights; with need_weights=True return the attention weights")
    N, H = p.batch, p.num_heads
    shape = np.shape(got)
    if p.average_attn_weights and shape == (N, H) + want_weights.shape[1:] and H > 1:
        fail(f"the weights of {p.call} have shape {shape}, expected {want_weights.shape}",
             diagnosis=variants.MHA_MISTAKES["weights_not_averaged"])
    if not p.average_attn_weights and shape == (N,) + want_weights.shape[2:] and H > 1:
        fail(f"the weights of {p.call} have shape {shape}, expected {want_weights.shape}",
             diagnosis="with average_attn_weights=False return one slice of weights per head, (N, num_heads, L, S); "
             "average them over the heads only when it is True")
    diagnoses = mha_diagnoses(p, ("weights_summed_over_heads", *OUT_MISTAKES), 1, learner)
    nan_diagnosed(got, f"the weights of {p.call}", diagnoses, p.dtype)
    assert_close(got, want_weights, what=f"the weights of {p.call}", rtol=tol, atol=tol, diagnoses=diagnoses)


@check(examples=30)
@examples("p", inputs.MHA_EXAMPLES)
@given(p=mha_problems())
def mha_matches_torch(learner, p):
    """Loaded with nn.MultiheadAttention's state dict, forward gives torch's output and weights (float64, 1e-12)."""
    expect_mha(learner, p)


@check(examples=15)
@examples("p", inputs.MHA_FLOAT32_EXAMPLES)
@given(p=mha_problems(dtype="float32"))
def mha_matches_torch_in_float32(learner, p):
    """The same in float32: torch's output and weights to 1e-6."""
    expect_mha(learner, p)


def asking_for_averaged_weights(p: MHAProblem) -> MHAProblem:
    """p, asking for the head-averaged weights."""
    p.need_weights, p.average_attn_weights = True, True
    return p


@check(examples=15)
@example(p=asking_for_averaged_weights(inputs.mha_problem(80, kind="bool", padding=True, attn=True, attn_3d=True)))
@given(p=mha_problems().map(asking_for_averaged_weights))
def mha_weights_rows_sum_to_one(learner, p):
    """The averaged weights (N, L, S) are >= 0 and each query's row sums to 1."""
    reply = run_mha(learner, p)
    weights = as_array(reply["weights"], f"the weights of {p.call}")
    sums = weights.sum(axis=-1)
    if (weights < -1e-12).any() or not np.allclose(sums, 1.0, rtol=0, atol=1e-10):
        fail(f"the weights of {p.call} are not a distribution over the keys: each row must be >= 0 and sum to 1.\n"
             f"  row sums: {show(sums)}", weights, mha_diagnoses(p, ("weights_summed_over_heads", "masks_keep_true"), 1, learner),
             passes=lambda value: bool((value >= -1e-12).all() and np.allclose(value.sum(axis=-1), 1.0, rtol=0, atol=1e-10)))


# -- no torch attention ---------------------------------------------------------------------------------
def torch_attention_in_source(path) -> list[str]:
    """Lines of the learner's file that name one of torch's attention functions (read with ast, never run)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    torch_names = set()  # local names bound to torch or to something imported from it
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            torch_names.update((a.asname or a.name.partition(".")[0]) for a in node.names if a.name.partition(".")[0] == "torch")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.partition(".")[0] == "torch" and node.level == 0:
            for alias in node.names:
                torch_names.add(alias.asname or alias.name)
                if any(name in alias.name for name in REFUSED_NAMES):
                    hits.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and any(name in node.attr for name in REFUSED_NAMES):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in torch_names:
                hits.append(f"line {node.lineno}: {ast.unparse(node)}")
    return sorted(set(hits), key=lambda h: int(h.split(":")[0].split()[1]))


@check(examples=1)
def torch_attention_functions_are_not_used(learner):
    """Your file never names torch's attention functions, and your code calls none of them while it runs."""
    path = learner._session.module.file  # read here, in the judge: ast only, nothing runs
    hits = torch_attention_in_source(path)
    if hits:
        fail("your file uses torch's own attention, which this exercise asks you to write yourself:\n  "
             + "\n  ".join(hits) + "\n  Build it from q @ k.transpose(-2, -1), masked_fill and torch.softmax instead.")
    # Then run both parts once under the runtime guard (every other check does too).
    x = np.arange(12, dtype=float).reshape(1, 3, 4) / 12  # (N=1, L=3, E=4)
    run_sdpa(learner, AttentionProblem(x, x, x))
    eye = np.eye(4)
    state = {"in_proj_weight": np.vstack([eye, eye, eye]), "in_proj_bias": np.zeros(12), "out_proj.weight": eye, "out_proj.bias": np.zeros(4)}
    run_mha(learner, MHAProblem(4, 2, True, True, x, x, x, state=state))
