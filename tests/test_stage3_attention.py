"""stage3/attention beyond the generic proofs: other correct styles pass, the static and the
runtime refusal of torch's attention, and the known-mistake evaluators the diagnoses use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grading import SOLUTIONS, explain, grade_source, package_file
from mldojo.graders.stage3 import _attention_variants as variants
from mldojo.graders.stage3 import attention_driver as driver
from mldojo.graders.stage3.attention import torch_attention_in_source

EXERCISE = "stage3/attention"


def test_a_batch_first_solution_with_a_hand_written_softmax_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "attention_batch_first_style.py", tmp_path)
    assert report.passed, explain(report)


@pytest.mark.parametrize("line, expected", [
    ("out = F.scaled_dot_product_attention(q, k, v)", "F.scaled_dot_product_attention"),
    ("out = torch.nn.functional.scaled_dot_product_attention(q, k, v)", "torch.nn.functional.scaled_dot_product_attention"),
    ("inner = nn.MultiheadAttention(4, 2)", "nn.MultiheadAttention"),
    ("out = torch._native_multi_head_attention(q, k, v)", "torch._native_multi_head_attention"),
    ("out = torch.ops.aten._scaled_dot_product_attention_math(q, k, v)", "torch.ops.aten._scaled_dot_product_attention_math"),
])
def test_the_static_check_names_torch_attention_in_the_file(tmp_path, line, expected):
    path = tmp_path / "attention.py"
    path.write_text(f"import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\ndef f(q, k, v):\n    {line}\n")
    assert torch_attention_in_source(path) == [f"line 6: {expected}"]


def test_the_static_check_sees_imports_under_another_name(tmp_path):
    path = tmp_path / "attention.py"
    path.write_text("from torch.nn.functional import scaled_dot_product_attention as fast\n")
    assert torch_attention_in_source(path) == ["line 1: from torch.nn.functional import scaled_dot_product_attention"]


def test_the_static_check_leaves_the_learners_own_names_alone(tmp_path):
    path = tmp_path / "attention.py"
    path.write_text(
        "import torch\n# F.scaled_dot_product_attention is what we match\n"
        "def scaled_dot_product_attention(q, k, v):\n    '''like nn.MultiheadAttention'''\n    return q\n"
        "class MultiHeadAttention(torch.nn.Module):\n    def forward(self, x):\n"
        "        return scaled_dot_product_attention(x, x, x), self.scaled_dot_product_attention\n"
    )
    assert torch_attention_in_source(path) == []


@pytest.mark.parametrize("call, name", [
    (lambda q: F.scaled_dot_product_attention(q, q, q), "torch.nn.functional.scaled_dot_product_attention"),
    (lambda q: torch.ops.aten._scaled_dot_product_attention_math(q, q, q), "_scaled_dot_product_attention_math"),
    (lambda q: torch.nn.MultiheadAttention(4, 2)(q[0], q[0], q[0]), "multi_head_attention_forward"),
])
def test_the_runtime_guard_refuses_torch_attention_however_it_is_reached(call, name):
    q = torch.randn(1, 3, 4)
    _, refused = driver.guarded(lambda: call(q))
    assert refused is not None and name in refused


def test_the_runtime_guard_reports_a_refusal_the_code_swallowed():
    def sneaky():
        try:
            return F.scaled_dot_product_attention(*(torch.randn(2, 3),) * 3)
        except Exception:  # noqa: BLE001 - a learner hiding the refusal
            return torch.zeros(2, 3)

    result, refused = driver.guarded(sneaky)
    assert refused == "torch.nn.functional.scaled_dot_product_attention"


def test_the_runtime_guard_lets_ordinary_tensor_code_through():
    q = torch.randn(2, 3, 4)
    result, refused = driver.guarded(lambda: torch.softmax(q @ q.transpose(-2, -1), dim=-1) @ q)
    assert refused is None and result.shape == (2, 3, 4)


def test_a_refused_call_is_reported_with_its_name_and_the_reason(tmp_path):
    source = package_file("reference", EXERCISE).read_text().replace(
        "    L, S = q.size(-2), k.size(-2)\n",
        "    fast = getattr(torch.nn.functional, 'scaled_dot_' + 'product_attention')\n"
        "    return fast(q, k, v, attn_mask=attn_mask, is_causal=is_causal)\n", 1)
    report = grade_source(EXERCISE, source, tmp_path)
    by_name = {c.name: c for c in report.checks}
    message = by_name["torch_attention_functions_are_not_used"].message
    assert "your code called torch.nn.functional.scaled_dot_product_attention" in message
    assert "writing attention yourself" in message and "refused" in message
    assert by_name["sdpa_matches_torch_without_a_mask"].verdict == "failed"


def _problem(mask=None, causal=False, L=3, S=4):
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, L, 5)), rng.normal(size=(2, S, 5)), rng.normal(size=(2, S, 3))
    return q, k, v, mask, causal


def test_the_correct_evaluator_is_torch():
    for mask, causal in ((None, False), (None, True), (np.tril(np.ones((3, 4), bool), 1), False), (np.ones((3, 4)) * 0.5, False)):
        q, k, v, m, c = _problem(mask, causal)
        want = F.scaled_dot_product_attention(*(torch.tensor(x) for x in (q, k, v)), attn_mask=variants.t(m), is_causal=c).numpy()
        np.testing.assert_allclose(variants.sdpa(q, k, v, m, c), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mistake", sorted(variants.SDPA_MISTAKES))
def test_every_known_mistake_changes_the_answer_somewhere(mistake):
    bool_mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]], bool)
    float_mask = np.array([[0.5, -1, 2, 0], [1, 0, -2, 0.5], [0, 1, 1, -1]])
    cases = [_problem(), _problem(causal=True), _problem(bool_mask), _problem(float_mask)]
    changed = [not np.allclose(variants.sdpa(*case), variants.sdpa(*case, mistake=mistake), equal_nan=True) for case in cases]
    assert any(changed), f"{mistake} never differs from the correct answer: its diagnosis could never be given"


def test_the_stub_explains_the_task_and_keeps_torchs_signature():
    text = package_file("exercises", EXERCISE).read_text()
    assert "def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False)" in text
    assert "def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True)" in text
    assert Path(package_file("reference", EXERCISE)).read_text().count("scaled_dot_product_attention(") == 1  # its own def only


# -- every mask kind x dimensions >= 2 on every seed; diagnoses as evidence; shrinking ----------------
import dataclasses  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import time  # noqa: E402

from grading import mutants, place_source  # noqa: E402
from mldojo.graders.kit.asserts import CheckFailed  # noqa: E402
from mldojo.graders.stage3 import _attention_inputs as inputs  # noqa: E402
from mldojo.graders.stage3 import attention as grader  # noqa: E402

MUTANTS = {mutant.name: mutant for mutant in mutants(EXERCISE)}
SEEDS = (0, 5, 11)


def _session(mutant, workspace):
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.engine.process import Budget, LearnerModule
    from mldojo.graders.engine.proxy import LearnerSession

    target = place_source(mutant.exercise, mutant.source, workspace)
    entry = load_catalogue().exercise(mutant.exercise)
    return LearnerSession(LearnerModule(mutant.exercise, workspace.resolve(), target.resolve(), entry.forbid, entry.memory_limit_mb), Budget(600))


def outcomes_across_seeds(mutant, seeds, workspace, explicit=True):
    """{seed: CheckOutcome} of the mutant's expected check (without the fixed examples when not `explicit`)."""
    from mldojo.graders.engine.proxy import Learner
    from mldojo.graders.engine.runner import load_grader, run_check
    from mldojo.graders.kit.checks import checks_of

    (spec,) = [s for s in checks_of(load_grader(EXERCISE)) if s.name == mutant.expect]
    spec = spec if explicit else dataclasses.replace(spec, explicit=())
    session = _session(mutant, workspace)
    found = {}
    try:
        for seed in seeds:
            if not session.alive():
                session.start()
            found[seed] = run_check(spec, Learner(session), seed)
    finally:
        session.close()
    return found


@pytest.mark.parametrize("name", ["attn_mask_3d_reshaped_head_major", "key_padding_repeated_head_major", "sdpa_3d_mask_read_as_per_batch",
                                  "sdpa_flattens_the_batch_for_bmm", "value_projected_from_key", "out_proj_bias_missing"])
def test_attention_rare_structure_is_covered_on_every_seed(name, tmp_path):
    """Batch and heads both >= 2 with a mask that differs along both, broadcast leading axes: in every grading."""
    found = outcomes_across_seeds(MUTANTS[name], SEEDS, tmp_path)
    assert all(o.verdict in ("failed", "error") for o in found.values()), {s: (o.verdict, o.message) for s, o in found.items()}


@pytest.mark.parametrize("name", ["mha_ignores_batch_first", "mha_ignores_need_weights", "mha_ignores_average_attn_weights",
                                  "sdpa_ignores_attn_mask", "sdpa_ignores_is_causal", "in_proj_bias_missing"])
def test_attention_a_stated_parameter_is_exercised_on_every_seed(name, tmp_path):
    found = outcomes_across_seeds(MUTANTS[name], SEEDS, tmp_path)
    assert all(o.verdict in ("failed", "error") for o in found.values()), {s: (o.verdict, o.message) for s, o in found.items()}


@pytest.mark.parametrize("name, words, never", [
    ("out_proj_bias_missing", "out_proj's bias was not added", "the output projection is missing"),
    ("no_out_proj", "the output projection is missing", "bias was not added"),
])
def test_attention_the_output_projection_and_its_bias_are_told_apart(name, words, never, tmp_path):
    found = outcomes_across_seeds(MUTANTS[name], SEEDS, tmp_path)
    for outcome in found.values():
        assert words in (outcome.diagnosis or "") and never not in outcome.diagnosis, outcome.diagnosis


@pytest.mark.parametrize("name", ["mha_masks_keep_true", "heads_reshape_without_transpose", "weights_summed_over_heads"])
def test_an_mha_failure_shrinks_fast_to_a_small_input(name, tmp_path):
    """Without the fixed examples, a drawn failure shrinks in a few seconds to small shapes (values come from a seed)."""
    started = time.perf_counter()
    found = outcomes_across_seeds(MUTANTS[name], (None, 7), tmp_path, explicit=False)
    assert time.perf_counter() - started < 40
    for outcome in found.values():
        assert outcome.verdict == "failed" and outcome.duration_s < 10, (outcome.verdict, outcome.duration_s)
        assert "MultiHeadAttention(" in outcome.inputs and outcome.inputs.count("\n") < 40, outcome.inputs


def test_every_mask_kind_meets_batch_and_heads_of_two_or_more_in_the_fixed_examples():
    shapes = {p.attn_mask.shape for kind in ("bool", "float") for p in inputs.SDPA_EXAMPLES[kind]}
    assert {(2, 3, 3, 4), (2, 1, 3, 4), (1, 3, 3, 4), (3, 3, 4), (2, 1, 1, 4), (3, 4), (1, 4)} <= shapes
    for kind in ("bool", "float"):
        assert all(p.q.shape[:2] == (2, 3) for p in inputs.SDPA_EXAMPLES[kind])
    causal = inputs.SDPA_EXAMPLES["causal"]
    assert any(p.q.shape[-2] < p.k.shape[-2] for p in causal) and any(p.q.shape[-2] > p.k.shape[-2] for p in causal)
    mha = inputs.MHA_EXAMPLES
    assert any(p.attn_mask is not None and p.attn_mask.ndim == 3 and p.batch >= 2 and p.num_heads >= 2 for p in mha)
    assert any(p.key_padding_mask is not None and p.key_padding_mask.dtype == bool and p.batch >= 2 for p in mha)
    assert any(p.key_padding_mask is not None and p.key_padding_mask.dtype != bool for p in mha)
    assert {p.batch_first for p in mha} == {True, False} and {p.bias for p in mha} == {True, False}
    assert any(not p.need_weights for p in mha) and any(not p.average_attn_weights for p in mha)


@pytest.mark.parametrize("mistake", sorted(variants.MHA_MISTAKES))
def test_every_known_mha_mistake_changes_the_answer_in_some_fixed_example(mistake):
    def differs(p):
        try:
            wrong = variants.mha(p, mistake)
        except RuntimeError:  # the mistake cannot even run on this input: a learner's code would raise
            return True
        right = variants.mha(p)
        return any(a is not None and (b is None or a.shape != b.shape or not np.allclose(a, b, equal_nan=True)) for a, b in zip(wrong, right))

    assert any(differs(p) for p in inputs.MHA_EXAMPLES), f"{mistake} never shows in the fixed MHA examples"


class InProcessLearner:
    """The learner module and the grader's drivers run in this process (unit tests only)."""

    def __init__(self, source: str, tmp_path):
        path = tmp_path / "learner_attention.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("learner_attention", path)
        self._module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self._module)

    def _drive(self, target, *args):
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)(self._module, *args)


def test_attention_diagnoses_are_confirmed_on_a_second_input(tmp_path):
    """With out_proj.weight = I, 'no output projection' and 'no output bias' give the same output;
    only the mistake the learner made is confirmed on a problem with other weights."""
    p = inputs.mha_problem(90, kind="bool", padding=True)
    p.state["out_proj.weight"] = np.eye(p.embed_dim)
    learner = InProcessLearner(MUTANTS["out_proj_bias_missing"].source, tmp_path)
    with pytest.raises(CheckFailed) as failure:
        grader.mha_matches_torch(learner, p=p)
    assert failure.value.diagnose() == variants.MHA_MISTAKES["out_proj_bias_missing"]


def test_an_einsum_solution_typed_along_with_a_course_passes(tmp_path):
    report = grade_source(EXERCISE, SOLUTIONS / "stage3" / "attention_einsum_style.py", tmp_path)
    assert report.passed, explain(report)
